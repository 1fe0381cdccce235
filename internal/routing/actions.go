package routing

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

var (
	// ErrUnavailable: the agent cannot take the conversation (not ready, no
	// free slot, or not in the department).
	ErrUnavailable = errors.New("agent is not available")
	// ErrOfferGone: the offer expired, was declined or was withdrawn.
	ErrOfferGone = errors.New("the offer is no longer open")
)

// conversationFor loads an account's conversation with its department's
// routing settings.
func conversationFor(ctx context.Context, q *store.Queries, accountID, id int64) (store.Conversation, store.GetDepartmentRoutingRow, error) {
	c, err := q.GetConversation(ctx, store.GetConversationParams{AccountID: accountID, ID: id})
	if err != nil {
		return c, store.GetDepartmentRoutingRow{}, fmt.Errorf("conversation %d: %w", id, err)
	}
	d, err := q.GetDepartmentRouting(ctx, store.GetDepartmentRoutingParams{AccountID: accountID, ID: c.DepartmentID})
	if err != nil {
		return c, d, fmt.Errorf("department %d of conversation %d: %w", c.DepartmentID, id, err)
	}
	return c, d, nil
}

func isMember(ctx context.Context, q *store.Queries, accountID, departmentID, userID int64) (bool, error) {
	n, err := q.IsDepartmentMember(ctx, store.IsDepartmentMemberParams{AccountID: accountID, DepartmentID: departmentID, UserID: userID})
	return n > 0, err
}

// mayHandle: the assigned agent, a supervisor of the department or an
// administrator may act on a conversation.
func mayHandle(ctx context.Context, q *store.Queries, p auth.Principal, c store.Conversation) error {
	if p.IsAdmin() || (c.AgentID.Valid && c.AgentID.Int64 == p.UserID) {
		return nil
	}
	if p.Role == auth.Supervisor {
		ok, err := isMember(ctx, q, p.AccountID, c.DepartmentID, p.UserID)
		if err != nil || ok {
			return err
		}
	}
	return fmt.Errorf("%w: only the assigned agent or a supervisor of the department may do this", auth.ErrForbidden)
}

// handled loads a conversation of the caller's account that they may act on.
func handled(ctx context.Context, q *store.Queries, p auth.Principal, id int64) (store.Conversation, error) {
	c, err := q.GetConversation(ctx, store.GetConversationParams{AccountID: p.AccountID, ID: id})
	if err != nil {
		return c, fmt.Errorf("conversation %d: %w", id, err)
	}
	return c, mayHandle(ctx, q, p, c)
}

// served loads a conversation being served (active, waiting or inactive)
// that the caller may act on, with its department's settings.
func served(ctx context.Context, q *store.Queries, p auth.Principal, id int64) (store.Conversation, store.GetDepartmentRoutingRow, error) {
	c, d, err := conversationFor(ctx, q, p.AccountID, id)
	if err != nil {
		return c, d, err
	}
	if err := mayHandle(ctx, q, p, c); err != nil {
		return c, d, err
	}
	if !conversation.Status(c.Status).Assigned() {
		return c, d, fmt.Errorf("conversation %d is %s: %w", c.ID, c.Status, conversation.ErrNotAllowed)
	}
	return c, d, nil
}

// mayManageAgent: administrators, or supervisors sharing a department with
// the agent.
func mayManageAgent(ctx context.Context, q *store.Queries, p auth.Principal, userID int64) error {
	if p.IsAdmin() {
		return nil
	}
	if p.Role == auth.Supervisor {
		mine, err := q.ListAgentDepartments(ctx, p.UserID)
		if err != nil {
			return err
		}
		theirs, err := q.ListAgentDepartments(ctx, userID)
		if err != nil {
			return err
		}
		for _, a := range mine {
			for _, b := range theirs {
				if a == b {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("%w: only administrators and the agent's supervisors may do this", auth.ErrForbidden)
}

// Accept takes the offer made to the caller.
func (e *Engine) Accept(ctx context.Context, p auth.Principal, conversationID int64) error {
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		c, d, err := conversationFor(ctx, q, p.AccountID, conversationID)
		if err != nil {
			return err
		}
		if c.Status != string(conversation.Queued) || !c.OfferAgentID.Valid || c.OfferAgentID.Int64 != p.UserID {
			return offerGone(ctx, q, p, c)
		}
		_, err = e.assign(ctx, q, fx, d, c, p.UserID, conversation.Event{Kind: "accepted", ActorID: p.UserID})
		return err
	})
}

// Decline refuses the offer made to the caller: it goes to the next eligible
// agent, and back to the caller only when nobody else can take it.
func (e *Engine) Decline(ctx context.Context, p auth.Principal, conversationID int64) error {
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		c, err := q.GetConversation(ctx, store.GetConversationParams{AccountID: p.AccountID, ID: conversationID})
		if err != nil {
			return fmt.Errorf("conversation %d: %w", conversationID, err)
		}
		if c.Status != string(conversation.Queued) || !c.OfferAgentID.Valid || c.OfferAgentID.Int64 != p.UserID {
			return offerGone(ctx, q, p, c)
		}
		return e.refuseOffer(ctx, q, fx, c, "offer_declined", p.UserID)
	})
}

// offerGone explains why the caller holds no offer on c: it is gone
// (expired, declined, withdrawn, taken) for members of its department, who
// could have been offered it; for anybody else the conversation is none of
// their business.
func offerGone(ctx context.Context, q *store.Queries, p auth.Principal, c store.Conversation) error {
	member, err := isMember(ctx, q, p.AccountID, c.DepartmentID, p.UserID)
	if err != nil {
		return err
	}
	if !member && !p.IsAdmin() {
		return fmt.Errorf("%w: conversation %d is not offered to you", auth.ErrForbidden, c.ID)
	}
	return fmt.Errorf("conversation %d: %w", c.ID, ErrOfferGone)
}

// refuseOffer ends an open offer (declined or expired) and frees the slot it
// held.
func (e *Engine) refuseOffer(ctx context.Context, q *store.Queries, fx *Effects, c store.Conversation, kind string, actor int64) error {
	agent := c.OfferAgentID.Int64
	next := c
	next.OfferAgentID, next.OfferExpiresAt = store.NullInt64{}, store.NullTime{}
	if _, err := conversation.Move(ctx, q, e.clock.Now(), c, next, conversation.Event{Kind: kind, ActorID: actor}); err != nil {
		return err
	}
	if err := q.AddOfferRefusal(ctx, store.AddOfferRefusalParams{ConversationID: c.ID, AgentID: agent}); err != nil {
		return err
	}
	if err := q.CancelTimer(ctx, store.CancelTimerParams{Kind: timerOffer, SubjectID: c.ID}); err != nil {
		return err
	}
	fx.Publish(c.AccountID, Event{Kind: "conversation.offer_withdrawn", ConversationID: c.ID, AgentID: agent})
	fx.Route(c.AccountID, c.DepartmentID)
	return e.release(ctx, q, fx, agent)
}

// Pull is an agent taking a queued conversation of their department by hand.
func (e *Engine) Pull(ctx context.Context, p auth.Principal, conversationID int64) error {
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		c, d, err := conversationFor(ctx, q, p.AccountID, conversationID)
		if err != nil {
			return err
		}
		member, err := isMember(ctx, q, p.AccountID, c.DepartmentID, p.UserID)
		if err != nil {
			return err
		}
		if !member {
			return fmt.Errorf("%w: only members of the department pull from its queue", auth.ErrForbidden)
		}
		if c.Status != string(conversation.Queued) || c.OfferAgentID.Valid {
			return fmt.Errorf("conversation %d is %s: %w", c.ID, c.Status, conversation.ErrNotAllowed)
		}
		if _, err := e.agentState(ctx, q, p.AccountID, p.UserID); err != nil {
			return err
		}
		n, err := q.ClaimSlotForPull(ctx, store.ClaimSlotForPullParams{UserID: p.UserID, LastAssignedAt: store.Null(e.clock.Now())})
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: no free slot, or not at work (ready or not ready)", ErrUnavailable)
		}
		_, err = e.assign(ctx, q, fx, d, c, p.UserID, conversation.Event{Kind: "pulled", ActorID: p.UserID})
		return err
	})
}

// TransferToAgent hands a conversation being served to another agent, who
// must be ready (or waiting to pause) with a free slot.
func (e *Engine) TransferToAgent(ctx context.Context, p auth.Principal, conversationID, agentID int64, note string) error {
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		c, d, err := served(ctx, q, p, conversationID)
		if err != nil {
			return err
		}
		if c.AgentID.Int64 == agentID {
			return validate.Errorf("agent_id", "the conversation is already with this agent")
		}
		if _, err := q.GetUser(ctx, store.GetUserParams{AccountID: p.AccountID, ID: agentID}); err != nil {
			return fmt.Errorf("agent %d: %w", agentID, err)
		}
		if _, err := e.agentState(ctx, q, p.AccountID, agentID); err != nil {
			return err
		}
		now := e.clock.Now()
		n, err := q.ClaimSlotForTransfer(ctx, store.ClaimSlotForTransferParams{UserID: agentID, LastAssignedAt: store.Null(now)})
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: the agent must be ready with a free slot", ErrUnavailable)
		}
		from := c.AgentID.Int64
		next := c
		next.AgentID = store.NullID(agentID)
		next.AssignedAt = store.Null(now)
		if c, err = conversation.Move(ctx, q, now, c, next, conversation.Event{Kind: "transferred", ActorID: p.UserID, Reason: note}); err != nil {
			return err
		}
		if err := e.transferNote(ctx, q, p, c, note, now); err != nil {
			return err
		}
		if err := e.scheduleInactivity(ctx, q, c, d); err != nil {
			return err
		}
		fx.Publish(c.AccountID, Event{Kind: "conversation.transferred", ConversationID: c.ID, AgentID: agentID, DepartmentID: c.DepartmentID})
		return e.release(ctx, q, fx, from)
	})
}

// TransferToDepartment puts a conversation in another department's queue.
// It keeps its original queue time, so it does not go behind newer ones.
func (e *Engine) TransferToDepartment(ctx context.Context, p auth.Principal, conversationID, departmentID int64, note string) error {
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		c, err := handled(ctx, q, p, conversationID)
		if err != nil {
			return err
		}
		status := conversation.Status(c.Status)
		if !status.Assigned() && status != conversation.Queued {
			return fmt.Errorf("conversation %d is %s: %w", c.ID, c.Status, conversation.ErrNotAllowed)
		}
		if _, err := q.GetDepartmentRouting(ctx, store.GetDepartmentRoutingParams{AccountID: p.AccountID, ID: departmentID}); err != nil {
			return fmt.Errorf("department %d: %w", departmentID, err)
		}
		if c.OfferAgentID.Valid { // an open offer ends with the move
			if err := e.refuseOffer(ctx, q, fx, c, "offer_withdrawn", p.UserID); err != nil {
				return err
			}
			if c, err = q.GetConversation(ctx, store.GetConversationParams{AccountID: p.AccountID, ID: conversationID}); err != nil {
				return err
			}
		}
		now := e.clock.Now()
		from := c.AgentID
		next := c
		next.Status = string(conversation.Queued)
		next.AgentID = store.NullInt64{}
		next.DepartmentID = departmentID
		if c, err = conversation.Move(ctx, q, now, c, next, conversation.Event{Kind: "transferred", ActorID: p.UserID, Reason: note}); err != nil {
			return err
		}
		if err := q.ClearOfferRefusals(ctx, c.ID); err != nil {
			return err
		}
		if err := e.transferNote(ctx, q, p, c, note, now); err != nil {
			return err
		}
		fx.Publish(c.AccountID, Event{Kind: "conversation.transferred", ConversationID: c.ID, DepartmentID: departmentID})
		fx.Route(c.AccountID, departmentID)
		if from.Valid {
			return e.release(ctx, q, fx, from.Int64)
		}
		return nil
	})
}

// transferNote keeps the note that goes with a transfer as an internal note.
func (e *Engine) transferNote(ctx context.Context, q *store.Queries, p auth.Principal, c store.Conversation, note string, now time.Time) error {
	if note == "" {
		return nil
	}
	_, err := conversation.Append(ctx, q, now, conversation.NewMessage{
		AccountID: c.AccountID, ConversationID: c.ID, Direction: conversation.Note, SenderType: "agent", SenderID: p.UserID, Body: note,
	})
	return err
}

// Park leaves a conversation waiting for the customer; their next message
// makes it active again.
func (e *Engine) Park(ctx context.Context, p auth.Principal, conversationID int64) error {
	return e.setServing(ctx, p, conversationID, conversation.Active, conversation.Waiting, "parked")
}

// Resume takes a waiting conversation back to active.
func (e *Engine) Resume(ctx context.Context, p auth.Principal, conversationID int64) error {
	return e.setServing(ctx, p, conversationID, conversation.Waiting, conversation.Active, "resumed")
}

func (e *Engine) setServing(ctx context.Context, p auth.Principal, id int64, from, to conversation.Status, kind string) error {
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		c, err := handled(ctx, q, p, id)
		if err != nil {
			return err
		}
		if conversation.Status(c.Status) != from {
			return fmt.Errorf("conversation %d is %s, not %s: %w", c.ID, c.Status, from, conversation.ErrNotAllowed)
		}
		next := c
		next.Status = string(to)
		if _, err := conversation.Move(ctx, q, e.clock.Now(), c, next, conversation.Event{Kind: kind, ActorID: p.UserID}); err != nil {
			return err
		}
		fx.Publish(c.AccountID, Event{Kind: "conversation.updated", ConversationID: c.ID, Status: string(to)})
		return nil
	})
}

// CloseInput is how an agent finishes a conversation.
type CloseInput struct {
	ReasonID         int64
	Resolved         *bool
	ExternalProtocol string
}

// maxExternalProtocol is the length limit of an external protocol.
const maxExternalProtocol = 13

// Close finishes a conversation being served: with a close reason and
// "resolved?" when the department requires them, and an external protocol
// when the account requires one. The freed slot is routed at once.
func (e *Engine) Close(ctx context.Context, p auth.Principal, conversationID int64, in CloseInput) error {
	if utf8.RuneCountInString(in.ExternalProtocol) > maxExternalProtocol {
		return validate.Errorf("external_protocol", "must be at most %d characters", maxExternalProtocol)
	}
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		c, d, err := served(ctx, q, p, conversationID)
		if err != nil {
			return err
		}
		if d.CloseReasonRequired {
			if in.ReasonID == 0 {
				return validate.Errorf("close_reason_id", "is required in this department")
			}
			if in.Resolved == nil {
				return validate.Errorf("resolved", "is required in this department")
			}
		}
		if in.ReasonID != 0 {
			r, err := q.GetCloseReason(ctx, store.GetCloseReasonParams{AccountID: p.AccountID, ID: in.ReasonID})
			if err != nil || !r.Active || (r.DepartmentID.Valid && r.DepartmentID.Int64 != c.DepartmentID) {
				return validate.Errorf("close_reason_id", "is not a close reason of this department")
			}
		}
		acc, err := q.GetAccountSettings(ctx, p.AccountID)
		if err != nil {
			return err
		}
		if acc.ExternalProtocolRequired && in.ExternalProtocol == "" {
			return validate.Errorf("external_protocol", "is required by the account")
		}
		now := e.clock.Now()
		next := c
		next.Status = string(conversation.Closed)
		next.ClosedAt = store.Null(now)
		next.CloseReasonID = store.NullID(in.ReasonID)
		if in.Resolved != nil {
			next.Resolved = store.NullBool{Bool: *in.Resolved, Valid: true}
		}
		next.ExternalProtocol = in.ExternalProtocol
		if c, err = conversation.Move(ctx, q, now, c, next, conversation.Event{Kind: "closed", ActorID: p.UserID}); err != nil {
			return err
		}
		if err := cancelLifecycleTimers(ctx, q, c.ID); err != nil {
			return err
		}
		fx.Publish(c.AccountID, Event{Kind: "conversation.closed", ConversationID: c.ID, AgentID: c.AgentID.Int64, DepartmentID: c.DepartmentID})
		return e.release(ctx, q, fx, c.AgentID.Int64)
	})
}

// CustomerMessage applies a customer's message to its conversation, inside
// the transaction that stored it: a waiting or inactive conversation becomes
// active again with the same agent, and the inactivity clock restarts.
func (e *Engine) CustomerMessage(ctx context.Context, q *store.Queries, fx *Effects, c store.Conversation) (store.Conversation, error) {
	now := e.clock.Now()
	status := conversation.Status(c.Status)
	resumed := status == conversation.Waiting || status == conversation.Inactive
	if resumed {
		next := c
		next.Status = string(conversation.Active)
		var err error
		if c, err = conversation.Move(ctx, q, now, c, next, conversation.Event{Kind: "resumed", Reason: "customer message"}); err != nil {
			return c, err
		}
		if err := q.CancelTimer(ctx, store.CancelTimerParams{Kind: timerAbandonment, SubjectID: c.ID}); err != nil {
			return c, err
		}
		fx.Publish(c.AccountID, Event{Kind: "conversation.updated", ConversationID: c.ID, Status: c.Status})
	}
	c.LastCustomerAt = store.Null(now)
	// An active conversation already has its inactivity timer (set when it
	// was assigned), which finds this message when it fires and sets itself
	// again from it; only a conversation woken up here needs one now. That
	// keeps a write per message off SQLite's single writer.
	if resumed && conversation.Status(c.Status).Assigned() {
		d, err := q.GetDepartmentRouting(ctx, store.GetDepartmentRoutingParams{AccountID: c.AccountID, ID: c.DepartmentID})
		if err != nil {
			return c, err
		}
		if err := e.scheduleInactivity(ctx, q, c, d); err != nil {
			return c, err
		}
	}
	return c, nil
}

// Enqueued routes a conversation that just joined a queue, once the
// transaction commits.
func (e *Engine) Enqueued(fx *Effects, c store.Conversation) {
	fx.Publish(c.AccountID, Event{Kind: "conversation.queued", ConversationID: c.ID, DepartmentID: c.DepartmentID})
	fx.Route(c.AccountID, c.DepartmentID)
}

// Invited places a conversation just opened in answer to an agent's
// proactive invitation, inside the transaction that opened it: straight to
// that agent when they belong to its department and are at work (ready or
// not ready) with a free slot, as if they had pulled it; otherwise in the
// queue like any other. It reports whether the agent got it.
func (e *Engine) Invited(ctx context.Context, q *store.Queries, fx *Effects, c store.Conversation, agentID int64) (store.Conversation, bool, error) {
	member, err := isMember(ctx, q, c.AccountID, c.DepartmentID, agentID)
	if err != nil {
		return c, false, err
	}
	if member {
		n, err := q.ClaimSlotForPull(ctx, store.ClaimSlotForPullParams{UserID: agentID, LastAssignedAt: store.Null(e.clock.Now())})
		if err != nil {
			return c, false, err
		}
		if n == 1 {
			d, err := q.GetDepartmentRouting(ctx, store.GetDepartmentRoutingParams{AccountID: c.AccountID, ID: c.DepartmentID})
			if err != nil {
				return c, false, err
			}
			c, err = e.assign(ctx, q, fx, d, c, agentID, conversation.Event{Kind: "invited", ActorID: agentID})
			return c, err == nil, err
		}
	}
	e.Enqueued(fx, c)
	return c, false, nil
}

// SetContact says that a conversation's customer is one of the account's
// contacts (see contact.Associate); whoever may act on the conversation may.
// The department is told the conversation changed (conversation.updated).
func (e *Engine) SetContact(ctx context.Context, p auth.Principal, conversationID, contactID int64) (contact.Contact, error) {
	var out contact.Contact
	err := e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		c, err := handled(ctx, q, p, conversationID)
		if err != nil {
			return err
		}
		out, err = contact.Associate(ctx, q, e.clock.Now(), c, contactID)
		if err != nil {
			return err
		}
		fx.Publish(p.AccountID, Event{Kind: "conversation.updated", ConversationID: c.ID, Status: c.Status})
		return nil
	})
	return out, err
}
