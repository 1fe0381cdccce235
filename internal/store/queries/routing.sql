-- name: GetAgentState :one
SELECT * FROM agent_states WHERE user_id = $1;

-- name: EnsureAgentState :exec
INSERT INTO agent_states (user_id, account_id, presence, presence_since, capacity)
VALUES ($1, $2, 'offline', $3, $4)
ON CONFLICT (user_id) DO NOTHING;

-- name: SetPresence :execrows
UPDATE agent_states SET presence = sqlc.arg(presence), pause_reason_id = sqlc.narg(pause_reason_id),
       presence_since = sqlc.arg(since), version = version + 1
WHERE user_id = sqlc.arg(user_id) AND version = sqlc.arg(expect_version);

-- name: SetAgentRouting :execrows
-- Capacity never drops below what the agent is serving now.
UPDATE agent_states SET capacity = $2, auto_distribution = $3, version = version + 1 WHERE user_id = $1 AND load <= $2;

-- name: SeenAgent :exec
UPDATE agent_states SET last_seen_at = $2 WHERE user_id = $1;

-- name: InsertPresenceLog :exec
INSERT INTO presence_log (account_id, user_id, presence, pause_reason_id, at) VALUES ($1, $2, $3, $4, $5);

-- name: ListPresenceLog :many
SELECT * FROM presence_log WHERE user_id = $1 ORDER BY id;

-- name: ClaimSlot :execrows
-- Takes one of a ready agent's free slots. The condition is checked by the
-- update itself, so concurrent claims cannot overfill an agent. turn_at
-- moves the agent's turn; a bound conversation passes NULL so it does not
-- cost the agent their turn.
UPDATE agent_states SET load = load + 1, version = version + 1,
       last_assigned_at = COALESCE(sqlc.narg(turn_at), last_assigned_at)
WHERE user_id = sqlc.arg(user_id) AND load < capacity AND presence = 'ready';

-- name: ClaimSlotForTransfer :execrows
-- A transfer may go to an agent who is ready, or asked to pause but still
-- serving, when they have a free slot.
UPDATE agent_states SET load = load + 1, version = version + 1, last_assigned_at = $2
WHERE user_id = $1 AND load < capacity AND presence IN ('ready', 'pause_pending');

-- name: ClaimSlotForPull :execrows
-- An agent pulling from the queue by hand needs a free slot and to be at
-- work (ready or not ready), not paused or away.
UPDATE agent_states SET load = load + 1, version = version + 1, last_assigned_at = $2
WHERE user_id = $1 AND load < capacity AND presence IN ('ready', 'not_ready');

-- name: ReleaseSlot :execrows
UPDATE agent_states SET load = load - 1, version = version + 1 WHERE user_id = $1 AND load > 0;

-- name: ResetLoad :exec
UPDATE agent_states SET load = 0, version = version + 1 WHERE user_id = $1;

-- name: ListCandidates :many
-- Ready members of the department who take automatic distribution and have
-- room; the policy orders them in Go.
SELECT s.user_id, s.load, s.capacity, s.last_assigned_at
FROM agent_states s
JOIN department_members m ON m.user_id = s.user_id AND m.department_id = $2
WHERE s.account_id = $1 AND s.presence = 'ready' AND s.auto_distribution AND s.load < s.capacity;

-- name: ListAgentDepartments :many
SELECT m.department_id FROM department_members m
JOIN departments d ON d.id = m.department_id
WHERE m.user_id = $1 AND d.deleted_at IS NULL ORDER BY m.department_id;

-- name: ListAgentStates :many
SELECT * FROM agent_states WHERE account_id = $1 ORDER BY user_id;

-- name: AddOfferRefusal :exec
INSERT INTO offer_refusals (conversation_id, agent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: ListOfferRefusals :many
SELECT agent_id FROM offer_refusals WHERE conversation_id = $1;

-- name: ClearOfferRefusals :exec
DELETE FROM offer_refusals WHERE conversation_id = $1;

-- name: GetBinding :one
SELECT * FROM bindings WHERE department_id = $1 AND contact_id = $2;

-- name: CreateBindingIfAbsent :execrows
INSERT INTO bindings (account_id, department_id, contact_id, agent_id, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $5)
ON CONFLICT (department_id, contact_id) DO NOTHING;

-- name: UpsertBinding :exec
INSERT INTO bindings (account_id, department_id, contact_id, agent_id, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $5)
ON CONFLICT (department_id, contact_id) DO UPDATE SET agent_id = excluded.agent_id, updated_at = excluded.updated_at;

-- name: DeleteBinding :execrows
DELETE FROM bindings WHERE account_id = $1 AND department_id = $2 AND contact_id = $3;

-- name: ListBindings :many
SELECT b.*, u.name AS agent_name, c.name AS contact_name
FROM bindings b
JOIN users u ON u.id = b.agent_id
JOIN contacts c ON c.id = b.contact_id
WHERE b.account_id = $1
  AND (CAST(sqlc.arg(agent_id) AS BIGINT) = 0 OR b.agent_id = sqlc.arg(agent_id))
  AND (CAST(sqlc.arg(department_id) AS BIGINT) = 0 OR b.department_id = sqlc.arg(department_id))
  AND (CAST(sqlc.arg(contact_email) AS TEXT) = '' OR EXISTS (
        SELECT 1 FROM contact_identities i
        WHERE i.contact_id = b.contact_id AND i.kind = 'email' AND i.value = sqlc.arg(contact_email)))
ORDER BY b.department_id, c.name, b.contact_id;

-- name: ContactIsIdentified :one
-- Anonymous contacts (only a website visitor id) never bind.
SELECT count(*) FROM contact_identities WHERE contact_id = $1 AND kind <> 'visitor';

-- name: InsertNotification :exec
INSERT INTO notifications (account_id, user_id, kind, body, created_at) VALUES ($1, $2, $3, $4, $5);

-- name: ListNotifications :many
SELECT * FROM notifications WHERE user_id = $1 ORDER BY id;

-- name: GetPauseReason :one
SELECT * FROM pause_reasons WHERE account_id = $1 AND id = $2 AND active;

-- name: CreatePauseReason :one
INSERT INTO pause_reasons (account_id, name, created_at) VALUES ($1, $2, $3) RETURNING *;

-- name: ListOpenConversationsForCheck :many
SELECT id, status, agent_id, offer_agent_id, department_id, contact_id FROM conversations
WHERE account_id = $1 AND status NOT IN ('closed', 'abandoned');
