-- name: CreateAttachment :exec
INSERT INTO attachments (id, account_id, conversation_id, owner, name, content_type, size, sha256, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: GetAttachment :one
SELECT * FROM attachments WHERE account_id = $1 AND id = $2;

-- name: ClaimAttachment :exec
UPDATE attachments SET conversation_id = sqlc.arg(conversation_id), claimed_at = COALESCE(claimed_at, sqlc.arg(claimed_at))
WHERE account_id = sqlc.arg(account_id) AND id = sqlc.arg(id);

-- name: ListUnclaimedAttachmentsBefore :many
SELECT id FROM attachments WHERE claimed_at IS NULL AND created_at < $1 ORDER BY created_at LIMIT $2;

-- name: DeleteAttachment :execrows
DELETE FROM attachments WHERE id = $1 AND claimed_at IS NULL;
