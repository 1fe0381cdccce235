package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/atende/atende/internal/store"
)

// Message directions.
const (
	In     = "in"     // from the customer
	Out    = "out"    // to the customer
	Note   = "note"   // internal note: never sent to the customer
	System = "system" // written by Atende (transfers, closing)
)

// Attachment describes a file a message carries; the bytes live elsewhere.
type Attachment struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// NewMessage is a message to store.
type NewMessage struct {
	AccountID      int64
	ConversationID int64
	ChannelID      int64
	Direction      string
	Kind           string // text, image, audio, video, document, location, contact, template
	SenderType     string // contact, agent, system, bot
	SenderID       int64
	Body           string
	QuotedID       int64
	Attachments    []Attachment
	// Metadata is the channel's typed extension (e-mail headers, call
	// details, WhatsApp template and window).
	Metadata   map[string]any
	ProviderID string // the provider's message id; "" when not known yet
}

// ErrDuplicate: the provider's message id is already stored for the channel.
var ErrDuplicate = errors.New("message already stored")

// Append stores m as the conversation's next message. Outbound messages
// start pending; the rest are stored as received.
func Append(ctx context.Context, q *store.Queries, now time.Time, m NewMessage) (store.Message, error) {
	if m.Kind == "" {
		m.Kind = "text"
	}
	if m.QuotedID != 0 {
		quoted, err := q.GetMessage(ctx, store.GetMessageParams{AccountID: m.AccountID, ID: m.QuotedID})
		if err != nil || quoted.ConversationID != m.ConversationID {
			return store.Message{}, fmt.Errorf("quoted message %d: %w", m.QuotedID, store.ErrNotFound)
		}
	}
	attachments, err := json.Marshal(orEmpty(m.Attachments))
	if err != nil {
		return store.Message{}, err
	}
	metadata := []byte("{}")
	if len(m.Metadata) > 0 {
		if metadata, err = json.Marshal(m.Metadata); err != nil {
			return store.Message{}, fmt.Errorf("encode message metadata: %w", err)
		}
	}
	side := ""
	switch {
	case m.Direction == In:
		side = "customer"
	case m.Direction == Out && m.SenderType == "agent":
		side = "agent"
	}
	seq, err := q.NextMessageSeq(ctx, store.NextMessageSeqParams{ID: m.ConversationID, UpdatedAt: now, Side: side})
	if err != nil {
		return store.Message{}, fmt.Errorf("next sequence in conversation %d: %w", m.ConversationID, err)
	}
	status := "received"
	if m.Direction == Out {
		status = "pending"
	}
	var provider store.NullString
	if m.ProviderID != "" {
		provider = store.NullString{String: m.ProviderID, Valid: true}
	}
	msg := store.Message{
		AccountID: m.AccountID, ConversationID: m.ConversationID, Seq: seq, Direction: m.Direction, Kind: m.Kind,
		SenderType: m.SenderType, SenderID: store.NullID(m.SenderID), Body: m.Body, QuotedMessageID: store.NullID(m.QuotedID),
		Attachments: string(attachments), Metadata: string(metadata), Status: status,
		ChannelID: store.NullID(m.ChannelID), ProviderMessageID: provider, CreatedAt: now, UpdatedAt: now,
	}
	msg.ID, err = q.InsertMessage(ctx, store.InsertMessageParams{
		AccountID: msg.AccountID, ConversationID: msg.ConversationID, Seq: msg.Seq, Direction: msg.Direction, Kind: msg.Kind,
		SenderType: msg.SenderType, SenderID: msg.SenderID, Body: msg.Body, QuotedMessageID: msg.QuotedMessageID,
		Attachments: msg.Attachments, Metadata: msg.Metadata, Status: msg.Status,
		ChannelID: msg.ChannelID, ProviderMessageID: msg.ProviderMessageID, CreatedAt: now,
	})
	if err != nil {
		if errors.Is(store.Translate(err), store.ErrConflict) {
			return msg, fmt.Errorf("message %q on channel %d: %w: %w", m.ProviderID, m.ChannelID, ErrDuplicate, store.ErrConflict)
		}
		return msg, fmt.Errorf("store message in conversation %d: %w", m.ConversationID, err)
	}
	return msg, nil
}

func orEmpty(a []Attachment) []Attachment {
	if a == nil {
		return []Attachment{}
	}
	return a
}

// Delivery statuses in the order they may be applied.
const (
	Pending   = "pending"
	Sent      = "sent"
	Failed    = "failed"
	Delivered = "delivered"
	Read      = "read"
)

// AdvanceStatus moves a message's delivery status forward; a status that
// would move it back (a late "delivered" after "read") changes nothing and
// reports false.
func AdvanceStatus(ctx context.Context, q *store.Queries, now time.Time, messageID int64, status, errText string) (bool, error) {
	switch status {
	case Pending, Sent, Failed, Delivered, Read:
	default:
		return false, fmt.Errorf("unknown delivery status %q", status)
	}
	n, err := q.AdvanceMessageStatus(ctx, store.AdvanceMessageStatusParams{ID: messageID, Status: status, StatusError: errText, UpdatedAt: now})
	return n == 1, err
}
