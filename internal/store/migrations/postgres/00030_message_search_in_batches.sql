-- +goose Up
-- Nothing to do on PostgreSQL: its expression index follows every message in
-- the message's own transaction. SQLite's full-text index moved to batches
-- in this version (see the SQLite migration); the versions stay in step.
SELECT 1;

-- +goose Down
SELECT 1;
