-- name: InsertAuditEntry :exec
INSERT INTO audit_log (account_id, actor_user_id, action, target_type, target_id, detail, ip, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: ListAuditEntries :many
SELECT a.*, COALESCE(u.name, '') AS actor_name
FROM audit_log a
LEFT JOIN users u ON u.id = a.actor_user_id
WHERE a.account_id = $1 AND a.id < sqlc.arg(before_id)
ORDER BY a.id DESC
LIMIT sqlc.arg(max_rows);
