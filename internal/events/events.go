// Package events is what clients are told: every change a client may see
// becomes an event row, numbered by a per-account sequence inside the
// change's own transaction, then published on NATS once it commits.
//
// The database is the truth: NATS only carries notifications. A client that
// reconnects gives the last sequence it saw and is sent what it missed from
// the events table, in order; a node that sees a gap in the sequence on NATS
// fills it from the table too. Each event has an audience (its scope), so a
// node forwards it only to the sockets allowed to see it.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/store"
)

// Event is a change clients may see. Kinds: conversation.queued,
// conversation.offered, conversation.offer_withdrawn, conversation.assigned,
// conversation.transferred, conversation.updated, conversation.closed,
// message.created, message.status, agent.presence, notification.created,
// draft.saved, read.marked, visitor.online, visitor.page, visitor.offline,
// visitor.chatting, visitor.invited, tag.changed.
type Event struct {
	Kind           string `json:"kind"`
	ConversationID int64  `json:"conversation_id,omitempty"`
	AgentID        int64  `json:"agent_id,omitempty"`
	DepartmentID   int64  `json:"department_id,omitempty"`
	MessageID      int64  `json:"message_id,omitempty"`
	Status         string `json:"status,omitempty"`
	// VisitorID is a website visitor (visitor.* events).
	VisitorID int64 `json:"visitor_id,omitempty"`
	// LastReadSeq is where a reader's read mark now is (read.marked).
	LastReadSeq int64 `json:"last_read_seq,omitempty"`
	// TagID is a tag of the catalogue that was created, renamed or
	// removed (tag.changed, with Status saying which).
	TagID int64 `json:"tag_id,omitempty"`
}

// Scopes: who may see an event (administrators see everything).
const (
	ScopeAccount    = "account"    // everybody in the account
	ScopeDepartment = "department" // members of the department
	ScopeAgent      = "agent"      // the agent, and supervisors of the department
	ScopeUser       = "user"       // only that user
)

// Stored is an event as recorded and published.
type Stored struct {
	AccountID    int64           `json:"account_id"`
	Seq          int64           `json:"seq"`
	Kind         string          `json:"kind"`
	Scope        string          `json:"scope"`
	DepartmentID int64           `json:"department_id,omitempty"`
	AgentID      int64           `json:"agent_id,omitempty"`
	Data         json.RawMessage `json:"data"`
	At           time.Time       `json:"at"`
}

// Record stores evs, unnumbered, in the caller's transaction; the Sequencer
// numbers them once the transaction has committed.
func Record(ctx context.Context, q *store.Queries, now time.Time, accountID int64, evs []Event) error {
	for _, e := range evs {
		s, err := audience(ctx, q, accountID, e)
		if err != nil {
			return err
		}
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := q.InsertEvent(ctx, store.InsertEventParams{
			AccountID: accountID, Kind: e.Kind, Scope: s.Scope, DepartmentID: store.NullID(s.DepartmentID),
			AgentID: store.NullID(s.AgentID), Payload: string(data), At: now,
		}); err != nil {
			return fmt.Errorf("store event %s: %w", e.Kind, err)
		}
	}
	return nil
}

// audience decides who sees e. Conversation changes go to the department
// (everyone there watches its queue); messages go to whoever serves the
// conversation (or the department while it is queued); presence goes to the
// agent and the supervisors; notifications to their user only.
func audience(ctx context.Context, q *store.Queries, accountID int64, e Event) (Stored, error) {
	s := Stored{DepartmentID: e.DepartmentID, AgentID: e.AgentID}
	if e.Kind == "notification.created" || e.Kind == "draft.saved" || e.Kind == "read.marked" {
		// Addressed to one user, whatever conversation it mentions.
		s.Scope = ScopeUser
		return s, nil
	}
	if e.ConversationID != 0 {
		c, err := q.ConversationAudience(ctx, store.ConversationAudienceParams{AccountID: accountID, ID: e.ConversationID})
		if err != nil {
			return s, fmt.Errorf("event %s: conversation %d: %w", e.Kind, e.ConversationID, err)
		}
		s.DepartmentID = c.DepartmentID
		switch {
		case c.AgentID.Valid:
			s.AgentID = c.AgentID.Int64
		case c.OfferAgentID.Valid:
			s.AgentID = c.OfferAgentID.Int64
		default:
			s.AgentID = 0
		}
	}
	switch {
	case len(e.Kind) > 13 && e.Kind[:13] == "conversation.":
		s.Scope = ScopeDepartment
	case s.AgentID != 0:
		s.Scope = ScopeAgent
	case s.DepartmentID != 0:
		s.Scope = ScopeDepartment
	default:
		s.Scope = ScopeAccount
	}
	return s, nil
}

// Viewer is someone an event may be shown to.
type Viewer struct {
	UserID      int64
	AccountID   int64
	Role        auth.Role
	Departments map[int64]bool
}

// Visible reports whether v may see s.
func (v Viewer) Visible(s Stored) bool {
	if s.AccountID != v.AccountID {
		return false
	}
	if s.Scope == ScopeUser {
		return s.AgentID == v.UserID
	}
	if v.Role == auth.Admin || s.Scope == ScopeAccount {
		return true
	}
	switch s.Scope {
	case ScopeDepartment:
		return v.Departments[s.DepartmentID]
	case ScopeAgent:
		if s.AgentID == v.UserID {
			return true
		}
		return v.Role == auth.Supervisor && (s.DepartmentID == 0 || v.Departments[s.DepartmentID])
	}
	return false
}

// ErrTooOld: the events after a client's last sequence are no longer all
// kept (or are too many to replay); the client must reload.
var ErrTooOld = errors.New("events too old to replay; reload")

// MaxReplay bounds how many events a reconnecting client is sent.
const MaxReplay = 1000

// After returns the account's events after seq that v may see, oldest first,
// or ErrTooOld.
func After(ctx context.Context, q *store.Queries, v Viewer, seq int64) ([]Stored, error) {
	return AfterFunc(ctx, q, v.AccountID, seq, v.Visible)
}

// AfterFunc returns the account's events after seq for which visible says
// yes, oldest first, or ErrTooOld.
func AfterFunc(ctx context.Context, q *store.Queries, accountID, seq int64, visible func(Stored) bool) ([]Stored, error) {
	if seq > 0 {
		oldest, err := q.OldestEventSeq(ctx, accountID)
		if err != nil {
			return nil, err
		}
		if oldest > seq+1 {
			return nil, ErrTooOld
		}
	}
	rows, err := q.ListEventsAfter(ctx, store.ListEventsAfterParams{AccountID: accountID, Seq: store.NullInt64{Int64: seq, Valid: true}, Limit: MaxReplay + 1})
	if err != nil {
		return nil, err
	}
	if len(rows) > MaxReplay {
		return nil, ErrTooOld
	}
	out := make([]Stored, 0, len(rows))
	for _, r := range rows {
		if s := FromRow(r); visible(s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// FromRow turns an events row into a Stored event.
func FromRow(r store.Event) Stored {
	return Stored{AccountID: r.AccountID, Seq: r.Seq.Int64, Kind: r.Kind, Scope: r.Scope, DepartmentID: r.DepartmentID.Int64,
		AgentID: r.AgentID.Int64, Data: json.RawMessage(r.Payload), At: r.At}
}
