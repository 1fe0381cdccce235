-- +goose Up
-- Server-side drafts: what a person was writing on a conversation, kept per
-- person so it follows them from one device to another and shows in lists.
CREATE TABLE drafts (
    user_id         BIGINT NOT NULL REFERENCES users (id),
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    body            TEXT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);

-- How far each person has read each conversation: customer messages after
-- last_read_seq are unread for them.
CREATE TABLE read_marks (
    user_id         BIGINT NOT NULL REFERENCES users (id),
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    last_read_seq   BIGINT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);

-- Finding a conversation's customer messages after a sequence number.
CREATE INDEX messages_direction_idx ON messages (conversation_id, direction, seq);

-- +goose Down
DROP INDEX messages_direction_idx;
DROP TABLE read_marks;
DROP TABLE drafts;
