// Package channel is the edge between providers and the conversation engine.
//
// An adapter verifies a provider's webhook, normalises it into an Inbound
// and hands it to Receiver.Receive, which stores it in one transaction: the
// contact found or created, the open conversation found or a new one opened
// and queued, the message stored once per provider message id. Only after
// that commits does the adapter acknowledge the webhook, so an acknowledged
// message is never lost and a redelivered one is never stored twice.
//
// Outbound messages are written with an outbox row in the same transaction
// as the message; the Relay sends them through the channel's Adapter with
// retries, exponential backoff with jitter and a per-channel rate limit.
package channel

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atende/atende/internal/attachment"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
)

// Inbound is a customer's message as an adapter normalised it.
type Inbound struct {
	ChannelID int64
	// ProviderMessageID is the provider's id for the message; redeliveries
	// carry the same id.
	ProviderMessageID string
	From              contact.Identity
	Profile           contact.Profile
	Kind              string // text, image, audio, video, document, location, contact, template
	Body              string
	Attachments       []conversation.Attachment
	Metadata          map[string]any
	// QuotedProviderID is the provider's id of the message this one answers.
	QuotedProviderID string
	// DepartmentID, when not 0, is where a new conversation queues instead
	// of the channel's department (the website visitor picked it). The
	// adapter has checked the channel offers it.
	DepartmentID int64
	// Invitation, when set, is the agent's proactive invitation this message
	// answers: a new conversation starts with the invitation's text and goes
	// straight to that agent when they can take it.
	Invitation *Invitation
	// Uploads are files the customer uploaded to Atende (package
	// attachment) that the message carries; they are claimed for its
	// conversation in the same transaction, as UploadOwner's.
	Uploads     []string
	UploadOwner string
}

// Invitation is an agent's proactive invitation a customer answered.
type Invitation struct {
	AgentID int64
	Body    string
}

// Received says what Receive stored.
type Received struct {
	MessageID      int64
	ConversationID int64
	ContactID      int64
	// Duplicate: the message was already stored; nothing changed.
	Duplicate bool
	// Opened: a new conversation was opened (and queued) for it.
	Opened bool
	// Message and Conversation as the transaction left them, so that a
	// caller answering the sender need not read them again; both are zero
	// for a duplicate.
	Message      store.Message
	Conversation store.Conversation
}

// Receiver is the one entry point for inbound messages.
type Receiver struct {
	db     *store.DB
	clock  clock.Clock
	engine *routing.Engine
}

// NewReceiver returns a Receiver.
func NewReceiver(db *store.DB, clk clock.Clock, engine *routing.Engine) *Receiver {
	return &Receiver{db: db, clock: clk, engine: engine}
}

// ErrNoDepartment: the channel has no department to queue conversations in.
var ErrNoDepartment = errors.New("channel has no department")

// Receive stores an inbound message, exactly once per provider message id.
// When it returns nil the message is committed and may be acknowledged.
func (r *Receiver) Receive(ctx context.Context, in Inbound) (Received, error) {
	if in.ProviderMessageID == "" {
		return Received{}, errors.New("inbound message without a provider message id")
	}
	var out Received
	tries := 0
	err := r.engine.Tx(ctx, func(q *store.Queries, fx *routing.Effects) error {
		out = Received{}
		// A redelivery is rare, so the first try does not look for one:
		// the message's unique key stops it in Append, whose ErrDuplicate
		// (an ErrConflict) has Tx roll back and try again, and the next
		// try finds the stored message.
		if tries++; tries > 1 {
			if dup, err := q.GetMessageByProviderID(ctx, store.GetMessageByProviderIDParams{
				ChannelID: store.NullID(in.ChannelID), ProviderMessageID: store.NullString{String: in.ProviderMessageID, Valid: true},
			}); err == nil {
				out = Received{MessageID: dup.ID, ConversationID: dup.ConversationID, Duplicate: true}
				return nil
			} else if !errors.Is(store.Translate(err), store.ErrNotFound) {
				return err
			}
		}
		ch, err := q.GetChannelByID(ctx, in.ChannelID)
		if err != nil {
			return fmt.Errorf("channel %d: %w", in.ChannelID, err)
		}
		department := ch.DepartmentID.Int64
		if in.DepartmentID != 0 {
			department = in.DepartmentID
		}
		if department == 0 {
			return fmt.Errorf("channel %d: %w", ch.ID, ErrNoDepartment)
		}
		now := r.clock.Now()
		contactID, _, err := contact.Resolve(ctx, q, now, ch.AccountID, in.From, in.Profile)
		if err != nil {
			return fmt.Errorf("contact for %s %q: %w", in.From.Kind, in.From.Value, err)
		}
		c, err := q.FindOpenConversation(ctx, store.FindOpenConversationParams{ContactID: contactID, ChannelID: store.NullID(ch.ID)})
		switch {
		case errors.Is(store.Translate(err), store.ErrNotFound):
			// Closed and abandoned conversations never reopen: a new one
			// starts, and shows the earlier ones as history.
			c, err = conversation.Open(ctx, q, now, conversation.NewConversation{
				AccountID: ch.AccountID, ChannelID: ch.ID, DepartmentID: department, ContactID: contactID,
			})
			if err != nil {
				return err
			}
			out.Opened = true
			if in.Invitation == nil {
				r.engine.Enqueued(fx, c)
			} else if c, err = r.invited(ctx, q, fx, c, *in.Invitation); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		var quoted int64
		if in.QuotedProviderID != "" {
			if m, err := q.GetMessageByProviderID(ctx, store.GetMessageByProviderIDParams{
				ChannelID: store.NullID(ch.ID), ProviderMessageID: store.NullString{String: in.QuotedProviderID, Valid: true},
			}); err == nil && m.ConversationID == c.ID {
				quoted = m.ID
			}
		}
		files, kind := in.Attachments, in.Kind
		if len(in.Uploads) > 0 {
			claimed, err := attachment.Claim(ctx, q, now, ch.AccountID, c.ID, in.UploadOwner, in.Uploads)
			if err != nil {
				return err
			}
			files = append(append([]conversation.Attachment(nil), files...), claimed...)
			if in.Body == "" && (kind == "" || kind == "text") {
				kind = attachment.Kind(claimed[0].ContentType)
			}
		}
		msg, err := conversation.Append(ctx, q, now, conversation.NewMessage{
			AccountID: ch.AccountID, ConversationID: c.ID, ChannelID: ch.ID, Direction: conversation.In, Kind: kind,
			SenderType: "contact", SenderID: contactID, Body: in.Body, QuotedID: quoted, Attachments: files,
			Metadata: in.Metadata, ProviderID: in.ProviderMessageID,
		})
		if err != nil {
			return err
		}
		// What Append changed in the conversation's row, without reading it.
		c.LastSeq, c.UpdatedAt, c.LastCustomerAt = msg.Seq, now, store.Null(now)
		if c, err = r.engine.CustomerMessage(ctx, q, fx, c); err != nil {
			return err
		}
		fx.Publish(ch.AccountID, routing.Event{Kind: "message.created", ConversationID: c.ID, MessageID: msg.ID})
		out.MessageID, out.ConversationID, out.ContactID = msg.ID, c.ID, contactID
		out.Message, out.Conversation = msg, c
		return nil
	})
	return out, err
}

// invited starts a conversation that answers an agent's invitation: the
// invitation's text comes first, as the agent's message the customer has
// already seen, and the conversation goes to the agent when they can take
// it (the queue otherwise).
func (r *Receiver) invited(ctx context.Context, q *store.Queries, fx *routing.Effects, c store.Conversation, inv Invitation) (store.Conversation, error) {
	now := r.clock.Now()
	if inv.Body != "" {
		msg, err := conversation.Append(ctx, q, now, conversation.NewMessage{
			AccountID: c.AccountID, ConversationID: c.ID, ChannelID: c.ChannelID.Int64, Direction: conversation.Out,
			SenderType: "agent", SenderID: inv.AgentID, Body: inv.Body, Metadata: map[string]any{"invitation": true},
		})
		if err != nil {
			return c, err
		}
		if _, err := conversation.AdvanceStatus(ctx, q, now, msg.ID, conversation.Delivered, ""); err != nil {
			return c, err
		}
		fx.Publish(c.AccountID, routing.Event{Kind: "message.created", ConversationID: c.ID, MessageID: msg.ID})
	}
	c, _, err := r.engine.Invited(ctx, q, fx, c, inv.AgentID)
	return c, err
}

// Outbound is a message for the provider to deliver.
type Outbound struct {
	MessageID    int64
	Channel      store.Channel
	Conversation store.Conversation
	Message      store.Message
}

// Adapter sends messages through a provider.
type Adapter interface {
	// Send delivers m and returns the provider's message id. Errors are
	// retried unless wrapped with Permanent; a *RateLimited error asks to
	// wait before the next attempt.
	Send(ctx context.Context, m Outbound) (providerID string, err error)
}

// permanentError is a failure retrying cannot fix (invalid recipient,
// message refused).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return permanentError{err} }

// RateLimited is the provider asking to slow down.
type RateLimited struct {
	RetryAfter time.Duration
	Err        error
}

func (e *RateLimited) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.RetryAfter, e.Err)
}
func (e *RateLimited) Unwrap() error { return e.Err }
