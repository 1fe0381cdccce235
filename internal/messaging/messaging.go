// Package messaging is people writing on conversations: replies to the
// customer, queued for the channel's outbox in the same transaction as the
// message, and internal notes, which are stored and never sent.
//
// Both take an optional idempotency key (the HTTP Idempotency-Key header),
// per user: a request retried with the same key answers what the first one
// answered and never writes twice, even when the retries run at the same
// time. The key is claimed first in the transaction that writes the message
// and holds the answer once it commits; a concurrent duplicate fails on the
// key's primary key, runs again and finds that answer.
package messaging

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atende/atende/internal/attachment"
	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Limits.
const (
	// MaxBody is the longest message or note, in characters.
	MaxBody = 10000
	// MaxKey is the longest idempotency key, in bytes.
	MaxKey = 200
	// KeepKeys is how long idempotency keys are remembered.
	KeepKeys = 24 * time.Hour
)

// ErrKeyReused: the idempotency key was used before for a different request
// (another conversation, body or kind).
var ErrKeyReused = errors.New("the idempotency key was used for a different request")

// Service writes messages and notes.
type Service struct {
	db     *store.DB
	clock  clock.Clock
	engine *routing.Engine
}

// New returns a Service. engine runs the transactions, so their events are
// published and their effects routed.
func New(db *store.DB, clk clock.Clock, engine *routing.Engine) *Service {
	return &Service{db: db, clock: clk, engine: engine}
}

// Reply is an agent's message to the customer.
type Reply struct {
	Body string
	// QuotedMessageID is a message of the same conversation it answers.
	QuotedMessageID int64
	// AttachmentIDs are files uploaded to the conversation (see package
	// attachment) the message carries; the body may then be empty.
	AttachmentIDs []string
}

// Result is the message a request wrote. Replayed says it was written by an
// earlier request with the same idempotency key, whose answer this is.
type Result struct {
	Message  conversation.MessageView
	Replayed bool
}

const (
	kindReply = "reply"
	kindNote  = "note"
)

// Send writes a reply to the customer on a conversation being served
// (active, waiting or inactive) and queues it for the channel; it starts
// pending. The assigned agent, supervisors of the department and
// administrators may send.
func (s *Service) Send(ctx context.Context, p auth.Principal, conversationID int64, r Reply, key string) (Result, error) {
	return s.write(ctx, p, kindReply, conversationID, r, key)
}

// Note writes an internal note on a conversation in any status: visible to
// whoever may see the conversation, never sent to the customer. The
// assigned agent, supervisors of the department and administrators may
// write notes.
func (s *Service) Note(ctx context.Context, p auth.Principal, conversationID int64, body string, attachmentIDs []string, key string) (Result, error) {
	return s.write(ctx, p, kindNote, conversationID, Reply{Body: body, AttachmentIDs: attachmentIDs}, key)
}

// CheckKey validates an idempotency key: up to MaxKey visible ASCII
// characters. "" means none.
func CheckKey(key string) error {
	if len(key) > MaxKey {
		return validate.Errorf("Idempotency-Key", "must be at most %d characters", MaxKey)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return validate.Errorf("Idempotency-Key", "must be visible ASCII characters (a UUID, for instance)")
		}
	}
	return nil
}

func checkBody(body string, attachments int) error {
	switch {
	case strings.TrimSpace(body) == "" && attachments == 0:
		return validate.Errorf("body", "is required")
	case utf8.RuneCountInString(body) > MaxBody:
		return validate.Errorf("body", "must be at most %d characters", MaxBody)
	}
	return nil
}

// fingerprint identifies a request, so a key reused for another one is
// refused.
func fingerprint(kind string, conversationID int64, r Reply) string {
	h := sha256.New()
	parts := []string{kind, strconv.FormatInt(conversationID, 10), strconv.FormatInt(r.QuotedMessageID, 10), r.Body}
	for _, part := range append(parts, r.AttachmentIDs...) {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Service) write(ctx context.Context, p auth.Principal, kind string, conversationID int64, r Reply, key string) (Result, error) {
	if err := CheckKey(key); err != nil {
		return Result{}, err
	}
	body, quoted := r.Body, r.QuotedMessageID
	if err := checkBody(body, len(r.AttachmentIDs)); err != nil {
		return Result{}, err
	}
	if quoted < 0 {
		return Result{}, validate.Errorf("quoted_message_id", "is not a message of this conversation")
	}
	hash := fingerprint(kind, conversationID, r)
	var res Result
	err := s.engine.Tx(ctx, func(q *store.Queries, fx *routing.Effects) error {
		res = Result{}
		now := s.clock.Now()
		if key != "" {
			prior, err := q.GetIdempotencyKey(ctx, store.GetIdempotencyKeyParams{UserID: p.UserID, IdemKey: key})
			switch {
			case err == nil:
				if prior.RequestHash != hash {
					return ErrKeyReused
				}
				if err := json.Unmarshal([]byte(prior.Response), &res.Message); err != nil {
					return fmt.Errorf("stored answer for idempotency key: %w", err)
				}
				res.Replayed = true
				return nil
			case !errors.Is(store.Translate(err), store.ErrNotFound):
				return err
			}
			// A concurrent request with the same key makes this fail once it
			// commits; the engine then runs this function again.
			if err := q.ClaimIdempotencyKey(ctx, store.ClaimIdempotencyKeyParams{
				UserID: p.UserID, IdemKey: key, AccountID: p.AccountID, RequestHash: hash, CreatedAt: now,
			}); err != nil {
				return err
			}
		}
		c, err := q.GetConversation(ctx, store.GetConversationParams{AccountID: p.AccountID, ID: conversationID})
		if err != nil {
			return fmt.Errorf("conversation %d: %w", conversationID, err)
		}
		if err := routing.MayHandle(ctx, q, p, c); err != nil {
			return err
		}
		if kind == kindReply && !conversation.Status(c.Status).Assigned() {
			return fmt.Errorf("conversation %d is %s; replies go to conversations being served: %w", c.ID, c.Status, conversation.ErrNotAllowed)
		}
		if quoted != 0 {
			m, err := q.GetMessage(ctx, store.GetMessageParams{AccountID: p.AccountID, ID: quoted})
			if err != nil && !errors.Is(store.Translate(err), store.ErrNotFound) {
				return err
			}
			if err != nil || m.ConversationID != c.ID {
				return validate.Errorf("quoted_message_id", "is not a message of this conversation")
			}
		}
		files, err := attachment.Claim(ctx, q, now, p.AccountID, c.ID, attachment.UserOwner(p.UserID), r.AttachmentIDs)
		if err != nil {
			return err
		}
		m := conversation.NewMessage{
			AccountID: p.AccountID, ConversationID: c.ID, Kind: "text", SenderType: "agent", SenderID: p.UserID,
			Body: body, QuotedID: quoted, Attachments: files,
		}
		if len(files) > 0 {
			m.Kind = attachment.Kind(files[0].ContentType)
		}
		var msg store.Message
		if kind == kindReply {
			m.ChannelID = c.ChannelID.Int64
			msg, err = channel.Queue(ctx, q, fx, now, m)
		} else {
			m.Direction = conversation.Note
			msg, err = conversation.Append(ctx, q, now, m)
		}
		if err != nil {
			return err
		}
		fx.Publish(p.AccountID, routing.Event{Kind: "message.created", ConversationID: c.ID, MessageID: msg.ID})
		// What they were drafting is now sent, and they have read up to it.
		dropped, err := q.DeleteDraft(ctx, store.DeleteDraftParams{UserID: p.UserID, ConversationID: c.ID})
		if err != nil {
			return err
		}
		if dropped > 0 {
			fx.Publish(p.AccountID, routing.Event{Kind: "draft.saved", ConversationID: c.ID, AgentID: p.UserID})
		}
		if err := q.SetReadMark(ctx, store.SetReadMarkParams{UserID: p.UserID, ConversationID: c.ID, AccountID: p.AccountID, LastReadSeq: msg.Seq, UpdatedAt: now}); err != nil {
			return err
		}
		fx.Publish(p.AccountID, routing.Event{Kind: "read.marked", ConversationID: c.ID, AgentID: p.UserID, LastReadSeq: msg.Seq})
		res.Message = conversation.ViewOf(msg)
		if key != "" {
			answer, err := json.Marshal(res.Message)
			if err != nil {
				return err
			}
			return q.FinishIdempotencyKey(ctx, store.FinishIdempotencyKeyParams{UserID: p.UserID, IdemKey: key, Status: 201, Response: string(answer)})
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	if !res.Replayed && key != "" {
		// Answer the first request exactly as its replays will be answered.
		var again conversation.MessageView
		b, _ := json.Marshal(res.Message)
		if json.Unmarshal(b, &again) == nil {
			res.Message = again
		}
	}
	return res, nil
}

// ForgetKeys drops idempotency keys older than KeepKeys and reports how
// many went.
func (s *Service) ForgetKeys(ctx context.Context) (int64, error) {
	return s.db.Write().DeleteIdempotencyKeysBefore(ctx, s.clock.Now().Add(-KeepKeys))
}
