package routing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/store"
)

// Timer kinds. Each is a durable row keyed by (kind, subject): a restart
// loses none, and rescheduling replaces the due time.
const (
	timerOffer       = "offer"       // subject: conversation; the open offer expires
	timerInactivity  = "inactivity"  // subject: conversation; no customer message for the period
	timerAbandonment = "abandonment" // subject: conversation; inactive for the period
	timerDisconnect  = "disconnect"  // subject: agent; the connection stayed lost
)

// claimFor is how long a node owns a fired timer; if it dies, another node
// fires it after this.
const claimFor = time.Minute

// Tick fires every timer due by now and reports how many fired. A timer is
// claimed with a conditional update first, so when several nodes sweep,
// each timer fires on one of them.
func (e *Engine) Tick(ctx context.Context) (int, error) {
	fired := 0
	for {
		now := e.clock.Now()
		due, err := e.db.Read().ListDueTimers(ctx, store.ListDueTimersParams{DueAt: now, Limit: 100})
		if err != nil {
			return fired, fmt.Errorf("list due timers: %w", err)
		}
		if len(due) == 0 {
			return fired, nil
		}
		progress := false
		for _, t := range due {
			n, err := e.db.Write().ClaimTimer(ctx, store.ClaimTimerParams{
				Kind: t.Kind, SubjectID: t.SubjectID, DueAt: t.DueAt, Until: store.Null(now.Add(claimFor)), Now: store.Null(now),
			})
			if err != nil {
				return fired, fmt.Errorf("claim timer %s/%d: %w", t.Kind, t.SubjectID, err)
			}
			if n == 0 {
				continue // another node has it, or it was rescheduled
			}
			progress = true
			if err := e.fire(ctx, t); err != nil {
				e.log.Warn("timer failed; it fires again when its claim runs out", "kind", t.Kind, "subject", t.SubjectID, "err", err)
				continue
			}
			if err := e.db.Write().FinishTimer(ctx, store.FinishTimerParams{Kind: t.Kind, SubjectID: t.SubjectID, DueAt: t.DueAt}); err != nil {
				return fired, err
			}
			fired++
		}
		if !progress {
			return fired, nil
		}
	}
}

// Run sweeps timers every interval until ctx ends.
func (e *Engine) Run(ctx context.Context, interval time.Duration) {
	clock.Every(ctx, interval, func(ctx context.Context) {
		if _, err := e.Tick(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("timer sweep", "err", err)
		}
	})
}

// fire handles one timer. Every handler re-reads the state and does nothing
// when the timer no longer applies.
func (e *Engine) fire(ctx context.Context, t store.Timer) error {
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		now := e.clock.Now()
		if t.Kind == timerDisconnect {
			st, err := q.GetAgentState(ctx, t.SubjectID)
			if err != nil {
				return ignoreMissing(err)
			}
			if Presence(st.Presence) == Offline {
				return nil
			}
			return e.goOffline(ctx, q, fx, st, 0)
		}
		c, err := q.GetConversationByID(ctx, t.SubjectID)
		if err != nil {
			return ignoreMissing(err)
		}
		status := conversation.Status(c.Status)
		switch t.Kind {
		case timerOffer:
			if status != conversation.Queued || !c.OfferAgentID.Valid || c.OfferExpiresAt.Time.After(now) {
				return nil
			}
			return e.refuseOffer(ctx, q, fx, c, "offer_expired", 0)
		case timerInactivity:
			if status != conversation.Active && status != conversation.Waiting {
				return nil
			}
			d, err := q.GetDepartmentRouting(ctx, store.GetDepartmentRoutingParams{AccountID: c.AccountID, ID: c.DepartmentID})
			if err != nil {
				return err
			}
			if due := inactiveAt(c, d); due.After(now) {
				return q.ScheduleTimer(ctx, store.ScheduleTimerParams{Kind: timerInactivity, SubjectID: c.ID, AccountID: c.AccountID, DueAt: due})
			}
			next := c
			next.Status = string(conversation.Inactive)
			if _, err := conversation.Move(ctx, q, now, c, next, conversation.Event{Kind: "inactive", Reason: "no customer message"}); err != nil {
				return err
			}
			fx.Publish(c.AccountID, Event{Kind: "conversation.updated", ConversationID: c.ID, Status: next.Status})
			return q.ScheduleTimer(ctx, store.ScheduleTimerParams{Kind: timerAbandonment, SubjectID: c.ID, AccountID: c.AccountID,
				DueAt: now.Add(time.Duration(d.AbandonmentS) * time.Second)})
		case timerAbandonment:
			if status != conversation.Inactive {
				return nil
			}
			next := c
			next.Status = string(conversation.Abandoned)
			next.ClosedAt = store.Null(now)
			if _, err := conversation.Move(ctx, q, now, c, next, conversation.Event{Kind: "abandoned", Reason: "inactive past the abandonment period"}); err != nil {
				return err
			}
			fx.Publish(c.AccountID, Event{Kind: "conversation.closed", ConversationID: c.ID, AgentID: c.AgentID.Int64, Status: next.Status})
			if c.AgentID.Valid {
				return e.release(ctx, q, fx, c.AgentID.Int64)
			}
			return nil
		}
		return fmt.Errorf("unknown timer kind %q", t.Kind)
	})
}

func ignoreMissing(err error) error {
	if errors.Is(store.Translate(err), store.ErrNotFound) {
		return nil
	}
	return err
}

// inactiveAt is when a conversation becomes inactive without a customer
// message: the department's period after the last one (or after it was
// assigned, when the customer has not written since).
func inactiveAt(c store.Conversation, d store.GetDepartmentRoutingRow) time.Time {
	base := c.OpenedAt
	if c.LastCustomerAt.Valid && c.LastCustomerAt.Time.After(base) {
		base = c.LastCustomerAt.Time
	}
	if c.AssignedAt.Valid && c.AssignedAt.Time.After(base) {
		base = c.AssignedAt.Time
	}
	return base.Add(time.Duration(d.InactivityS) * time.Second)
}

// scheduleInactivity sets the inactivity timer from c as it now is (callers
// pass the conversation as updated in their transaction).
func (e *Engine) scheduleInactivity(ctx context.Context, q *store.Queries, c store.Conversation, d store.GetDepartmentRoutingRow) error {
	return q.ScheduleTimer(ctx, store.ScheduleTimerParams{Kind: timerInactivity, SubjectID: c.ID, AccountID: c.AccountID, DueAt: inactiveAt(c, d)})
}

func cancelLifecycleTimers(ctx context.Context, q *store.Queries, id int64) error {
	for _, kind := range []string{timerOffer, timerInactivity, timerAbandonment} {
		if err := q.CancelTimer(ctx, store.CancelTimerParams{Kind: kind, SubjectID: id}); err != nil {
			return err
		}
	}
	return nil
}
