-- name: NextProtocol :one
-- Hands out the account's next protocol number; the row lock serialises
-- concurrent openings.
UPDATE accounts SET next_protocol = next_protocol + 1 WHERE id = $1
RETURNING next_protocol - 1 AS protocol;

-- name: GetAccountSettings :one
SELECT id, name, external_protocol_required FROM accounts WHERE id = $1;

-- name: GetDepartmentRouting :one
SELECT id, account_id, name, distribution, policy, offer_mode, offer_timeout_s, binding, binding_notify,
       inactivity_s, abandonment_s, close_reason_required, rr_cursor
FROM departments WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: SetDepartmentRouting :exec
UPDATE departments SET distribution = $3, policy = $4, offer_mode = $5, offer_timeout_s = $6, binding = $7,
       binding_notify = $8, inactivity_s = $9, abandonment_s = $10, close_reason_required = $11, updated_at = $12
WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: SetRoundRobinCursor :exec
UPDATE departments SET rr_cursor = $2 WHERE id = $1;

-- name: CreateConversation :one
INSERT INTO conversations (account_id, protocol, channel_id, department_id, contact_id, status, subject, priority,
                           out_of_hours, opened_at, queued_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10)
RETURNING *;

-- name: GetConversation :one
SELECT * FROM conversations WHERE account_id = $1 AND id = $2;

-- name: ConversationAudience :one
-- Who sees a conversation's events: its department and the agent serving
-- it or offered it. Narrower than GetConversation, since every event of a
-- conversation asks.
SELECT department_id, agent_id, offer_agent_id FROM conversations WHERE account_id = $1 AND id = $2;

-- name: GetConversationByID :one
-- For the engine's own follow-ups (timers), which carry no account.
SELECT * FROM conversations WHERE id = $1;

-- name: FindOpenConversation :one
SELECT * FROM conversations
WHERE contact_id = $1 AND channel_id = $2 AND status NOT IN ('closed', 'abandoned');

-- name: ListContactConversations :many
SELECT * FROM conversations WHERE account_id = $1 AND contact_id = $2 ORDER BY id DESC LIMIT $3;

-- name: UpdateConversationState :execrows
-- The compare-and-set every transition goes through: it applies only when
-- the row is still at the status and version the caller read.
UPDATE conversations SET
    status = sqlc.arg(status), agent_id = sqlc.narg(agent_id), department_id = sqlc.arg(department_id),
    offer_agent_id = sqlc.narg(offer_agent_id), offer_expires_at = sqlc.narg(offer_expires_at),
    queued_at = sqlc.narg(queued_at), assigned_at = sqlc.narg(assigned_at), closed_at = sqlc.narg(closed_at),
    close_reason_id = sqlc.narg(close_reason_id), resolved = sqlc.narg(resolved),
    external_protocol = sqlc.arg(external_protocol), version = version + 1, updated_at = sqlc.arg(updated_at)
WHERE id = sqlc.arg(id) AND status = sqlc.arg(expect_status) AND version = sqlc.arg(expect_version);

-- name: NextMessageSeq :one
-- Numbers the conversation's next message and, in the same write, notes
-- who last wrote: sqlc.arg(side) is 'customer', 'agent' or '' (neither,
-- e.g. a bot or the system).
UPDATE conversations SET last_seq = last_seq + 1, updated_at = $2,
    last_customer_at = CASE WHEN CAST(sqlc.arg(side) AS TEXT) = 'customer' THEN $2 ELSE last_customer_at END,
    last_agent_at = CASE WHEN CAST(sqlc.arg(side) AS TEXT) = 'agent' THEN $2 ELSE last_agent_at END,
    first_response_at = CASE WHEN CAST(sqlc.arg(side) AS TEXT) = 'agent' THEN COALESCE(first_response_at, $2) ELSE first_response_at END
WHERE id = $1
RETURNING last_seq;

-- name: InsertConversationEvent :exec
INSERT INTO conversation_events (account_id, conversation_id, kind, from_status, to_status, actor_id,
                                 from_agent_id, to_agent_id, department_id, reason, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

-- name: ListConversationEvents :many
SELECT * FROM conversation_events WHERE conversation_id = $1 ORDER BY id;

-- name: ListQueued :many
-- The department's queue in serving order: priority, then original queue
-- time, so conversations returned to the queue go ahead of newer ones.
SELECT * FROM conversations
WHERE account_id = $1 AND department_id = $2 AND status = 'queued' AND offer_agent_id IS NULL
ORDER BY priority DESC, queued_at, id
LIMIT $3;

-- name: ListAgentConversations :many
SELECT * FROM conversations WHERE agent_id = $1 AND status IN ('active', 'waiting', 'inactive') ORDER BY id;

-- name: ListAgentOffers :many
SELECT * FROM conversations WHERE offer_agent_id = $1 AND status = 'queued' ORDER BY id;

-- name: AddConversationTag :exec
INSERT INTO conversation_tags (account_id, conversation_id, tag) VALUES ($1, $2, $3)
ON CONFLICT (conversation_id, tag) DO NOTHING;

-- name: RemoveConversationTag :exec
DELETE FROM conversation_tags WHERE account_id = $1 AND conversation_id = $2 AND tag = $3;

-- name: ListConversationTags :many
SELECT tag FROM conversation_tags WHERE conversation_id = $1 ORDER BY tag;

-- name: GetCloseReason :one
SELECT * FROM close_reasons WHERE account_id = $1 AND id = $2;

-- name: CreateCloseReason :one
INSERT INTO close_reasons (account_id, department_id, name, created_at) VALUES ($1, $2, $3, $4)
RETURNING *;

-- name: SetExternalProtocolRequired :exec
UPDATE accounts SET external_protocol_required = $2 WHERE id = $1;

-- name: ListAgentDayEvents :many
-- Every event of the conversations an agent was given or lost (or was
-- offered) between from_at and to_at, by conversation and in order: what
-- the agent's day is read from. The events are found by agent on migration
-- 00031's indexes; the unary plus on account_id keeps SQLite (no statistics)
-- from walking the account's whole day by (account_id, at) instead.
SELECT e.* FROM conversation_events e
WHERE e.conversation_id IN (
        SELECT d.conversation_id FROM conversation_events d
        WHERE d.to_agent_id = sqlc.arg(agent_id) AND d.at >= sqlc.arg(from_at) AND d.at < sqlc.arg(to_at)
          AND +d.account_id = sqlc.arg(account_id)
        UNION
        SELECT d.conversation_id FROM conversation_events d
        WHERE d.from_agent_id = sqlc.arg(agent_id) AND d.at >= sqlc.arg(from_at) AND d.at < sqlc.arg(to_at)
          AND +d.account_id = sqlc.arg(account_id))
ORDER BY e.conversation_id, e.id;
