-- name: CreateSession :exec
INSERT INTO sessions (id_hash, account_id, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
VALUES ($1, $2, $3, $4, $4, $5, $6, $7);

-- name: GetSessionUser :one
SELECT s.id_hash, s.last_seen_at, s.expires_at, u.id, u.account_id, u.name, u.email, u.role
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.deleted_at IS NULL;

-- name: TouchSession :exec
UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1;

-- name: DeleteSession :exec
DELETE FROM sessions WHERE id_hash = $1;

-- name: DeleteUserSessions :execrows
DELETE FROM sessions WHERE account_id = $1 AND user_id = $2;

-- name: DeleteOtherUserSessions :execrows
DELETE FROM sessions WHERE account_id = $1 AND user_id = $2 AND id_hash <> $3;

-- name: DeleteExpiredSessions :execrows
DELETE FROM sessions WHERE expires_at <= $1;

-- name: CreateAPIToken :one
INSERT INTO api_tokens (account_id, user_id, name, token_hash, prefix, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: GetAPITokenUser :one
SELECT t.id AS token_id, t.last_used_at, u.id, u.account_id, u.name, u.email, u.role
FROM api_tokens t
JOIN users u ON u.id = t.user_id
WHERE t.token_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.deleted_at IS NULL;

-- name: TouchAPIToken :exec
UPDATE api_tokens SET last_used_at = $2 WHERE id = $1;

-- name: ListAPITokens :many
SELECT * FROM api_tokens WHERE account_id = $1 AND user_id = $2 ORDER BY id;

-- name: GetAPIToken :one
SELECT * FROM api_tokens WHERE account_id = $1 AND id = $2;

-- name: DeleteAPIToken :execrows
DELETE FROM api_tokens WHERE account_id = $1 AND id = $2;

-- name: DeleteUserAPITokens :exec
DELETE FROM api_tokens WHERE account_id = $1 AND user_id = $2;

-- name: RecordLoginFailure :one
-- Counts one attempt for key inside the window that started after
-- window_floor; an older window starts over at now.
INSERT INTO login_throttle (key, failures, window_start) VALUES (sqlc.arg(key), 1, sqlc.arg(now))
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN login_throttle.window_start <= sqlc.arg(window_floor) THEN 1 ELSE login_throttle.failures + 1 END,
    window_start = CASE WHEN login_throttle.window_start <= sqlc.arg(window_floor) THEN sqlc.arg(now) ELSE login_throttle.window_start END
RETURNING failures, window_start;

-- name: ForgiveLoginAttempt :exec
UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0;

-- name: DeleteStaleLoginThrottles :exec
DELETE FROM login_throttle WHERE window_start <= $1;
