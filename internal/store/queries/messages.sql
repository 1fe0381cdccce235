-- name: InsertMessage :one
-- Returns only the id: the caller has the rest, and reading the whole row
-- back costs every message on SQLite's single writer.
INSERT INTO messages (account_id, conversation_id, seq, direction, kind, sender_type, sender_id, body,
                      quoted_message_id, attachments, metadata, status, channel_id, provider_message_id,
                      created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
RETURNING id;

-- name: GetMessageByProviderID :one
SELECT * FROM messages WHERE channel_id = $1 AND provider_message_id = $2;

-- name: GetMessage :one
SELECT * FROM messages WHERE account_id = $1 AND id = $2;

-- name: GetMessageByID :one
SELECT * FROM messages WHERE id = $1;

-- name: ListMessages :many
SELECT * FROM messages WHERE conversation_id = $1 ORDER BY seq;

-- name: AdvanceMessageStatus :execrows
-- Delivery status only moves forward (pending → sent → failed/delivered →
-- read): a late "delivered" never undoes "read".
UPDATE messages SET status = sqlc.arg(status), status_error = sqlc.arg(status_error), updated_at = sqlc.arg(updated_at)
WHERE id = sqlc.arg(id) AND
      (CASE status WHEN 'pending' THEN 0 WHEN 'sent' THEN 1 WHEN 'failed' THEN 2 WHEN 'delivered' THEN 3 WHEN 'read' THEN 4 ELSE 9 END)
    < (CASE CAST(sqlc.arg(status) AS TEXT) WHEN 'pending' THEN 0 WHEN 'sent' THEN 1 WHEN 'failed' THEN 2 WHEN 'delivered' THEN 3 WHEN 'read' THEN 4 ELSE -1 END);

-- name: SetProviderMessageID :exec
UPDATE messages SET provider_message_id = $2, updated_at = $3 WHERE id = $1;

-- name: CreateOutboxItem :exec
INSERT INTO outbox (account_id, message_id, channel_id, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $4);

-- name: ListDueOutbox :many
SELECT * FROM outbox
WHERE done_at IS NULL AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
ORDER BY next_attempt_at, id
LIMIT $2;

-- name: ClaimOutboxItem :execrows
UPDATE outbox SET claimed_until = sqlc.arg(until)
WHERE id = sqlc.arg(id) AND done_at IS NULL AND (claimed_until IS NULL OR claimed_until <= sqlc.arg(now));

-- name: FinishOutboxItem :exec
UPDATE outbox SET done_at = $2, attempts = attempts + 1, last_error = $3, claimed_until = NULL WHERE id = $1;

-- name: RetryOutboxItem :exec
UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, claimed_until = NULL WHERE id = $1;

-- name: GetChannelByID :one
SELECT * FROM channels WHERE id = $1;

-- name: CreateChannel :one
INSERT INTO channels (account_id, kind, name, department_id, settings, rate_per_s, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
RETURNING *;
