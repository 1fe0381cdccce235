-- name: InsertEvent :exec
INSERT INTO events (account_id, kind, scope, department_id, agent_id, payload, at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: LockEventCounter :one
-- Takes the account's counter row (creating it) for the sequencer; the lock
-- holds until commit, so numbering runs one at a time per account.
INSERT INTO event_counters (account_id, seq) VALUES ($1, 0)
ON CONFLICT (account_id) DO UPDATE SET seq = event_counters.seq
RETURNING seq;

-- name: SetEventCounter :exec
UPDATE event_counters SET seq = $2 WHERE account_id = $1;

-- name: ListPendingEvents :many
SELECT * FROM events WHERE account_id = $1 AND seq IS NULL ORDER BY id LIMIT $2;

-- name: NumberEvent :exec
UPDATE events SET seq = $2 WHERE id = $1;

-- name: ListAccountsWithPendingEvents :many
SELECT DISTINCT account_id FROM events WHERE seq IS NULL;

-- name: ListEventsAfter :many
SELECT * FROM events WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3;

-- name: ListEventsBetween :many
SELECT * FROM events WHERE account_id = sqlc.arg(account_id) AND seq > sqlc.arg(after) AND seq < sqlc.arg(before) ORDER BY seq;

-- name: LastEventSeq :one
SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS seq FROM event_counters WHERE account_id = $1;

-- name: OldestEventSeq :one
SELECT CAST(COALESCE(MIN(seq), 0) AS BIGINT) AS seq FROM events WHERE account_id = $1 AND seq IS NOT NULL;

-- name: DeleteEventsBefore :execrows
DELETE FROM events WHERE at < $1 AND seq IS NOT NULL;
