-- +goose Up
-- Every event a client may see. A change's transaction inserts its events
-- unnumbered; the sequencer then numbers committed events per account, in
-- batches, under the account's counter row. So sequences commit in order (a
-- committed N+1 implies a committed N) without every change waiting on one
-- row, and a crash between a commit and its numbering loses nothing.
CREATE TABLE event_counters (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
    seq        BIGINT NOT NULL
);

-- scope says who may see an event: everybody in the account, the members of
-- department_id, the agent agent_id (with the department's supervisors), or
-- only the user agent_id.
CREATE TABLE events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    seq           BIGINT,
    kind          TEXT NOT NULL,
    scope         TEXT NOT NULL CHECK (scope IN ('account', 'department', 'agent', 'user')),
    department_id BIGINT,
    agent_id      BIGINT,
    payload       TEXT NOT NULL,
    at            TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX events_seq_key ON events (account_id, seq);
CREATE INDEX events_pending_idx ON events (account_id, id) WHERE seq IS NULL;
CREATE INDEX events_at_idx ON events (at);

-- +goose Down
DROP TABLE events;
DROP TABLE event_counters;
