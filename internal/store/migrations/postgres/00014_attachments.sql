-- +goose Up
-- Files agents and customers send. The bytes live in attachment.Storage
-- (a directory under the data directory by default) under the row's id,
-- which is random so it cannot be guessed. An upload belongs to its owner
-- until a message claims it into a conversation; unclaimed uploads are
-- swept after a day.
CREATE TABLE attachments (
    id              TEXT PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    conversation_id BIGINT REFERENCES conversations (id),
    owner           TEXT NOT NULL,
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    claimed_at      TIMESTAMPTZ
);
CREATE INDEX attachments_unclaimed_idx ON attachments (created_at) WHERE claimed_at IS NULL;

-- +goose Down
DROP TABLE attachments;
