-- name: CreateAccount :one
INSERT INTO accounts (name, created_at) VALUES ($1, $2)
RETURNING *;

-- name: GetAccount :one
SELECT * FROM accounts WHERE id = $1;

-- name: GetAccountByName :one
SELECT * FROM accounts WHERE name = $1;

-- name: LockAccount :exec
-- Serialises changes that must see the account's other rows as they are
-- (keeping one administrator): on PostgreSQL the row lock holds until the
-- transaction ends; on SQLite the single writer already serialises.
UPDATE accounts SET name = name WHERE id = $1;
