package conversation

import (
	"encoding/json"
	"time"

	"github.com/atende/atende/internal/store"
)

// MessageView is a message or note as people and clients see it.
type MessageView struct {
	ID              int64        `json:"id"`
	ConversationID  int64        `json:"conversation_id"`
	Seq             int64        `json:"seq"`
	Direction       string       `json:"direction"`
	Kind            string       `json:"kind"`
	SenderType      string       `json:"sender_type"`
	SenderID        *int64       `json:"sender_id"`
	Body            string       `json:"body"`
	QuotedMessageID *int64       `json:"quoted_message_id"`
	Attachments     []Attachment `json:"attachments"`
	// Metadata is the channel's typed extension, as stored.
	Metadata    json.RawMessage `json:"metadata"`
	Status      string          `json:"status"`
	StatusError string          `json:"status_error"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// ViewOf turns a stored message into its view.
func ViewOf(m store.Message) MessageView {
	v := MessageView{
		ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, Direction: m.Direction, Kind: m.Kind,
		SenderType: m.SenderType, Body: m.Body, Status: m.Status, StatusError: m.StatusError,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Attachments: []Attachment{}, Metadata: json.RawMessage("{}"),
	}
	if m.SenderID.Valid {
		v.SenderID = &m.SenderID.Int64
	}
	if m.QuotedMessageID.Valid {
		v.QuotedMessageID = &m.QuotedMessageID.Int64
	}
	if err := json.Unmarshal([]byte(m.Attachments), &v.Attachments); err != nil || v.Attachments == nil {
		v.Attachments = []Attachment{}
	}
	if json.Valid([]byte(m.Metadata)) && len(m.Metadata) > 0 {
		v.Metadata = json.RawMessage(m.Metadata)
	}
	return v
}
