package routing

import (
	"context"
	"fmt"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/store"
)

// MaySee is the one rule for who may see a conversation — its details, its
// messages and notes, its place in lists:
//
//   - administrators of its account;
//   - the agent it is assigned to (or was, once it is finished);
//   - the agent holding an open offer on it;
//   - supervisors who belong to its department;
//   - agents who belong to its department, while it waits in the queue;
//   - whoever serves (or is offered) an unfinished conversation of the same
//     contact right now: the contact's earlier conversations are their
//     history.
//
// Another account's conversation is store.ErrNotFound, exactly like a
// missing one; a conversation of the caller's account they may not see is
// auth.ErrForbidden. Every read of a conversation goes through here.
func MaySee(ctx context.Context, q *store.Queries, p auth.Principal, c store.Conversation) error {
	return newViewer(ctx, q, p).check(c)
}

// MayHandle reports whether the caller may act on a conversation (write to
// the customer, tag, park, transfer, close): its assigned agent, a
// supervisor of its department, or an administrator.
func MayHandle(ctx context.Context, q *store.Queries, p auth.Principal, c store.Conversation) error {
	if c.AccountID != p.AccountID {
		return fmt.Errorf("conversation %d: %w", c.ID, store.ErrNotFound)
	}
	return mayHandle(ctx, q, p, c)
}

// viewer applies MaySee to many conversations of one caller, reading the
// caller's departments and the contacts they serve once.
type viewer struct {
	ctx     context.Context
	q       *store.Queries
	p       auth.Principal
	depts   map[int64]bool
	serving map[int64]bool
}

func newViewer(ctx context.Context, q *store.Queries, p auth.Principal) *viewer {
	return &viewer{ctx: ctx, q: q, p: p, serving: map[int64]bool{}}
}

// check answers nil when the caller may see c, and why not otherwise.
func (v *viewer) check(c store.Conversation) error {
	if c.AccountID != v.p.AccountID {
		return fmt.Errorf("conversation %d: %w", c.ID, store.ErrNotFound)
	}
	ok, err := v.may(c)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: conversation %d is not yours, not offered to you and not in your department's queue", auth.ErrForbidden, c.ID)
	}
	return nil
}

func (v *viewer) may(c store.Conversation) (bool, error) {
	p := v.p
	status := conversation.Status(c.Status)
	switch {
	case c.AccountID != p.AccountID:
		return false, nil
	case p.IsAdmin():
		return true, nil
	case c.AgentID.Valid && c.AgentID.Int64 == p.UserID:
		return true, nil
	case status == conversation.Queued && c.OfferAgentID.Valid && c.OfferAgentID.Int64 == p.UserID:
		return true, nil
	}
	member, err := v.member(c.DepartmentID)
	if err != nil {
		return false, err
	}
	if member && (p.Role == auth.Supervisor || status == conversation.Queued) {
		return true, nil
	}
	return v.serves(c.ContactID)
}

func (v *viewer) member(departmentID int64) (bool, error) {
	if v.depts == nil {
		ids, err := v.q.ListAgentDepartments(v.ctx, v.p.UserID)
		if err != nil {
			return false, fmt.Errorf("departments of user %d: %w", v.p.UserID, err)
		}
		v.depts = map[int64]bool{}
		for _, id := range ids {
			v.depts[id] = true
		}
	}
	return v.depts[departmentID], nil
}

func (v *viewer) serves(contactID int64) (bool, error) {
	if ok, seen := v.serving[contactID]; seen {
		return ok, nil
	}
	n, err := v.q.ServesContact(v.ctx, store.ServesContactParams{AccountID: v.p.AccountID, ContactID: contactID, UserID: store.NullID(v.p.UserID)})
	if err != nil {
		return false, fmt.Errorf("conversations of contact %d: %w", contactID, err)
	}
	v.serving[contactID] = n > 0
	return n > 0, nil
}

// visible loads a conversation of the caller's account that they may see.
func visible(ctx context.Context, q *store.Queries, p auth.Principal, id int64) (store.Conversation, error) {
	c, err := q.GetConversation(ctx, store.GetConversationParams{AccountID: p.AccountID, ID: id})
	if err != nil {
		return c, fmt.Errorf("conversation %d: %w", id, store.Translate(err))
	}
	return c, MaySee(ctx, q, p, c)
}
