-- +goose Up
-- The website chat: a channel's public key (what the snippet names) and
-- signing secret (visitor tokens); visitors of a site with their visits and
-- page views; agents' proactive invitations.
ALTER TABLE channels ADD COLUMN public_key TEXT;
ALTER TABLE channels ADD COLUMN secret TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX channels_public_key_key ON channels (public_key);

-- One row per visitor id and channel. contact_id is set once the visitor
-- writes (or is identified); conversation_id is the conversation the widget
-- shows, from message since_seq on. online_until is pushed forward while a
-- widget of theirs is connected.
CREATE TABLE webchat_visitors (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id       BIGINT NOT NULL REFERENCES accounts (id),
    channel_id       BIGINT NOT NULL REFERENCES channels (id),
    visitor_key      TEXT NOT NULL,
    contact_id       BIGINT REFERENCES contacts (id),
    conversation_id  BIGINT REFERENCES conversations (id),
    since_seq        BIGINT NOT NULL DEFAULT 0,
    name             TEXT NOT NULL DEFAULT '',
    email            TEXT NOT NULL DEFAULT '',
    user_agent       TEXT NOT NULL DEFAULT '',
    browser          TEXT NOT NULL DEFAULT '',
    os               TEXT NOT NULL DEFAULT '',
    device           TEXT NOT NULL DEFAULT '',
    ip               TEXT NOT NULL DEFAULT '',
    language         TEXT NOT NULL DEFAULT '',
    time_zone        TEXT NOT NULL DEFAULT '',
    visits           INTEGER NOT NULL DEFAULT 0,
    visit_started_at TIMESTAMP NOT NULL,
    current_url      TEXT NOT NULL DEFAULT '',
    current_title    TEXT NOT NULL DEFAULT '',
    online_until     TIMESTAMP,
    first_seen_at    TIMESTAMP NOT NULL,
    last_seen_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX webchat_visitors_key ON webchat_visitors (channel_id, visitor_key);
CREATE INDEX webchat_visitors_online_idx ON webchat_visitors (account_id, online_until);
CREATE INDEX webchat_visitors_conversation_idx ON webchat_visitors (conversation_id);

-- The trail of pages: visit is the visitor's visit number; left_at is set
-- when the next page opens or the widget goes away.
CREATE TABLE webchat_page_views (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    visitor_id BIGINT NOT NULL REFERENCES webchat_visitors (id),
    visit      INTEGER NOT NULL,
    url        TEXT NOT NULL,
    title      TEXT NOT NULL DEFAULT '',
    referrer   TEXT NOT NULL DEFAULT '',
    at         TIMESTAMP NOT NULL,
    left_at    TIMESTAMP
);
CREATE INDEX webchat_page_views_visitor_idx ON webchat_page_views (visitor_id, id);

-- Proactive invitations: answered once (answered_at, conversation_id) or
-- dismissed.
CREATE TABLE webchat_invitations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    visitor_id      BIGINT NOT NULL REFERENCES webchat_visitors (id),
    agent_id        BIGINT NOT NULL REFERENCES users (id),
    department_id   BIGINT NOT NULL REFERENCES departments (id),
    message         TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    answered_at     TIMESTAMP,
    dismissed_at    TIMESTAMP,
    conversation_id BIGINT REFERENCES conversations (id)
);
CREATE INDEX webchat_invitations_visitor_idx ON webchat_invitations (visitor_id, id);

-- +goose Down
DROP TABLE webchat_invitations;
DROP TABLE webchat_page_views;
DROP TABLE webchat_visitors;
DROP INDEX channels_public_key_key;
ALTER TABLE channels DROP COLUMN secret;
ALTER TABLE channels DROP COLUMN public_key;
