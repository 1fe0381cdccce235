package routing

import (
	"context"
	"errors"
	"fmt"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Presence is an agent's availability.
type Presence string

const (
	Offline  Presence = "offline"
	NotReady Presence = "not_ready"
	Ready    Presence = "ready"
	Paused   Presence = "paused"
	// PausePending: asked to pause while serving. Nothing new arrives; the
	// pause starts when the last conversation ends.
	PausePending Presence = "pause_pending"
)

var errPresenceChanged = errors.New("agent state changed meanwhile")

// agentState reads the agent's routing state, creating it (offline) on first
// use.
func (e *Engine) agentState(ctx context.Context, q *store.Queries, accountID, userID int64) (store.AgentState, error) {
	st, err := q.GetAgentState(ctx, userID)
	if err == nil {
		return st, nil
	}
	if !errors.Is(store.Translate(err), store.ErrNotFound) {
		return st, err
	}
	if err := q.EnsureAgentState(ctx, store.EnsureAgentStateParams{UserID: userID, AccountID: accountID, PresenceSince: e.clock.Now(), Capacity: e.opts.DefaultCapacity}); err != nil {
		return st, err
	}
	return q.GetAgentState(ctx, userID)
}

// setPresence changes presence when the state is still as read, and logs it.
func (e *Engine) setPresence(ctx context.Context, q *store.Queries, fx *Effects, st store.AgentState, p Presence, reason int64) error {
	now := e.clock.Now()
	n, err := q.SetPresence(ctx, store.SetPresenceParams{UserID: st.UserID, Presence: string(p), PauseReasonID: store.NullID(reason), Since: now, ExpectVersion: st.Version})
	if err != nil {
		return err
	}
	if n == 0 {
		return errPresenceChanged
	}
	if err := q.InsertPresenceLog(ctx, store.InsertPresenceLogParams{AccountID: st.AccountID, UserID: st.UserID, Presence: string(p), PauseReasonID: store.NullID(reason), At: now}); err != nil {
		return err
	}
	fx.Publish(st.AccountID, Event{Kind: "agent.presence", AgentID: st.UserID, Status: string(p)})
	return nil
}

// SetPresence is the agent choosing ready, not ready, a pause (with its
// reason) or offline (logging off). A pause asked while serving becomes
// pause_pending and starts when the last conversation ends; logging off
// returns the agent's conversations to the queue.
func (e *Engine) SetPresence(ctx context.Context, p auth.Principal, want Presence, pauseReasonID int64) error {
	if want != Paused && pauseReasonID != 0 {
		return validate.Errorf("pause_reason_id", "goes only with the paused presence")
	}
	if want == Paused && pauseReasonID == 0 {
		return validate.Errorf("pause_reason_id", "is required to pause")
	}
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		st, err := e.agentState(ctx, q, p.AccountID, p.UserID)
		if err != nil {
			return err
		}
		switch want {
		case Ready:
			fx.Freed(p.UserID)
			return e.setPresence(ctx, q, fx, st, Ready, 0)
		case NotReady:
			return e.setPresence(ctx, q, fx, st, NotReady, 0)
		case Paused:
			if _, err := q.GetPauseReason(ctx, store.GetPauseReasonParams{AccountID: p.AccountID, ID: pauseReasonID}); err != nil {
				if errors.Is(store.Translate(err), store.ErrNotFound) {
					return validate.Errorf("pause_reason_id", "is not one of the account's pause reasons")
				}
				return err
			}
			if st.Load > 0 {
				return e.setPresence(ctx, q, fx, st, PausePending, pauseReasonID)
			}
			return e.setPresence(ctx, q, fx, st, Paused, pauseReasonID)
		case Offline:
			return e.goOffline(ctx, q, fx, st, p.UserID)
		}
		return validate.Errorf("presence", "must be ready, not_ready, paused or offline")
	})
}

// goOffline takes the agent offline: open offers are withdrawn and the
// conversations they serve return to the queue at their original place,
// ahead of newer ones, to be continued by another agent.
func (e *Engine) goOffline(ctx context.Context, q *store.Queries, fx *Effects, st store.AgentState, actor int64) error {
	now := e.clock.Now()
	offers, err := q.ListAgentOffers(ctx, store.NullID(st.UserID))
	if err != nil {
		return err
	}
	for _, c := range offers {
		next := c
		next.OfferAgentID, next.OfferExpiresAt = store.NullInt64{}, store.NullTime{}
		if _, err := conversation.Move(ctx, q, now, c, next, conversation.Event{Kind: "offer_withdrawn", ActorID: actor, Reason: "agent went offline"}); err != nil {
			return err
		}
		if err := q.CancelTimer(ctx, store.CancelTimerParams{Kind: timerOffer, SubjectID: c.ID}); err != nil {
			return err
		}
		fx.Publish(c.AccountID, Event{Kind: "conversation.offer_withdrawn", ConversationID: c.ID, AgentID: st.UserID})
		fx.Route(c.AccountID, c.DepartmentID)
	}
	serving, err := q.ListAgentConversations(ctx, store.NullID(st.UserID))
	if err != nil {
		return err
	}
	for _, c := range serving {
		next := c
		next.Status = string(conversation.Queued)
		next.AgentID = store.NullInt64{}
		if _, err := conversation.Move(ctx, q, now, c, next, conversation.Event{Kind: "returned_to_queue", ActorID: actor, Reason: "agent went offline"}); err != nil {
			return err
		}
		fx.Publish(c.AccountID, Event{Kind: "conversation.queued", ConversationID: c.ID, DepartmentID: c.DepartmentID})
		fx.Route(c.AccountID, c.DepartmentID)
	}
	if err := q.ResetLoad(ctx, st.UserID); err != nil {
		return err
	}
	if err := q.CancelTimer(ctx, store.CancelTimerParams{Kind: timerDisconnect, SubjectID: st.UserID}); err != nil {
		return err
	}
	st, err = q.GetAgentState(ctx, st.UserID)
	if err != nil {
		return err
	}
	if Presence(st.Presence) == Offline {
		return nil
	}
	return e.setPresence(ctx, q, fx, st, Offline, 0)
}

// Connected tells the engine an agent's connection is up: a pending
// disconnect is called off.
func (e *Engine) Connected(ctx context.Context, p auth.Principal) error {
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		if _, err := e.agentState(ctx, q, p.AccountID, p.UserID); err != nil {
			return err
		}
		if err := q.SeenAgent(ctx, store.SeenAgentParams{UserID: p.UserID, LastSeenAt: store.Null(e.clock.Now())}); err != nil {
			return err
		}
		return q.CancelTimer(ctx, store.CancelTimerParams{Kind: timerDisconnect, SubjectID: p.UserID})
	})
}

// Disconnected tells the engine an agent's last connection dropped: unless
// they reconnect within the grace period, they go offline.
func (e *Engine) Disconnected(ctx context.Context, p auth.Principal) error {
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		if _, err := e.agentState(ctx, q, p.AccountID, p.UserID); err != nil {
			return err
		}
		return q.ScheduleTimer(ctx, store.ScheduleTimerParams{Kind: timerDisconnect, SubjectID: p.UserID, AccountID: p.AccountID, DueAt: e.clock.Now().Add(e.opts.DisconnectGrace)})
	})
}

// SetAgentRouting sets an agent's capacity and whether they take automatic
// distribution. Administrators set anyone's; supervisors those of agents in
// their departments.
func (e *Engine) SetAgentRouting(ctx context.Context, p auth.Principal, userID int64, capacity int32, auto bool) error {
	if capacity < 1 || capacity > 100 {
		return validate.Errorf("capacity", "must be between 1 and 100")
	}
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		if _, err := q.GetUser(ctx, store.GetUserParams{AccountID: p.AccountID, ID: userID}); err != nil {
			return fmt.Errorf("user %d: %w", userID, err)
		}
		if err := mayManageAgent(ctx, q, p, userID); err != nil {
			return err
		}
		if _, err := e.agentState(ctx, q, p.AccountID, userID); err != nil {
			return err
		}
		n, err := q.SetAgentRouting(ctx, store.SetAgentRoutingParams{UserID: userID, Capacity: capacity, AutoDistribution: auto})
		if err != nil {
			return err
		}
		if n == 0 {
			return validate.Errorf("capacity", "the agent is serving more than %d conversations now; lower it once some are closed", capacity)
		}
		fx.Freed(userID)
		return e.audit(ctx, q, p, "user.routing", "user", userID, map[string]any{"capacity": capacity, "auto_distribution": auto})
	})
}

// AgentRouting is how a person takes conversations: how many at once, and
// whether automatic distribution gives them any.
type AgentRouting struct {
	Capacity         int32 `json:"capacity"`
	AutoDistribution bool  `json:"auto_distribution"`
}

// AgentRoutingOf returns a person's routing settings (the defaults for
// someone who never had any): to themselves, to administrators, and to the
// supervisors who may change them (SetAgentRouting).
func (e *Engine) AgentRoutingOf(ctx context.Context, p auth.Principal, userID int64) (AgentRouting, error) {
	q := e.db.Read()
	if _, err := q.GetUser(ctx, store.GetUserParams{AccountID: p.AccountID, ID: userID}); err != nil {
		return AgentRouting{}, fmt.Errorf("user %d: %w", userID, store.Translate(err))
	}
	if userID != p.UserID {
		if err := mayManageAgent(ctx, q, p, userID); err != nil {
			return AgentRouting{}, err
		}
	}
	st, err := q.GetAgentState(ctx, userID)
	if errors.Is(store.Translate(err), store.ErrNotFound) {
		return AgentRouting{Capacity: e.opts.DefaultCapacity, AutoDistribution: true}, nil
	}
	if err != nil {
		return AgentRouting{}, err
	}
	return AgentRouting{Capacity: st.Capacity, AutoDistribution: st.AutoDistribution}, nil
}

// release frees one of the agent's slots; an agent waiting to pause whose
// last conversation ended starts the pause.
func (e *Engine) release(ctx context.Context, q *store.Queries, fx *Effects, agentID int64) error {
	if _, err := q.ReleaseSlot(ctx, agentID); err != nil {
		return err
	}
	st, err := q.GetAgentState(ctx, agentID)
	if err != nil {
		return err
	}
	if Presence(st.Presence) == PausePending && st.Load == 0 {
		return e.setPresence(ctx, q, fx, st, Paused, st.PauseReasonID.Int64)
	}
	fx.Freed(agentID)
	return nil
}
