package routing

import (
	"context"
	"fmt"
	"time"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/store"
)

// AgentLive is one person's routing state as supervisors watch it.
type AgentLive struct {
	ID   int64     `json:"id"`
	Name string    `json:"name"`
	Role auth.Role `json:"role"`
	// Presence and Since: nil Since for someone who never set a presence.
	Presence         Presence   `json:"presence"`
	Since            *time.Time `json:"since"`
	PauseReason      *Ref       `json:"pause_reason"`
	Load             int32      `json:"load"`
	Capacity         int32      `json:"capacity"`
	AutoDistribution bool       `json:"auto_distribution"`
	// Serving counts the conversations they hold (active, waiting,
	// inactive); Load adds their open offers.
	Serving    int64      `json:"serving"`
	LastSeenAt *time.Time `json:"last_seen_at"`
}

// Agents is the supervisor's live view of people: every user of the
// account for administrators, those sharing one of their departments for
// supervisors (agents get auth.ErrForbidden). departmentID, when not 0,
// narrows it to one department, which a supervisor must belong to.
func (e *Engine) Agents(ctx context.Context, p auth.Principal, departmentID int64) ([]AgentLive, error) {
	if !p.IsAdmin() && p.Role != auth.Supervisor {
		return nil, fmt.Errorf("%w: only administrators and supervisors watch agents", auth.ErrForbidden)
	}
	q := e.db.Read()
	var viewer int64
	if !p.IsAdmin() {
		viewer = p.UserID
	}
	if departmentID != 0 {
		if _, err := q.GetDepartment(ctx, store.GetDepartmentParams{AccountID: p.AccountID, ID: departmentID}); err != nil {
			return nil, fmt.Errorf("department %d: %w", departmentID, store.Translate(err))
		}
		if !p.IsAdmin() {
			member, err := isMember(ctx, q, p.AccountID, departmentID, p.UserID)
			if err != nil {
				return nil, err
			}
			if !member {
				return nil, fmt.Errorf("%w: supervisors watch their own departments", auth.ErrForbidden)
			}
		}
	}
	rows, err := q.ListAgentsLive(ctx, store.ListAgentsLiveParams{AccountID: p.AccountID, DepartmentID: departmentID, ViewerID: viewer})
	if err != nil {
		return nil, err
	}
	out := make([]AgentLive, len(rows))
	for i, r := range rows {
		a := AgentLive{ID: r.ID, Name: r.Name, Role: auth.Role(r.Role), Presence: Presence(r.Presence), Since: timePtr(r.PresenceSince),
			Load: r.Load, Capacity: r.Capacity, AutoDistribution: r.AutoDistribution.Bool, Serving: r.Serving, LastSeenAt: timePtr(r.LastSeenAt)}
		if !r.PresenceSince.Valid { // no routing state yet: the defaults
			a.Capacity, a.AutoDistribution = e.opts.DefaultCapacity, true
		}
		if r.PauseReasonID.Valid {
			a.PauseReason = &Ref{ID: r.PauseReasonID.Int64, Name: r.PauseReasonName.String}
		}
		out[i] = a
	}
	return out, nil
}

// TransferTarget is someone a conversation can be transferred to now.
type TransferTarget struct {
	ID       int64    `json:"id"`
	Name     string   `json:"name"`
	Presence Presence `json:"presence"`
	Load     int32    `json:"load"`
	Capacity int32    `json:"capacity"`
}

// TransferTargets lists who can take a conversation the caller may handle:
// the account's people who are ready (or waiting to pause) with a free slot,
// except the one serving it, ordered by name. It is what "@" offers in the
// composer; TransferToAgent still claims the slot, so a target that fills up
// meanwhile answers ErrUnavailable.
func (e *Engine) TransferTargets(ctx context.Context, p auth.Principal, conversationID int64) ([]TransferTarget, error) {
	q := e.db.Read()
	c, err := visible(ctx, q, p, conversationID)
	if err != nil {
		return nil, err
	}
	if err := MayHandle(ctx, q, p, c); err != nil {
		return nil, err
	}
	rows, err := q.ListAgentsLive(ctx, store.ListAgentsLiveParams{AccountID: p.AccountID})
	if err != nil {
		return nil, err
	}
	out := []TransferTarget{}
	for _, r := range rows {
		presence := Presence(r.Presence)
		if r.ID == c.AgentID.Int64 || (presence != Ready && presence != PausePending) || !r.PresenceSince.Valid || r.Load >= r.Capacity {
			continue
		}
		out = append(out, TransferTarget{ID: r.ID, Name: r.Name, Presence: presence, Load: r.Load, Capacity: r.Capacity})
	}
	return out, nil
}

// LastEventSeq is the account's newest event sequence number. A client
// starting afresh may read it before it loads its state through the API and
// open the event stream after it (the workspace does), so that loading its
// state need not wait for the socket; connecting with after=0 starts from
// the same point.
func (e *Engine) LastEventSeq(ctx context.Context, p auth.Principal) (int64, error) {
	return e.db.Read().LastEventSeq(ctx, p.AccountID)
}
