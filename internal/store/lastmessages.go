package store

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// LastMessage is the newest message of a conversation that the customer
// and the agents both see: what a list shows as the conversation's preview.
type LastMessage struct {
	ConversationID int64
	ID             int64
	Direction      string
	Kind           string
	SenderType     string
	// Body is the start of the message's body: at most LastMessageBodyRunes
	// characters of it (the caller shortens it further for display).
	Body        string
	Attachments string
	CreatedAt   time.Time
}

// LastMessageBodyRunes bounds how much of a body LastMessages reads: a
// preview needs the start of it, not a whole e-mail.
const LastMessageBodyRunes = 400

// lastMessageBatch is the most conversations one statement asks about.
// Lists are at most a couple of hundred rows, so a page is one statement.
const lastMessageBatch = 256

// LastMessages returns the newest message to or from the customer ("in" or
// "out": internal notes and system lines are left out) of each of the
// account's conversations in ids that has one, in one statement per page
// rather than one per row. Each is found by walking the conversation's
// messages backwards on messages_seq_key (conversation_id, seq), which
// stops at the first customer-facing one.
//
// The ids go into the statement as a list of placeholders (idList).
//
// The account is checked with +c.account_id, which keeps SQLite (without
// statistics: the server never runs ANALYZE) from walking the account's
// conversations by an account_id index and testing each against the list
// (81 ms for a page at 200,000 conversations) instead of fetching the listed
// ids by primary key (well under 1 ms). PostgreSQL reads the unary plus as
// the same comparison and plans by the primary key anyway.
func (q *Queries) LastMessages(ctx context.Context, accountID int64, ids []int64) ([]LastMessage, error) {
	out := []LastMessage{}
	for len(ids) > 0 {
		n := min(len(ids), lastMessageBatch)
		got, err := q.lastMessages(ctx, accountID, ids[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		ids = ids[n:]
	}
	return out, nil
}

func (q *Queries) lastMessages(ctx context.Context, accountID int64, ids []int64) ([]LastMessage, error) {
	in, args := idList(accountID, ids)
	query := `SELECT m.conversation_id, m.id, m.direction, m.kind, m.sender_type,
       substr(m.body, 1, ` + strconv.Itoa(LastMessageBodyRunes) + `), m.attachments, m.created_at
FROM conversations c
JOIN messages m ON m.id = (
        SELECT l.id FROM messages l
        WHERE l.conversation_id = c.id AND l.direction IN ('in', 'out')
        ORDER BY l.seq DESC
        LIMIT 1)
WHERE +c.account_id = $1 AND c.id IN (` + in + `)`
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LastMessage
	for rows.Next() {
		var m LastMessage
		if err := rows.Scan(&m.ConversationID, &m.ID, &m.Direction, &m.Kind, &m.SenderType, &m.Body, &m.Attachments, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// idList is the placeholders $2, $3, … for ids and the arguments of a
// statement that takes accountID as $1 and ids in an IN list. sqlc cannot
// pass a list portably (PostgreSQL would take an array, SQLite has none),
// so the list is spelled out: its length rounded up to a power of two (at
// least 8) and padded with 0, which no row has, so the engines and the
// statement caches see a handful of statements rather than one per length.
func idList(accountID int64, ids []int64) (placeholders string, args []any) {
	size := 8
	for size < len(ids) {
		size *= 2
	}
	args = make([]any, 0, size+2) // room for one more argument after the list
	args = append(args, accountID)
	var in strings.Builder
	for i := range size {
		if i > 0 {
			in.WriteString(", ")
		}
		in.WriteString("$" + strconv.Itoa(i+2))
		if i < len(ids) {
			args = append(args, ids[i])
		} else {
			args = append(args, int64(0))
		}
	}
	return in.String(), args
}
