package routing

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/store"
)

// Department routing settings.
const (
	Auto   = "auto"   // distribution: the engine places conversations
	Manual = "manual" // distribution: agents pull them from the queue

	LeastBusy   = "least_busy"   // policy: fewest conversations, then longest since the last one
	RoundRobin  = "round_robin"  // policy: strict rotation through the members
	LongestIdle = "longest_idle" // policy: longest since the last conversation

	OfferMode  = "offer"  // the agent accepts or declines within the timeout
	DirectMode = "direct" // assigned without asking
)

// queueWindow is how many queued conversations one placement looks at.
const queueWindow = 50

// routeDepartment places queued conversations of a department until none
// can be placed. Each placement is its own transaction.
//
// One router runs per department on this node: a change that comes while it
// runs marks the department dirty and the running router goes round again,
// instead of a crowd of routers racing for the same best agent.
func (e *Engine) routeDepartment(ctx context.Context, accountID, departmentID int64) {
	key := [2]int64{accountID, departmentID}
	e.mu.Lock()
	r := e.routers[key]
	if r == nil {
		r = &router{}
		e.routers[key] = r
	}
	if r.running {
		r.dirty = true
		e.mu.Unlock()
		return
	}
	r.running = true
	e.mu.Unlock()
	for {
		e.placeAll(ctx, accountID, departmentID)
		e.mu.Lock()
		if !r.dirty {
			r.running = false
			e.mu.Unlock()
			return
		}
		r.dirty = false
		e.mu.Unlock()
	}
}

// router is the state of one department's router on this node.
type router struct {
	running, dirty bool
}

func (e *Engine) placeAll(ctx context.Context, accountID, departmentID int64) {
	for {
		placed := false
		err := e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
			var err error
			placed, err = e.placeNext(ctx, q, fx, accountID, departmentID)
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("routing: place conversation", "department", departmentID, "err", err)
			}
			return
		}
		if !placed {
			return
		}
	}
}

// placeNext offers or assigns one queued conversation of the department to
// an eligible agent, and reports whether it did.
func (e *Engine) placeNext(ctx context.Context, q *store.Queries, fx *Effects, accountID, departmentID int64) (bool, error) {
	d, err := q.GetDepartmentRouting(ctx, store.GetDepartmentRoutingParams{AccountID: accountID, ID: departmentID})
	if err != nil {
		if errors.Is(store.Translate(err), store.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	if d.Distribution != Auto {
		return false, nil
	}
	queue, err := q.ListQueued(ctx, store.ListQueuedParams{AccountID: accountID, DepartmentID: departmentID, Limit: queueWindow})
	if err != nil || len(queue) == 0 {
		return false, err
	}
	candidates, err := q.ListCandidates(ctx, store.ListCandidatesParams{AccountID: accountID, DepartmentID: departmentID})
	if err != nil || len(candidates) == 0 {
		return false, err
	}
	now := e.clock.Now()
	for _, c := range queue {
		for len(candidates) > 0 {
			agent, bound, err := e.choose(ctx, q, d, c, candidates)
			if err != nil {
				return false, err
			}
			if agent == 0 {
				break
			}
			turn := store.Null(now)
			if bound {
				turn = store.NullTime{} // out of turn: the bound agent keeps their turn
			}
			n, err := q.ClaimSlot(ctx, store.ClaimSlotParams{UserID: agent, TurnAt: turn})
			if err != nil {
				return false, err
			}
			if n == 0 { // filled or left meanwhile (another node): try someone else
				candidates = without(candidates, agent)
				continue
			}
			if d.Policy == RoundRobin && !bound {
				if err := q.SetRoundRobinCursor(ctx, store.SetRoundRobinCursorParams{ID: d.ID, RrCursor: agent}); err != nil {
					return false, err
				}
			}
			if d.OfferMode == DirectMode {
				_, err = e.assign(ctx, q, fx, d, c, agent, conversation.Event{Kind: "assigned"})
			} else {
				err = e.offer(ctx, q, fx, d, c, agent, now)
			}
			return err == nil, err
		}
	}
	return false, nil
}

func without(cands []store.ListCandidatesRow, agent int64) []store.ListCandidatesRow {
	out := cands[:0:0]
	for _, c := range cands {
		if c.UserID != agent {
			out = append(out, c)
		}
	}
	return out
}

// choose picks the agent for conversation c among the candidates: the bound
// agent when the department binds and they are eligible, otherwise the first
// by the department's policy. Agents who declined or let an offer expire are
// skipped while anyone else is eligible; when nobody else is, the refusals
// are forgotten and the conversation is offered to them again.
func (e *Engine) choose(ctx context.Context, q *store.Queries, d store.GetDepartmentRoutingRow, c store.Conversation, candidates []store.ListCandidatesRow) (agent int64, bound bool, err error) {
	refusals, err := q.ListOfferRefusals(ctx, c.ID)
	if err != nil {
		return 0, false, err
	}
	refused := map[int64]bool{}
	for _, a := range refusals {
		refused[a] = true
	}
	var eligible []store.ListCandidatesRow
	for _, cand := range candidates {
		if !refused[cand.UserID] {
			eligible = append(eligible, cand)
		}
	}
	if len(eligible) == 0 {
		if err := q.ClearOfferRefusals(ctx, c.ID); err != nil {
			return 0, false, err
		}
		eligible = candidates
	}
	if d.Binding {
		b, err := q.GetBinding(ctx, store.GetBindingParams{DepartmentID: d.ID, ContactID: c.ContactID})
		if err == nil {
			for _, cand := range eligible {
				if cand.UserID == b.AgentID {
					return b.AgentID, true, nil
				}
			}
		} else if !errors.Is(store.Translate(err), store.ErrNotFound) {
			return 0, false, err
		}
	}
	return pick(d.Policy, d.RrCursor, eligible), false, nil
}

// pick orders eligible agents by policy and returns the first.
func pick(policy string, cursor int64, eligible []store.ListCandidatesRow) int64 {
	if len(eligible) == 0 {
		return 0
	}
	// Never assigned sorts first, then the earliest last assignment.
	idle := func(a, b store.NullTime) int {
		switch {
		case a.Valid != b.Valid && !a.Valid:
			return -1
		case a.Valid != b.Valid:
			return 1
		}
		return a.Time.Compare(b.Time)
	}
	sorted := append([]store.ListCandidatesRow(nil), eligible...)
	switch policy {
	case RoundRobin:
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].UserID < sorted[j].UserID })
		for _, c := range sorted {
			if c.UserID > cursor {
				return c.UserID
			}
		}
		return sorted[0].UserID
	case LongestIdle:
		sort.SliceStable(sorted, func(i, j int) bool {
			if c := idle(sorted[i].LastAssignedAt, sorted[j].LastAssignedAt); c != 0 {
				return c < 0
			}
			return sorted[i].UserID < sorted[j].UserID
		})
	default: // least busy, then longest idle
		sort.SliceStable(sorted, func(i, j int) bool {
			if sorted[i].Load != sorted[j].Load {
				return sorted[i].Load < sorted[j].Load
			}
			if c := idle(sorted[i].LastAssignedAt, sorted[j].LastAssignedAt); c != 0 {
				return c < 0
			}
			return sorted[i].UserID < sorted[j].UserID
		})
	}
	return sorted[0].UserID
}

// offer puts an open offer to agent on queued conversation c; the agent's
// slot is already claimed.
func (e *Engine) offer(ctx context.Context, q *store.Queries, fx *Effects, d store.GetDepartmentRoutingRow, c store.Conversation, agent int64, now time.Time) error {
	next := c
	next.OfferAgentID = store.NullID(agent)
	next.OfferExpiresAt = store.Null(now.Add(time.Duration(d.OfferTimeoutS) * time.Second))
	if _, err := conversation.Move(ctx, q, now, c, next, conversation.Event{Kind: "offered"}); err != nil {
		return err
	}
	if err := q.ScheduleTimer(ctx, store.ScheduleTimerParams{Kind: timerOffer, SubjectID: c.ID, AccountID: c.AccountID, DueAt: next.OfferExpiresAt.Time}); err != nil {
		return err
	}
	fx.Publish(c.AccountID, Event{Kind: "conversation.offered", ConversationID: c.ID, AgentID: agent, DepartmentID: c.DepartmentID})
	return nil
}

// assign makes agent serve c (queued) now; the agent's slot is already
// claimed. It creates the contact's binding in the department when it binds
// and none exists, and tells a bound agent who served instead.
func (e *Engine) assign(ctx context.Context, q *store.Queries, fx *Effects, d store.GetDepartmentRoutingRow, c store.Conversation, agent int64, ev conversation.Event) (store.Conversation, error) {
	now := e.clock.Now()
	next := c
	next.Status = string(conversation.Active)
	next.AgentID = store.NullID(agent)
	next.AssignedAt = store.Null(now)
	next.OfferAgentID, next.OfferExpiresAt = store.NullInt64{}, store.NullTime{}
	c, err := conversation.Move(ctx, q, now, c, next, ev)
	if err != nil {
		return c, err
	}
	if err := q.ClearOfferRefusals(ctx, c.ID); err != nil {
		return c, err
	}
	if err := q.CancelTimer(ctx, store.CancelTimerParams{Kind: timerOffer, SubjectID: c.ID}); err != nil {
		return c, err
	}
	if err := e.scheduleInactivity(ctx, q, c, d); err != nil {
		return c, err
	}
	if d.Binding && d.Distribution == Auto {
		if err := e.bind(ctx, q, fx, c, agent, now); err != nil {
			return c, err
		}
	}
	fx.Publish(c.AccountID, Event{Kind: "conversation.assigned", ConversationID: c.ID, AgentID: agent, DepartmentID: c.DepartmentID})
	return c, nil
}

func (e *Engine) bind(ctx context.Context, q *store.Queries, fx *Effects, c store.Conversation, agent int64, now time.Time) error {
	b, err := q.GetBinding(ctx, store.GetBindingParams{DepartmentID: c.DepartmentID, ContactID: c.ContactID})
	switch {
	case errors.Is(store.Translate(err), store.ErrNotFound):
		identified, err := q.ContactIsIdentified(ctx, c.ContactID)
		if err != nil || identified == 0 {
			return err // anonymous contacts never bind
		}
		_, err = q.CreateBindingIfAbsent(ctx, store.CreateBindingIfAbsentParams{
			AccountID: c.AccountID, DepartmentID: c.DepartmentID, ContactID: c.ContactID, AgentID: agent, CreatedAt: now,
		})
		return err
	case err != nil:
		return err
	case b.AgentID != agent:
		body, _ := json.Marshal(map[string]any{"conversation_id": c.ID, "protocol": c.Protocol, "contact_id": c.ContactID, "served_by": agent, "department_id": c.DepartmentID})
		if err := q.InsertNotification(ctx, store.InsertNotificationParams{
			AccountID: c.AccountID, UserID: b.AgentID, Kind: "binding.served_by_other", Body: string(body), CreatedAt: now,
		}); err != nil {
			return err
		}
		fx.Publish(c.AccountID, Event{Kind: "notification.created", AgentID: b.AgentID, ConversationID: c.ID})
	}
	return nil
}
