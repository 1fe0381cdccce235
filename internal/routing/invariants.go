package routing

import (
	"context"
	"fmt"

	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/store"
)

// CheckInvariants verifies what routing promises for an account, from the
// database alone: a conversation is with at most one agent (assigned or
// offered, never both), queued conversations have no agent, every agent's
// load equals what they hold and never exceeds their capacity. It returns
// the first violation. Tests call it after every step; operators can run
// it against a live database.
func CheckInvariants(ctx context.Context, db *store.DB, accountID int64) error {
	q := db.Read()
	open, err := q.ListOpenConversationsForCheck(ctx, accountID)
	if err != nil {
		return err
	}
	held := map[int64]int32{}
	for _, c := range open {
		status := conversation.Status(c.Status)
		switch {
		case c.AgentID.Valid && c.OfferAgentID.Valid:
			return fmt.Errorf("conversation %d is assigned to agent %d and offered to agent %d", c.ID, c.AgentID.Int64, c.OfferAgentID.Int64)
		case status.Assigned() && !c.AgentID.Valid:
			return fmt.Errorf("conversation %d is %s without an agent", c.ID, c.Status)
		case !status.Assigned() && c.AgentID.Valid:
			return fmt.Errorf("conversation %d is %s but assigned to agent %d", c.ID, c.Status, c.AgentID.Int64)
		case c.OfferAgentID.Valid && status != conversation.Queued:
			return fmt.Errorf("conversation %d is %s with an open offer", c.ID, c.Status)
		}
		if c.AgentID.Valid {
			held[c.AgentID.Int64]++
		}
		if c.OfferAgentID.Valid {
			held[c.OfferAgentID.Int64]++
		}
	}
	states, err := q.ListAgentStates(ctx, accountID)
	if err != nil {
		return err
	}
	for _, s := range states {
		if s.Load != held[s.UserID] {
			return fmt.Errorf("agent %d: load %d but holds %d conversations and offers", s.UserID, s.Load, held[s.UserID])
		}
		if s.Load > s.Capacity {
			return fmt.Errorf("agent %d: load %d over capacity %d", s.UserID, s.Load, s.Capacity)
		}
		if Presence(s.Presence) == Paused && s.Load > 0 {
			return fmt.Errorf("agent %d is paused while holding %d conversations", s.UserID, s.Load)
		}
		delete(held, s.UserID)
	}
	for agent, n := range held {
		return fmt.Errorf("agent %d holds %d conversations but has no routing state", agent, n)
	}
	return nil
}
