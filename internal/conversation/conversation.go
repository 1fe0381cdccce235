// Package conversation keeps conversations and their messages: the
// lifecycle's states and the moves between them, the event row every move
// writes, message sequences and delivery status, and the per-conversation
// metrics derived from those rows.
//
// Its functions run inside the caller's transaction (they take
// *store.Queries); deciding who serves a conversation is the routing
// package's job.
package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atende/atende/internal/store"
)

// Status is where a conversation is in its lifecycle.
type Status string

const (
	// Opening comes before the queue when something must happen first (a
	// bot, a pre-chat form, an e-mail awaiting approval).
	Opening Status = "opening"
	// Queued waits in a department's queue, maybe with an open offer.
	Queued Status = "queued"
	// Active is assigned and being served.
	Active Status = "active"
	// Waiting is parked by the agent until the customer answers.
	Waiting Status = "waiting"
	// Inactive had no customer message for the department's inactivity
	// period; a customer message makes it active again.
	Inactive Status = "inactive"
	// Closed was finished by an agent. It never reopens.
	Closed Status = "closed"
	// Abandoned stayed inactive past the abandonment period. It never reopens.
	Abandoned Status = "abandoned"
)

// Open reports whether the conversation can still change.
func (s Status) Open() bool { return s != Closed && s != Abandoned }

// Assigned reports whether an agent holds the conversation in this status.
func (s Status) Assigned() bool { return s == Active || s == Waiting || s == Inactive }

// moves lists the lifecycle: from each status, where it may go. Queued to
// queued is a transfer between departments or an offer made or withdrawn;
// active to active is a transfer between agents.
var moves = map[Status][]Status{
	Opening:  {Queued, Closed, Abandoned},
	Queued:   {Queued, Active, Closed, Abandoned},
	Active:   {Active, Queued, Waiting, Inactive, Closed},
	Waiting:  {Waiting, Queued, Active, Inactive, Closed},
	Inactive: {Inactive, Queued, Active, Closed, Abandoned},
}

// CanMove reports whether the lifecycle allows from → to.
func CanMove(from, to Status) bool {
	for _, s := range moves[from] {
		if s == to {
			return true
		}
	}
	return false
}

var (
	// ErrChanged: the conversation changed between reading and writing it
	// (another agent, node or timer got there first). Read again and decide.
	ErrChanged = errors.New("conversation changed meanwhile")
	// ErrNotAllowed: the lifecycle does not allow this move.
	ErrNotAllowed = errors.New("not allowed in this state")
)

// Event describes why a conversation moved, for its event row.
type Event struct {
	Kind    string // opened, queued, offered, offer_declined, offer_expired, assigned, accepted, pulled, transferred, returned_to_queue, parked, resumed, inactive, closed, abandoned
	ActorID int64  // the person who caused it; 0 for the system
	Reason  string
}

// Move writes next over cur when cur is still current (same status and
// version) and records ev. next is cur with the fields to change changed.
func Move(ctx context.Context, q *store.Queries, now time.Time, cur, next store.Conversation, ev Event) (store.Conversation, error) {
	from, to := Status(cur.Status), Status(next.Status)
	if !CanMove(from, to) {
		return cur, fmt.Errorf("conversation %d: %s → %s: %w", cur.ID, from, to, ErrNotAllowed)
	}
	n, err := q.UpdateConversationState(ctx, store.UpdateConversationStateParams{
		Status: next.Status, AgentID: next.AgentID, DepartmentID: next.DepartmentID,
		OfferAgentID: next.OfferAgentID, OfferExpiresAt: next.OfferExpiresAt,
		QueuedAt: next.QueuedAt, AssignedAt: next.AssignedAt, ClosedAt: next.ClosedAt,
		CloseReasonID: next.CloseReasonID, Resolved: next.Resolved, ExternalProtocol: next.ExternalProtocol,
		UpdatedAt: now, ID: cur.ID, ExpectStatus: cur.Status, ExpectVersion: cur.Version,
	})
	if err != nil {
		return cur, fmt.Errorf("conversation %d: %s → %s: %w", cur.ID, from, to, err)
	}
	if n == 0 {
		return cur, fmt.Errorf("conversation %d: %w", cur.ID, ErrChanged)
	}
	err = q.InsertConversationEvent(ctx, store.InsertConversationEventParams{
		AccountID: cur.AccountID, ConversationID: cur.ID, Kind: ev.Kind,
		FromStatus: cur.Status, ToStatus: next.Status, ActorID: store.NullID(ev.ActorID),
		FromAgentID: agentOf(cur), ToAgentID: agentOf(next), DepartmentID: store.NullID(next.DepartmentID),
		Reason: ev.Reason, At: now,
	})
	if err != nil {
		return cur, fmt.Errorf("conversation %d: record %s: %w", cur.ID, ev.Kind, err)
	}
	next.Version = cur.Version + 1
	next.UpdatedAt = now
	return next, nil
}

// agentOf is the agent an event row names: the assigned agent, or the one
// holding an open offer.
func agentOf(c store.Conversation) store.NullInt64 {
	if c.AgentID.Valid {
		return c.AgentID
	}
	return c.OfferAgentID
}

// Open creates a conversation for a contact, queued in a department (or in
// opening when opening is true), with a protocol number unique in the
// account that people can read aloud: the date and a counter,
// "20261121000042".
func Open(ctx context.Context, q *store.Queries, now time.Time, o NewConversation) (store.Conversation, error) {
	n, err := q.NextProtocol(ctx, o.AccountID)
	if err != nil {
		return store.Conversation{}, fmt.Errorf("protocol number for account %d: %w", o.AccountID, err)
	}
	status := Queued
	queuedAt := store.Null(now)
	if o.Opening {
		status, queuedAt = Opening, store.NullTime{}
	}
	c, err := q.CreateConversation(ctx, store.CreateConversationParams{
		AccountID: o.AccountID, Protocol: fmt.Sprintf("%s%06d", now.Format("20060102"), n),
		ChannelID: store.NullID(o.ChannelID), DepartmentID: o.DepartmentID, ContactID: o.ContactID,
		Status: string(status), Subject: o.Subject, Priority: o.Priority, OutOfHours: o.OutOfHours,
		OpenedAt: now, QueuedAt: queuedAt,
	})
	if err != nil {
		return c, fmt.Errorf("open conversation for contact %d: %w", o.ContactID, err)
	}
	err = q.InsertConversationEvent(ctx, store.InsertConversationEventParams{
		AccountID: c.AccountID, ConversationID: c.ID, Kind: "opened", ToStatus: c.Status,
		DepartmentID: store.NullID(c.DepartmentID), At: now,
	})
	return c, err
}

// NewConversation is what opening a conversation needs.
type NewConversation struct {
	AccountID    int64
	ChannelID    int64 // 0 for an in-person record
	DepartmentID int64
	ContactID    int64
	Subject      string
	Priority     int32
	OutOfHours   bool
	// Opening holds the conversation before the queue.
	Opening bool
}
