-- name: CreateUser :one
INSERT INTO users (account_id, name, email, role, password_hash, created_at, updated_at, password_changed_at)
VALUES ($1, $2, $3, $4, $5, $6, $6, $6)
RETURNING *;

-- name: GetUser :one
SELECT * FROM users WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = $1 AND deleted_at IS NULL;

-- name: ListUsers :many
SELECT * FROM users WHERE account_id = $1 AND deleted_at IS NULL ORDER BY name, id;

-- name: CountUsers :one
SELECT count(*) FROM users WHERE deleted_at IS NULL;

-- name: CountAdmins :one
SELECT count(*) FROM users WHERE account_id = $1 AND role = 'admin' AND deleted_at IS NULL;

-- name: UpdateUserProfile :one
UPDATE users SET name = $3, email = $4, role = $5, updated_at = $6
WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING *;

-- name: UpdateUserPassword :execrows
UPDATE users SET password_hash = $3, password_changed_at = $4, updated_at = $4
WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: DeleteUser :execrows
UPDATE users SET deleted_at = $3, updated_at = $3
WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL;
