-- +goose Up
-- What the agent API adds: idempotency keys for the requests that create
-- messages. A request retried with the same Idempotency-Key (per user)
-- answers what the first one answered and creates nothing twice. The key row
-- is written first, in the transaction that does the work: a concurrent
-- duplicate waits on the primary key, fails, runs again and finds the answer.
CREATE TABLE idempotency_keys (
    user_id      BIGINT NOT NULL REFERENCES users (id),
    idem_key     TEXT NOT NULL,
    account_id   BIGINT NOT NULL REFERENCES accounts (id),
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    response     TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Conversations of an agent by tab, most recently changed first.
CREATE INDEX conversations_agent_tab_idx ON conversations (agent_id, status, updated_at);

-- +goose Down
DROP INDEX conversations_agent_tab_idx;
DROP TABLE idempotency_keys;
