-- name: CreateDepartment :one
INSERT INTO departments (account_id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)
RETURNING *;

-- name: GetDepartment :one
SELECT * FROM departments WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: ListDepartments :many
SELECT * FROM departments WHERE account_id = $1 AND deleted_at IS NULL ORDER BY name, id;

-- name: RenameDepartment :one
UPDATE departments SET name = $3, updated_at = $4
WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING *;

-- name: DeleteDepartment :execrows
UPDATE departments SET deleted_at = $3, updated_at = $3
WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: AddDepartmentMember :execrows
INSERT INTO department_members (account_id, department_id, user_id, created_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (department_id, user_id) DO NOTHING;

-- name: RemoveDepartmentMember :execrows
DELETE FROM department_members WHERE account_id = $1 AND department_id = $2 AND user_id = $3;

-- name: RemoveUserFromAllDepartments :exec
DELETE FROM department_members WHERE account_id = $1 AND user_id = $2;

-- name: RemoveAllDepartmentMembers :exec
DELETE FROM department_members WHERE account_id = $1 AND department_id = $2;

-- name: ListDepartmentMembers :many
SELECT u.id, u.name, u.email, u.role, m.created_at AS member_since
FROM department_members m
JOIN users u ON u.id = m.user_id
WHERE m.account_id = $1 AND m.department_id = $2 AND u.deleted_at IS NULL
ORDER BY u.name, u.id;

-- name: ListUserDepartments :many
SELECT d.id, d.name
FROM department_members m
JOIN departments d ON d.id = m.department_id
WHERE m.account_id = $1 AND m.user_id = $2 AND d.deleted_at IS NULL
ORDER BY d.name, d.id;

-- name: IsDepartmentMember :one
SELECT count(*) FROM department_members m
JOIN departments d ON d.id = m.department_id
WHERE m.account_id = $1 AND m.department_id = $2 AND m.user_id = $3 AND d.deleted_at IS NULL;
