-- Canned responses, kept by internal/canned. Every query is scoped by
-- account_id.

-- name: CreateCanned :one
INSERT INTO canned_responses (account_id, scope, department_id, user_id, shortcut, title, body, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
RETURNING *;

-- name: GetCanned :one
SELECT * FROM canned_responses WHERE account_id = $1 AND id = $2;

-- name: UpdateCanned :one
UPDATE canned_responses SET shortcut = $3, title = $4, body = $5, updated_at = $6
WHERE account_id = $1 AND id = $2
RETURNING *;

-- name: DeleteCanned :execrows
DELETE FROM canned_responses WHERE account_id = $1 AND id = $2;

-- name: ListCanned :many
-- The responses a user may use: the account's, their own personal ones and
-- those of their departments (every department's with all_departments),
-- narrowed to one department's (and the account's and personal ones) when
-- department_id is not 0, and to shortcuts starting with a prefix pattern.
-- The most specific comes first for each shortcut: personal, department,
-- account.
SELECT cr.id, cr.account_id, cr.scope, cr.department_id, cr.user_id, cr.shortcut, cr.title, cr.body,
       cr.created_by, cr.created_at, cr.updated_at, d.name AS department_name
FROM canned_responses cr
LEFT JOIN departments d ON d.id = cr.department_id
WHERE cr.account_id = sqlc.arg(account_id)
  AND (cr.scope = 'account'
       OR (cr.scope = 'personal' AND cr.user_id = sqlc.arg(user_id))
       OR (cr.scope = 'department' AND d.deleted_at IS NULL
           AND (CAST(sqlc.arg(all_departments) AS BOOLEAN) OR EXISTS (
                SELECT 1 FROM department_members m WHERE m.user_id = sqlc.arg(user_id) AND m.department_id = cr.department_id))))
  AND (CAST(sqlc.arg(department_id) AS BIGINT) = 0 OR cr.scope <> 'department' OR cr.department_id = sqlc.arg(department_id))
  AND (CAST(sqlc.arg(prefix) AS TEXT) = '' OR cr.shortcut LIKE CAST(sqlc.arg(prefix) AS TEXT) ESCAPE '\')
ORDER BY cr.shortcut, CASE cr.scope WHEN 'personal' THEN 0 WHEN 'department' THEN 1 ELSE 2 END, cr.id
LIMIT sqlc.arg(max);
