-- The website chat: channels, visitors, page views, invitations.

-- name: CreateWebchatChannel :one
INSERT INTO channels (account_id, kind, name, department_id, settings, rate_per_s, public_key, secret, created_at, updated_at)
VALUES (sqlc.arg(account_id), 'webchat', sqlc.arg(name), sqlc.arg(department_id), sqlc.arg(settings), 50,
        sqlc.arg(public_key), sqlc.arg(secret), sqlc.arg(created_at), sqlc.arg(created_at))
RETURNING *;

-- name: ListChannelsOfKind :many
SELECT * FROM channels WHERE account_id = $1 AND kind = $2 AND deleted_at IS NULL ORDER BY name, id;

-- name: GetAccountChannel :one
SELECT * FROM channels WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: GetChannelByPublicKey :one
SELECT * FROM channels WHERE public_key = $1 AND deleted_at IS NULL;

-- name: UpdateChannel :one
UPDATE channels SET name = sqlc.arg(name), department_id = sqlc.arg(department_id), settings = sqlc.arg(settings),
       updated_at = sqlc.arg(updated_at)
WHERE account_id = sqlc.arg(account_id) AND id = sqlc.arg(id) AND deleted_at IS NULL
RETURNING *;

-- name: DeleteChannel :execrows
UPDATE channels SET deleted_at = $3, updated_at = $3 WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: CountReadyInDepartment :one
-- Agents of the department ready to take conversations now: the widget
-- offers the offline form when there are none.
SELECT COUNT(*) FROM agent_states s
JOIN department_members m ON m.user_id = s.user_id AND m.department_id = sqlc.arg(department_id)
WHERE s.account_id = sqlc.arg(account_id) AND s.presence = 'ready';

-- name: GetVisitorByKey :one
SELECT * FROM webchat_visitors WHERE channel_id = $1 AND visitor_key = $2;

-- name: GetVisitor :one
SELECT * FROM webchat_visitors WHERE account_id = $1 AND id = $2;

-- name: CreateVisitor :one
INSERT INTO webchat_visitors (account_id, channel_id, visitor_key, visit_started_at, first_seen_at, last_seen_at)
VALUES (sqlc.arg(account_id), sqlc.arg(channel_id), sqlc.arg(visitor_key), sqlc.arg(now), sqlc.arg(now), sqlc.arg(now))
ON CONFLICT (channel_id, visitor_key) DO NOTHING
RETURNING *;

-- name: ArriveVisitor :one
-- A widget connected: what it tells about the browser, and a new visit when
-- the last sign of life is older than the visit gap.
UPDATE webchat_visitors SET
    visits = CASE WHEN visits = 0 OR last_seen_at < sqlc.arg(visit_gap_start) THEN visits + 1 ELSE visits END,
    visit_started_at = CASE WHEN visits = 0 OR last_seen_at < sqlc.arg(visit_gap_start) THEN sqlc.arg(now) ELSE visit_started_at END,
    user_agent = sqlc.arg(user_agent), browser = sqlc.arg(browser), os = sqlc.arg(os), device = sqlc.arg(device),
    ip = sqlc.arg(ip), language = sqlc.arg(language), time_zone = sqlc.arg(time_zone),
    last_seen_at = sqlc.arg(now), online_until = sqlc.arg(online_until)
WHERE id = sqlc.arg(id)
RETURNING *;

-- name: SetVisitorPage :exec
UPDATE webchat_visitors SET current_url = $2, current_title = $3, last_seen_at = $4 WHERE id = $1;

-- name: KeepVisitorOnline :exec
UPDATE webchat_visitors SET online_until = $2, last_seen_at = $3 WHERE id = $1;

-- name: SetVisitorOffline :exec
UPDATE webchat_visitors SET online_until = $2 WHERE id = $1;

-- name: SetVisitorContact :exec
UPDATE webchat_visitors SET contact_id = sqlc.arg(contact_id),
       name = CASE WHEN CAST(sqlc.arg(name) AS TEXT) = '' THEN name ELSE sqlc.arg(name) END,
       email = CASE WHEN CAST(sqlc.arg(email) AS TEXT) = '' THEN email ELSE sqlc.arg(email) END
WHERE id = sqlc.arg(id);

-- name: SetVisitorConversation :exec
UPDATE webchat_visitors SET conversation_id = $2, since_seq = $3 WHERE id = $1;

-- name: ListOnlineVisitors :many
SELECT v.*, CAST(COALESCE(c.name, '') AS TEXT) AS contact_name,
       CAST(COALESCE(cv.status, '') AS TEXT) AS conversation_status
FROM webchat_visitors v
LEFT JOIN contacts c ON c.id = v.contact_id
LEFT JOIN conversations cv ON cv.id = v.conversation_id
WHERE v.account_id = $1 AND v.online_until > $2
ORDER BY v.visit_started_at, v.id
LIMIT $3;

-- name: InsertPageView :one
INSERT INTO webchat_page_views (account_id, visitor_id, visit, url, title, referrer, at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: LeavePages :exec
UPDATE webchat_page_views SET left_at = $2 WHERE visitor_id = $1 AND left_at IS NULL;

-- name: ListPageViews :many
-- The visitor's latest pages, newest first.
SELECT * FROM webchat_page_views WHERE visitor_id = $1 ORDER BY id DESC LIMIT $2;

-- name: CreateInvitation :one
INSERT INTO webchat_invitations (account_id, visitor_id, agent_id, department_id, message, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: GetInvitation :one
SELECT * FROM webchat_invitations WHERE account_id = $1 AND id = $2;

-- name: LatestOpenInvitation :one
-- The visitor's newest invitation neither answered nor dismissed, made after
-- since (older ones have lapsed).
SELECT * FROM webchat_invitations
WHERE visitor_id = $1 AND answered_at IS NULL AND dismissed_at IS NULL AND created_at > $2
ORDER BY id DESC LIMIT 1;

-- name: AnswerInvitation :execrows
UPDATE webchat_invitations SET answered_at = $3, conversation_id = $4
WHERE visitor_id = $1 AND id = $2 AND answered_at IS NULL AND dismissed_at IS NULL;

-- name: DismissInvitation :execrows
UPDATE webchat_invitations SET dismissed_at = $3
WHERE visitor_id = $1 AND id = $2 AND answered_at IS NULL AND dismissed_at IS NULL;

-- name: CountQueuedAhead :one
-- How many queued conversations of the department are served before this
-- one (priority, then original queue time, as ListQueued orders them).
SELECT COUNT(*) FROM conversations
WHERE account_id = sqlc.arg(account_id) AND department_id = sqlc.arg(department_id) AND status = 'queued'
  AND (priority > sqlc.arg(priority)
       OR (priority = sqlc.arg(priority) AND (queued_at < sqlc.arg(queued_at) OR (queued_at = sqlc.arg(queued_at) AND id < sqlc.arg(id)))));

-- name: ListVisitorMessages :many
-- What the visitor may see of their conversation, newest first: their own
-- messages and the agents' once sent; never notes or system lines.
SELECT * FROM messages
WHERE conversation_id = sqlc.arg(conversation_id) AND seq >= sqlc.arg(since_seq)
  AND (direction = 'in' OR (direction = 'out' AND status IN ('sent', 'delivered', 'read')))
ORDER BY seq DESC LIMIT sqlc.arg(lim);

-- name: MarkOutboundRead :many
-- The visitor has read the agents' messages up to seq.
UPDATE messages SET status = 'read', updated_at = sqlc.arg(updated_at)
WHERE conversation_id = sqlc.arg(conversation_id) AND direction = 'out' AND seq <= sqlc.arg(seq) AND status IN ('sent', 'delivered')
RETURNING id;

-- name: GetVisitorOfConversation :one
-- The visitor whose widget shows the conversation (the latest seen, when
-- several browsers of one contact joined it).
SELECT * FROM webchat_visitors WHERE account_id = $1 AND conversation_id = $2
ORDER BY last_seen_at DESC, id DESC LIMIT 1;

-- name: ListQueueOrder :many
-- The department's queued conversations in serving order (as
-- CountQueuedAhead counts them): the visitors' places in the queue.
SELECT id FROM conversations
WHERE account_id = $1 AND department_id = $2 AND status = 'queued'
ORDER BY priority DESC, queued_at, id;
