-- The tag catalogue (migration 00032). Conversations carry a tag by its
-- name (conversation_tags.tag); every name they carry is in the catalogue.

-- name: ListTags :many
-- The account's tags, by name, optionally only those starting with a prefix
-- pattern, with how many conversations carry each.
SELECT t.id, t.name, t.created_at,
       (SELECT count(*) FROM conversation_tags ct WHERE ct.account_id = t.account_id AND ct.tag = t.name) AS conversations
FROM tags t
WHERE t.account_id = sqlc.arg(account_id)
  AND (CAST(sqlc.arg(prefix) AS TEXT) = '' OR t.name LIKE CAST(sqlc.arg(prefix) AS TEXT) ESCAPE '\')
ORDER BY t.name
LIMIT sqlc.arg(max);

-- name: GetTag :one
SELECT t.id, t.name, t.created_at,
       (SELECT count(*) FROM conversation_tags ct WHERE ct.account_id = t.account_id AND ct.tag = t.name) AS conversations
FROM tags t
WHERE t.account_id = $1 AND t.id = $2;

-- name: CreateTag :one
-- Fails with a unique violation when the account has the name already.
INSERT INTO tags (account_id, name, created_at) VALUES ($1, $2, $3)
RETURNING *;

-- name: EnsureTag :exec
-- Adds a name to the catalogue unless it is there (tagging with a new word).
INSERT INTO tags (account_id, name, created_at) VALUES ($1, $2, $3)
ON CONFLICT (account_id, name) DO NOTHING;

-- name: RenameTag :execrows
-- Fails with a unique violation when the account has the new name already.
UPDATE tags SET name = sqlc.arg(name) WHERE account_id = sqlc.arg(account_id) AND id = sqlc.arg(id);

-- name: RenameConversationTags :execrows
UPDATE conversation_tags SET tag = sqlc.arg(new_name) WHERE account_id = sqlc.arg(account_id) AND tag = sqlc.arg(old_name);

-- name: DeleteTag :execrows
DELETE FROM tags WHERE account_id = $1 AND id = $2;

-- name: DeleteConversationTags :execrows
DELETE FROM conversation_tags WHERE account_id = $1 AND tag = $2;

-- name: TagNameTaken :one
SELECT count(*) FROM tags WHERE account_id = $1 AND name = $2;
