-- What the agent API reads and writes beyond the engine's own queries:
-- conversation summaries for lists, queues with filters, message pages,
-- pause and close reason edits, and idempotency keys. Every query is scoped
-- by account_id.

-- name: ConversationSummary :one
SELECT sqlc.embed(c), ct.name AS contact_name, d.name AS department_name,
       ch.name AS channel_name, ch.kind AS channel_kind, u.name AS agent_name
FROM conversations c
JOIN contacts ct ON ct.id = c.contact_id
JOIN departments d ON d.id = c.department_id
LEFT JOIN channels ch ON ch.id = c.channel_id
LEFT JOIN users u ON u.id = c.agent_id
WHERE c.account_id = $1 AND c.id = $2;

-- name: ListAgentTab :many
-- An agent's conversations in one status, most recently changed first, with
-- the agent's draft and how many customer messages they have not read.
SELECT sqlc.embed(c), ct.name AS contact_name, d.name AS department_name,
       ch.name AS channel_name, ch.kind AS channel_kind, u.name AS agent_name, dr.body AS draft,
       (SELECT count(*) FROM messages m
        WHERE m.conversation_id = c.id AND m.direction = 'in' AND m.seq > COALESCE(rm.last_read_seq, 0)) AS unread
FROM conversations c
JOIN contacts ct ON ct.id = c.contact_id
JOIN departments d ON d.id = c.department_id
LEFT JOIN channels ch ON ch.id = c.channel_id
LEFT JOIN users u ON u.id = c.agent_id
LEFT JOIN drafts dr ON dr.conversation_id = c.id AND dr.user_id = c.agent_id
LEFT JOIN read_marks rm ON rm.conversation_id = c.id AND rm.user_id = c.agent_id
WHERE c.account_id = $1 AND c.agent_id = $2 AND c.status = $3
ORDER BY c.updated_at DESC, c.id DESC
LIMIT $4;

-- name: ListAgentOffersSummary :many
-- The open offers made to an agent, oldest first, with the agent's draft
-- and how many customer messages they have not read.
SELECT sqlc.embed(c), ct.name AS contact_name, d.name AS department_name,
       ch.name AS channel_name, ch.kind AS channel_kind, u.name AS agent_name, dr.body AS draft,
       (SELECT count(*) FROM messages m
        WHERE m.conversation_id = c.id AND m.direction = 'in' AND m.seq > COALESCE(rm.last_read_seq, 0)) AS unread
FROM conversations c
JOIN contacts ct ON ct.id = c.contact_id
JOIN departments d ON d.id = c.department_id
LEFT JOIN channels ch ON ch.id = c.channel_id
LEFT JOIN users u ON u.id = c.agent_id
LEFT JOIN drafts dr ON dr.conversation_id = c.id AND dr.user_id = c.offer_agent_id
LEFT JOIN read_marks rm ON rm.conversation_id = c.id AND rm.user_id = c.offer_agent_id
WHERE c.account_id = $1 AND c.offer_agent_id = $2 AND c.status = 'queued'
ORDER BY c.queued_at, c.id
LIMIT $3;

-- name: ListQueueOldest :many
-- One page of a department's queue, oldest first, after the cursor
-- (after_at, after_id). Empty filters match everything; queued_from and
-- queued_to bound the original queue time; the patterns are LIKE patterns;
-- message_match (store.DB.MessageMatch) keeps conversations with a customer,
-- agent or note message matching it (messages_fts: migration 00013).
SELECT sqlc.embed(c), ct.name AS contact_name, d.name AS department_name,
       ch.name AS channel_name, ch.kind AS channel_kind, u.name AS agent_name
FROM conversations c
JOIN contacts ct ON ct.id = c.contact_id
JOIN departments d ON d.id = c.department_id
LEFT JOIN channels ch ON ch.id = c.channel_id
LEFT JOIN users u ON u.id = c.agent_id
WHERE c.account_id = sqlc.arg(account_id) AND c.department_id = sqlc.arg(department_id) AND c.status = 'queued'
  AND (CAST(sqlc.arg(channel_id) AS BIGINT) = 0 OR c.channel_id = sqlc.arg(channel_id))
  AND c.queued_at >= sqlc.arg(queued_from) AND c.queued_at < sqlc.arg(queued_to)
  AND (CAST(sqlc.arg(contact_pattern) AS TEXT) = '' OR ct.search_text LIKE CAST(sqlc.arg(contact_pattern) AS TEXT) ESCAPE '\')
  AND (CAST(sqlc.arg(phone_pattern) AS TEXT) = '' OR EXISTS (
        SELECT 1 FROM contact_identities i
        WHERE i.contact_id = c.contact_id AND i.kind IN ('phone', 'whatsapp')
          AND i.value LIKE CAST(sqlc.arg(phone_pattern) AS TEXT) ESCAPE '\'))
  AND (CAST(sqlc.arg(subject_pattern) AS TEXT) = '' OR lower(c.subject) LIKE CAST(sqlc.arg(subject_pattern) AS TEXT) ESCAPE '\')
  AND (CAST(sqlc.arg(message_match) AS TEXT) = '' OR c.id IN (
        SELECT m.conversation_id FROM messages_fts(CAST(sqlc.arg(message_match) AS TEXT)) f
        JOIN messages m ON m.id = f.rowid
        WHERE m.account_id = sqlc.arg(account_id) AND m.direction <> 'system'))
  AND (c.queued_at > sqlc.arg(after_at) OR (c.queued_at = sqlc.arg(after_at) AND c.id > sqlc.arg(after_id)))
ORDER BY c.queued_at, c.id
LIMIT sqlc.arg(max);

-- name: ListQueueNewest :many
-- ListQueueOldest, newest first: the cursor is (before_at, before_id).
SELECT sqlc.embed(c), ct.name AS contact_name, d.name AS department_name,
       ch.name AS channel_name, ch.kind AS channel_kind, u.name AS agent_name
FROM conversations c
JOIN contacts ct ON ct.id = c.contact_id
JOIN departments d ON d.id = c.department_id
LEFT JOIN channels ch ON ch.id = c.channel_id
LEFT JOIN users u ON u.id = c.agent_id
WHERE c.account_id = sqlc.arg(account_id) AND c.department_id = sqlc.arg(department_id) AND c.status = 'queued'
  AND (CAST(sqlc.arg(channel_id) AS BIGINT) = 0 OR c.channel_id = sqlc.arg(channel_id))
  AND c.queued_at >= sqlc.arg(queued_from) AND c.queued_at < sqlc.arg(queued_to)
  AND (CAST(sqlc.arg(contact_pattern) AS TEXT) = '' OR ct.search_text LIKE CAST(sqlc.arg(contact_pattern) AS TEXT) ESCAPE '\')
  AND (CAST(sqlc.arg(phone_pattern) AS TEXT) = '' OR EXISTS (
        SELECT 1 FROM contact_identities i
        WHERE i.contact_id = c.contact_id AND i.kind IN ('phone', 'whatsapp')
          AND i.value LIKE CAST(sqlc.arg(phone_pattern) AS TEXT) ESCAPE '\'))
  AND (CAST(sqlc.arg(subject_pattern) AS TEXT) = '' OR lower(c.subject) LIKE CAST(sqlc.arg(subject_pattern) AS TEXT) ESCAPE '\')
  AND (CAST(sqlc.arg(message_match) AS TEXT) = '' OR c.id IN (
        SELECT m.conversation_id FROM messages_fts(CAST(sqlc.arg(message_match) AS TEXT)) f
        JOIN messages m ON m.id = f.rowid
        WHERE m.account_id = sqlc.arg(account_id) AND m.direction <> 'system'))
  AND (c.queued_at < sqlc.arg(before_at) OR (c.queued_at = sqlc.arg(before_at) AND c.id < sqlc.arg(before_id)))
ORDER BY c.queued_at DESC, c.id DESC
LIMIT sqlc.arg(max);

-- name: QueueCounts :many
-- Queued conversations per department and channel, with how many of them
-- carry an open offer.
SELECT c.department_id, CAST(COALESCE(c.channel_id, 0) AS BIGINT) AS channel_id,
       CAST(COALESCE(ch.name, '') AS TEXT) AS channel_name, CAST(COALESCE(ch.kind, '') AS TEXT) AS channel_kind,
       count(*) AS queued,
       CAST(SUM(CASE WHEN c.offer_agent_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS offered
FROM conversations c
LEFT JOIN channels ch ON ch.id = c.channel_id
WHERE c.account_id = $1 AND c.status = 'queued'
GROUP BY c.department_id, c.channel_id, ch.name, ch.kind
ORDER BY c.department_id, c.channel_id;

-- name: OldestQueued :one
-- The conversation waiting longest in a department's queue.
SELECT queued_at FROM conversations
WHERE account_id = $1 AND department_id = $2 AND status = 'queued'
ORDER BY queued_at, id
LIMIT 1;

-- name: ListContactConversationSummaries :many
-- A contact's conversations on every channel, newest first.
SELECT sqlc.embed(c), ct.name AS contact_name, d.name AS department_name,
       ch.name AS channel_name, ch.kind AS channel_kind, u.name AS agent_name
FROM conversations c
JOIN contacts ct ON ct.id = c.contact_id
JOIN departments d ON d.id = c.department_id
LEFT JOIN channels ch ON ch.id = c.channel_id
LEFT JOIN users u ON u.id = c.agent_id
WHERE c.account_id = $1 AND c.contact_id = $2
ORDER BY c.opened_at DESC, c.id DESC
LIMIT $3;

-- name: ServesContact :one
-- Whether the user serves (or is offered) an unfinished conversation of the
-- contact right now: they may then read the contact's earlier ones.
SELECT count(*) FROM conversations
WHERE account_id = sqlc.arg(account_id) AND contact_id = sqlc.arg(contact_id)
  AND ((agent_id = sqlc.arg(user_id) AND status IN ('active', 'waiting', 'inactive'))
    OR (offer_agent_id = sqlc.arg(user_id) AND status = 'queued'));

-- name: ListMessagesPage :many
-- A conversation's messages before a sequence number, newest first.
SELECT * FROM messages WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3;

-- name: ListPauseReasons :many
SELECT * FROM pause_reasons WHERE account_id = $1 ORDER BY name, id;

-- name: GetPauseReasonAny :one
-- A pause reason, active or not.
SELECT * FROM pause_reasons WHERE account_id = $1 AND id = $2;

-- name: UpdatePauseReason :one
UPDATE pause_reasons SET name = $3, active = $4 WHERE account_id = $1 AND id = $2
RETURNING *;

-- name: ListCloseReasons :many
-- The account's close reasons; with a department, those of that department
-- and those of every department.
SELECT * FROM close_reasons
WHERE account_id = sqlc.arg(account_id)
  AND (CAST(sqlc.arg(department_id) AS BIGINT) = 0 OR department_id IS NULL OR department_id = sqlc.arg(department_id))
ORDER BY name, id;

-- name: UpdateCloseReason :one
UPDATE close_reasons SET name = $3, active = $4, department_id = $5 WHERE account_id = $1 AND id = $2
RETURNING *;

-- name: ClaimIdempotencyKey :exec
-- Fails with a unique violation when the key is taken (or being taken by a
-- concurrent request, once that one commits).
INSERT INTO idempotency_keys (user_id, idem_key, account_id, request_hash, created_at) VALUES ($1, $2, $3, $4, $5);

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2;

-- name: FinishIdempotencyKey :exec
UPDATE idempotency_keys SET status = $3, response = $4 WHERE user_id = $1 AND idem_key = $2;

-- name: DeleteIdempotencyKeysBefore :execrows
DELETE FROM idempotency_keys WHERE created_at < $1;

-- name: ListAgentsLive :many
-- The account's users with their routing state now: presence, pause reason
-- and since when, load, capacity and how many conversations they serve.
-- viewer_id 0 lists everyone; otherwise only those sharing one of the
-- viewer's departments. department_id 0 lists every department's.
SELECT u.id, u.name, u.role,
       CAST(COALESCE(s.presence, 'offline') AS TEXT) AS presence, s.presence_since, s.pause_reason_id,
       pr.name AS pause_reason_name,
       CAST(COALESCE(s.load, 0) AS INTEGER) AS load, CAST(COALESCE(s.capacity, 0) AS INTEGER) AS capacity,
       s.auto_distribution, s.last_seen_at,
       (SELECT count(*) FROM conversations c
        WHERE c.agent_id = u.id AND c.status IN ('active', 'waiting', 'inactive')) AS serving
FROM users u
LEFT JOIN agent_states s ON s.user_id = u.id
LEFT JOIN pause_reasons pr ON pr.id = s.pause_reason_id
WHERE u.account_id = sqlc.arg(account_id) AND u.deleted_at IS NULL
  AND (CAST(sqlc.arg(department_id) AS BIGINT) = 0 OR EXISTS (
        SELECT 1 FROM department_members m WHERE m.user_id = u.id AND m.department_id = sqlc.arg(department_id)))
  AND (CAST(sqlc.arg(viewer_id) AS BIGINT) = 0 OR EXISTS (
        SELECT 1 FROM department_members m
        JOIN department_members mine ON mine.department_id = m.department_id
        JOIN departments d ON d.id = m.department_id AND d.deleted_at IS NULL
        WHERE m.user_id = u.id AND mine.user_id = sqlc.arg(viewer_id)))
ORDER BY u.name, u.id;

-- name: ListFinished :many
-- A page of finished (closed or abandoned) conversations, most recently
-- finished first, after the cursor (before_at, before_id). viewer_id 0
-- sees the whole account; otherwise the viewer's own conversations and,
-- for a supervisor, those of their departments. Empty filters match all;
-- channel_kind is a channel kind (webchat, whatsapp…) or in_person for
-- conversations with no channel;
-- message_match (store.DB.MessageMatch) keeps conversations with a customer,
-- agent or note message matching it (messages_fts: migration 00013).
SELECT sqlc.embed(c), ct.name AS contact_name, d.name AS department_name,
       ch.name AS channel_name, ch.kind AS channel_kind, u.name AS agent_name
FROM conversations c
JOIN contacts ct ON ct.id = c.contact_id
JOIN departments d ON d.id = c.department_id
LEFT JOIN channels ch ON ch.id = c.channel_id
LEFT JOIN users u ON u.id = c.agent_id
WHERE c.account_id = sqlc.arg(account_id) AND c.status IN ('closed', 'abandoned')
  AND (CAST(sqlc.arg(viewer_id) AS BIGINT) = 0 OR c.agent_id = sqlc.arg(viewer_id)
       OR (CAST(sqlc.arg(supervisor) AS BOOLEAN) AND EXISTS (
            SELECT 1 FROM department_members m WHERE m.user_id = sqlc.arg(viewer_id) AND m.department_id = c.department_id)))
  AND (CAST(sqlc.arg(status) AS TEXT) = '' OR c.status = sqlc.arg(status))
  AND (CAST(sqlc.arg(department_id) AS BIGINT) = 0 OR c.department_id = sqlc.arg(department_id))
  AND (CAST(sqlc.arg(channel_id) AS BIGINT) = 0 OR c.channel_id = sqlc.arg(channel_id))
  AND (CAST(sqlc.arg(channel_kind) AS TEXT) = ''
       OR (CAST(sqlc.arg(channel_kind) AS TEXT) = 'in_person' AND c.channel_id IS NULL)
       OR ch.kind = sqlc.arg(channel_kind))
  AND (CAST(sqlc.arg(agent_id) AS BIGINT) = 0 OR c.agent_id = sqlc.arg(agent_id))
  AND (CAST(sqlc.arg(tag) AS TEXT) = '' OR EXISTS (
        SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag = sqlc.arg(tag)))
  AND (CAST(sqlc.arg(protocol) AS TEXT) = '' OR c.protocol = sqlc.arg(protocol))
  AND (CAST(sqlc.arg(contact_pattern) AS TEXT) = '' OR ct.search_text LIKE CAST(sqlc.arg(contact_pattern) AS TEXT) ESCAPE '\')
  AND (CAST(sqlc.arg(out_of_hours) AS INTEGER) = 0
       OR (CAST(sqlc.arg(out_of_hours) AS INTEGER) = 1 AND c.out_of_hours)
       OR (CAST(sqlc.arg(out_of_hours) AS INTEGER) = 2 AND NOT c.out_of_hours))
  AND (CAST(sqlc.arg(message_match) AS TEXT) = '' OR c.id IN (
        SELECT m.conversation_id FROM messages_fts(CAST(sqlc.arg(message_match) AS TEXT)) f
        JOIN messages m ON m.id = f.rowid
        WHERE m.account_id = sqlc.arg(account_id) AND m.direction <> 'system'))
  AND c.closed_at >= sqlc.arg(closed_from) AND c.closed_at < sqlc.arg(closed_to)
  AND (c.closed_at < sqlc.arg(before_at) OR (c.closed_at = sqlc.arg(before_at) AND c.id < sqlc.arg(before_id)))
ORDER BY c.closed_at DESC, c.id DESC
LIMIT sqlc.arg(max);

-- name: GetDraft :one
SELECT * FROM drafts WHERE user_id = $1 AND conversation_id = $2;

-- name: SaveDraft :exec
INSERT INTO drafts (user_id, conversation_id, account_id, body, updated_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (user_id, conversation_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at;

-- name: DeleteDraft :execrows
DELETE FROM drafts WHERE user_id = $1 AND conversation_id = $2;

-- name: GetReadMark :one
SELECT last_read_seq FROM read_marks WHERE user_id = $1 AND conversation_id = $2;

-- name: SetReadMark :exec
INSERT INTO read_marks (user_id, conversation_id, account_id, last_read_seq, updated_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (user_id, conversation_id) DO UPDATE SET last_read_seq = excluded.last_read_seq, updated_at = excluded.updated_at;

-- name: LastInboundSeq :one
-- The sequence number of the conversation's last customer message; 0 for none.
SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS seq FROM messages WHERE conversation_id = $1 AND direction = 'in';

-- name: CountUnread :one
SELECT count(*) FROM messages WHERE conversation_id = $1 AND direction = 'in' AND seq > $2;
