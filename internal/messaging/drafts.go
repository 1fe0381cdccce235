package messaging

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Draft is what a person was writing on a conversation, kept on the server
// so it follows them between devices. UpdatedAt is nil when there is none.
type Draft struct {
	Body      string     `json:"body"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// seen loads a conversation of the caller's account they may see.
func seen(ctx context.Context, q *store.Queries, p auth.Principal, id int64) (store.Conversation, error) {
	c, err := q.GetConversation(ctx, store.GetConversationParams{AccountID: p.AccountID, ID: id})
	if err != nil {
		return c, fmt.Errorf("conversation %d: %w", id, store.Translate(err))
	}
	return c, routing.MaySee(ctx, q, p, c)
}

// Draft returns the caller's draft on a conversation they may see.
func (s *Service) Draft(ctx context.Context, p auth.Principal, conversationID int64) (Draft, error) {
	q := s.db.Read()
	if _, err := seen(ctx, q, p, conversationID); err != nil {
		return Draft{}, err
	}
	d, err := q.GetDraft(ctx, store.GetDraftParams{UserID: p.UserID, ConversationID: conversationID})
	if errors.Is(store.Translate(err), store.ErrNotFound) {
		return Draft{}, nil
	}
	if err != nil {
		return Draft{}, err
	}
	return Draft{Body: d.Body, UpdatedAt: &d.UpdatedAt}, nil
}

// SaveDraft keeps the caller's draft on a conversation they may see; an
// empty body drops it. The caller's other sessions are told (draft.saved).
func (s *Service) SaveDraft(ctx context.Context, p auth.Principal, conversationID int64, body string) (Draft, error) {
	if utf8.RuneCountInString(body) > MaxBody {
		return Draft{}, validate.Errorf("body", "must be at most %d characters", MaxBody)
	}
	var out Draft
	err := s.engine.Tx(ctx, func(q *store.Queries, fx *routing.Effects) error {
		out = Draft{}
		c, err := seen(ctx, q, p, conversationID)
		if err != nil {
			return err
		}
		if body == "" {
			_, err = q.DeleteDraft(ctx, store.DeleteDraftParams{UserID: p.UserID, ConversationID: c.ID})
		} else {
			now := s.clock.Now()
			err = q.SaveDraft(ctx, store.SaveDraftParams{UserID: p.UserID, ConversationID: c.ID, AccountID: p.AccountID, Body: body, UpdatedAt: now})
			out = Draft{Body: body, UpdatedAt: &now}
		}
		if err != nil {
			return err
		}
		fx.Publish(p.AccountID, routing.Event{Kind: "draft.saved", ConversationID: c.ID, AgentID: p.UserID})
		return nil
	})
	return out, err
}

// ReadState is how far a person has read a conversation.
type ReadState struct {
	LastReadSeq int64 `json:"last_read_seq"`
	// Unread counts the customer messages after LastReadSeq.
	Unread int64 `json:"unread"`
}

// MarkRead records that the caller has read a conversation they may see up
// to sequence number seq (0: everything so far).
func (s *Service) MarkRead(ctx context.Context, p auth.Principal, conversationID, seq int64) (ReadState, error) {
	if seq < 0 {
		return ReadState{}, validate.Errorf("seq", "must be a message's sequence number")
	}
	return s.setRead(ctx, p, conversationID, func(q *store.Queries, c store.Conversation) (int64, error) {
		if seq > c.LastSeq {
			return 0, validate.Errorf("seq", "the conversation has %d messages", c.LastSeq)
		}
		if seq == 0 {
			return c.LastSeq, nil
		}
		return seq, nil
	})
}

// MarkUnread makes the conversation's last customer message unread again
// for the caller.
func (s *Service) MarkUnread(ctx context.Context, p auth.Principal, conversationID int64) (ReadState, error) {
	return s.setRead(ctx, p, conversationID, func(q *store.Queries, c store.Conversation) (int64, error) {
		last, err := q.LastInboundSeq(ctx, c.ID)
		if err != nil {
			return 0, err
		}
		if last == 0 {
			return 0, fmt.Errorf("conversation %d has no customer message to mark unread: %w", c.ID, validate.Errorf("conversation", "has no customer message"))
		}
		return last - 1, nil
	})
}

func (s *Service) setRead(ctx context.Context, p auth.Principal, conversationID int64, mark func(*store.Queries, store.Conversation) (int64, error)) (ReadState, error) {
	var out ReadState
	err := s.engine.Tx(ctx, func(q *store.Queries, fx *routing.Effects) error {
		c, err := seen(ctx, q, p, conversationID)
		if err != nil {
			return err
		}
		seq, err := mark(q, c)
		if err != nil {
			return err
		}
		if err := q.SetReadMark(ctx, store.SetReadMarkParams{UserID: p.UserID, ConversationID: c.ID, AccountID: p.AccountID, LastReadSeq: seq, UpdatedAt: s.clock.Now()}); err != nil {
			return err
		}
		n, err := q.CountUnread(ctx, store.CountUnreadParams{ConversationID: c.ID, Seq: seq})
		out = ReadState{LastReadSeq: seq, Unread: n}
		// The reader's other tabs and devices clear (or show) the dot.
		fx.Publish(p.AccountID, routing.Event{Kind: "read.marked", ConversationID: c.ID, AgentID: p.UserID, LastReadSeq: seq})
		return err
	})
	return out, err
}
