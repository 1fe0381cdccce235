-- Contacts and their identities, kept by internal/contact. Every query is
-- scoped by account_id.

-- name: ContactCreate :one
INSERT INTO contacts (account_id, name, trade_name, document, notes, custom_fields, search_text, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
RETURNING *;

-- name: ContactGet :one
SELECT * FROM contacts WHERE account_id = $1 AND id = $2;

-- name: ContactUpdate :execrows
UPDATE contacts SET name = $3, trade_name = $4, document = $5, notes = $6, custom_fields = $7, search_text = $8,
    updated_at = $9
WHERE account_id = $1 AND id = $2 AND merged_into_id IS NULL;

-- name: ContactLock :execrows
-- A write that changes nothing but takes the contact's row lock on
-- PostgreSQL (SQLite runs one writer at a time anyway): merges and channel
-- resolutions of one contact queue behind each other, and a contact merged
-- meanwhile answers 0 rows once the merge commits.
UPDATE contacts SET merged_into_id = NULL WHERE account_id = $1 AND id = $2 AND merged_into_id IS NULL;

-- name: ContactLockAccount :exec
-- Serialises the creation of contacts found by e-mail or phone, which no
-- unique index protects, within one account.
UPDATE accounts SET name = name WHERE id = $1;

-- name: ContactDelete :exec
-- Only for a contact created a moment ago in the same transaction that lost
-- the race for its channel identity: nothing refers to it yet.
DELETE FROM contacts WHERE account_id = $1 AND id = $2;

-- name: ContactMarkMerged :execrows
UPDATE contacts SET merged_into_id = sqlc.arg(keep_id), search_text = '', updated_at = sqlc.arg(updated_at)
WHERE account_id = sqlc.arg(account_id) AND id = sqlc.arg(merge_id) AND merged_into_id IS NULL;

-- name: ContactRepointMerged :exec
-- Contacts merged earlier into the one being merged now point at the kept
-- contact, so every merged id is one step from a live contact.
UPDATE contacts SET merged_into_id = sqlc.arg(keep_id)
WHERE account_id = sqlc.arg(account_id) AND merged_into_id = sqlc.arg(merge_id);

-- name: ContactSearch :many
-- Up to sqlc.arg(max) live contacts whose search text contains any of the
-- patterns, ordered by their folded name, each repeated once per identity.
SELECT c.id, c.account_id, c.name, c.trade_name, c.document, c.notes, c.custom_fields, c.search_text,
       c.created_at, c.updated_at, i.kind AS identity_kind, i.value AS identity_value
FROM (
    SELECT * FROM contacts s
    WHERE s.account_id = sqlc.arg(account_id) AND s.merged_into_id IS NULL
      AND (s.search_text LIKE CAST(sqlc.arg(pattern1) AS TEXT) ESCAPE '\' OR s.search_text LIKE CAST(sqlc.arg(pattern2) AS TEXT) ESCAPE '\'
        OR s.search_text LIKE CAST(sqlc.arg(pattern3) AS TEXT) ESCAPE '\' OR s.search_text LIKE CAST(sqlc.arg(pattern4) AS TEXT) ESCAPE '\')
    ORDER BY s.search_text, s.id
    LIMIT sqlc.arg(max)
) c
LEFT JOIN contact_identities i ON i.contact_id = c.id
ORDER BY c.search_text, c.id, i.id;

-- name: ContactOpenConversationClashes :many
-- Channels on which both contacts have a conversation that is not finished:
-- merging them would break the one-open-conversation-per-channel rule.
SELECT ch.id AS channel_id, ch.name AS channel_name
FROM conversations m
JOIN conversations k ON k.channel_id = m.channel_id AND k.account_id = m.account_id
JOIN channels ch ON ch.id = m.channel_id
WHERE m.account_id = sqlc.arg(account_id) AND m.contact_id = sqlc.arg(merge_id) AND k.contact_id = sqlc.arg(keep_id)
  AND m.status NOT IN ('closed', 'abandoned') AND k.status NOT IN ('closed', 'abandoned')
ORDER BY ch.id;

-- name: ContactMoveConversations :execrows
UPDATE conversations SET contact_id = sqlc.arg(keep_id)
WHERE account_id = sqlc.arg(account_id) AND contact_id = sqlc.arg(merge_id);

-- name: ContactMoveBindings :exec
-- Where both contacts are bound in a department the kept contact's binding
-- stays; ContactDeleteBindings then drops the merged contact's.
UPDATE bindings SET contact_id = sqlc.arg(keep_id)
WHERE bindings.account_id = sqlc.arg(account_id) AND bindings.contact_id = sqlc.arg(merge_id)
  AND NOT EXISTS (SELECT 1 FROM bindings k WHERE k.contact_id = sqlc.arg(keep_id) AND k.department_id = bindings.department_id);

-- name: ContactDeleteBindings :exec
DELETE FROM bindings WHERE account_id = $1 AND contact_id = $2;

-- name: IdentityList :many
SELECT * FROM contact_identities WHERE account_id = $1 AND contact_id = $2 ORDER BY id;

-- name: IdentityInsert :one
-- Adds an identity unless the contact has it already or, for channel kinds,
-- another contact owns it: then no row comes back (sql.ErrNoRows). On
-- PostgreSQL a concurrent insert of the same identity makes this wait for
-- the other transaction and return nothing once it commits.
INSERT INTO contact_identities (account_id, contact_id, kind, value, created_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING
RETURNING id;

-- name: IdentityOwner :one
-- The contact owning a channel identity (unique per account).
SELECT contact_id FROM contact_identities WHERE account_id = $1 AND kind = $2 AND value = $3
ORDER BY contact_id LIMIT 1;

-- name: LockIdentityOwner :one
-- IdentityOwner and ContactLock in one statement, for the common case (an
-- identity whose contact was never merged away): the owner, locked, or no
-- row when there is none or it was merged.
UPDATE contacts SET merged_into_id = NULL
WHERE contacts.account_id = $1 AND contacts.merged_into_id IS NULL AND contacts.id = (
    SELECT i.contact_id FROM contact_identities i WHERE i.account_id = $1 AND i.kind = $2 AND i.value = $3
    ORDER BY i.contact_id LIMIT 1)
RETURNING id;

-- name: IdentityContacts :many
-- Up to two live contacts other than sqlc.arg(except_id) that have an e-mail
-- or phone: enough to tell none, exactly one, or several.
SELECT i.contact_id FROM contact_identities i
JOIN contacts c ON c.id = i.contact_id
WHERE i.account_id = sqlc.arg(account_id) AND i.kind = sqlc.arg(kind) AND i.value = sqlc.arg(value)
  AND c.merged_into_id IS NULL AND i.contact_id <> sqlc.arg(except_id)
ORDER BY i.contact_id
LIMIT 2;

-- name: IdentityDelete :execrows
DELETE FROM contact_identities WHERE account_id = $1 AND contact_id = $2 AND kind = $3 AND value = $4;

-- name: IdentityMoveAll :exec
-- Moves a contact's identities to another, except those the other has
-- already (IdentityDeleteAll then drops those duplicates).
UPDATE contact_identities SET contact_id = sqlc.arg(keep_id)
WHERE contact_identities.account_id = sqlc.arg(account_id) AND contact_identities.contact_id = sqlc.arg(merge_id)
  AND NOT EXISTS (
    SELECT 1 FROM contact_identities k
    WHERE k.contact_id = sqlc.arg(keep_id) AND k.kind = contact_identities.kind AND k.value = contact_identities.value
  );

-- name: IdentityDeleteAll :exec
DELETE FROM contact_identities WHERE account_id = $1 AND contact_id = $2;
