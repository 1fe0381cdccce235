package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Ref names an item another one points at.
type Ref struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ChannelRef names a channel and its kind.
type ChannelRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// Summary is a conversation as lists show it.
type Summary struct {
	ID           int64       `json:"id"`
	Protocol     string      `json:"protocol"`
	Status       string      `json:"status"`
	Subject      string      `json:"subject"`
	Priority     int32       `json:"priority"`
	OutOfHours   bool        `json:"out_of_hours"`
	Contact      Ref         `json:"contact"`
	Department   Ref         `json:"department"`
	Channel      *ChannelRef `json:"channel"`
	Agent        *Ref        `json:"agent"`
	OfferAgentID *int64      `json:"offer_agent_id"`
	OpenedAt     time.Time   `json:"opened_at"`
	QueuedAt     *time.Time  `json:"queued_at"`
	AssignedAt   *time.Time  `json:"assigned_at"`
	LastCustomer *time.Time  `json:"last_customer_at"`
	LastAgent    *time.Time  `json:"last_agent_at"`
	ClosedAt     *time.Time  `json:"closed_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
	// Draft and Unread, in the caller's own tabs: what they were writing,
	// and how many customer messages they have not read.
	Draft  string `json:"draft,omitempty"`
	Unread *int64 `json:"unread,omitempty"`
	// LastMessage is the newest message to or from the customer; nil
	// before the first one.
	LastMessage *MessagePreview `json:"last_message"`
}

// MessagePreview is a conversation's newest message to or from the
// customer, as a list row shows it. Internal notes and system lines are
// never the preview: the row tells the agent where the conversation with
// the customer stands.
type MessagePreview struct {
	ID         int64  `json:"id"`
	Direction  string `json:"direction"` // in (from the customer) or out (to them)
	Kind       string `json:"kind"`
	SenderType string `json:"sender_type"`
	// Body is the start of the text, on one line: at most PreviewRunes
	// characters, and "…" after them when there was more.
	Body string `json:"body"`
	// Attachments are the names of the files the message carries.
	Attachments []string  `json:"attachments"`
	CreatedAt   time.Time `json:"created_at"`
}

// PreviewRunes is how much of a message's text a preview keeps.
const PreviewRunes = 200

func previewOf(m store.LastMessage) *MessagePreview {
	p := &MessagePreview{ID: m.ID, Direction: m.Direction, Kind: m.Kind, SenderType: m.SenderType,
		Body: previewText(m.Body), Attachments: []string{}, CreatedAt: m.CreatedAt}
	var files []conversation.Attachment
	if json.Unmarshal([]byte(m.Attachments), &files) == nil {
		for _, f := range files {
			p.Attachments = append(p.Attachments, f.Name)
		}
	}
	return p
}

// previewText puts a body on one line (line breaks and runs of spaces
// become one space) and cuts it at PreviewRunes characters.
func previewText(body string) string {
	s := strings.Join(strings.Fields(body), " ")
	if utf8.RuneCountInString(s) <= PreviewRunes {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:PreviewRunes]), " ") + "…"
}

// withLastMessages fills in the LastMessage of each summary, reading them
// all in one query.
func withLastMessages(ctx context.Context, q *store.Queries, accountID int64, list []Summary) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]int64, len(list))
	for i, s := range list {
		ids[i] = s.ID
	}
	rows, err := q.LastMessages(ctx, accountID, ids)
	if err != nil {
		return fmt.Errorf("last messages: %w", err)
	}
	byConversation := make(map[int64]store.LastMessage, len(rows))
	for _, m := range rows {
		byConversation[m.ConversationID] = m
	}
	for i := range list {
		if m, ok := byConversation[list[i].ID]; ok {
			list[i].LastMessage = previewOf(m)
		}
	}
	return nil
}

func summaryOf(c store.Conversation, contactName, departmentName string, channelName, channelKind, agentName store.NullString) Summary {
	s := Summary{
		ID: c.ID, Protocol: c.Protocol, Status: c.Status, Subject: c.Subject, Priority: c.Priority, OutOfHours: c.OutOfHours,
		Contact: Ref{ID: c.ContactID, Name: contactName}, Department: Ref{ID: c.DepartmentID, Name: departmentName},
		OfferAgentID: idPtr(c.OfferAgentID), OpenedAt: c.OpenedAt, QueuedAt: timePtr(c.QueuedAt),
		AssignedAt: timePtr(c.AssignedAt), LastCustomer: timePtr(c.LastCustomerAt), LastAgent: timePtr(c.LastAgentAt),
		ClosedAt: timePtr(c.ClosedAt), UpdatedAt: c.UpdatedAt,
	}
	if c.ChannelID.Valid {
		s.Channel = &ChannelRef{ID: c.ChannelID.Int64, Name: channelName.String, Kind: channelKind.String}
	}
	if c.AgentID.Valid {
		s.Agent = &Ref{ID: c.AgentID.Int64, Name: agentName.String}
	}
	return s
}

func idPtr(v store.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.Int64
}

func timePtr(v store.NullTime) *time.Time {
	if !v.Valid {
		return nil
	}
	return &v.Time
}

// ContactInfo is the contact a conversation is with, as its details show it.
type ContactInfo struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	TradeName string   `json:"trade_name"`
	Document  string   `json:"document"`
	Emails    []string `json:"emails"`
	Phones    []string `json:"phones"`
}

// Metrics are a conversation's times in whole seconds (conversation.Measure).
type Metrics struct {
	TTA       int64          `json:"tta"`
	QueueWait int64          `json:"queue_wait"`
	TM1R      int64          `json:"tm1r"`
	TMR       int64          `json:"tmr"`
	Responses int            `json:"responses"`
	Handling  []AgentSeconds `json:"handling"`
}

// AgentSeconds is how long one agent held a conversation.
type AgentSeconds struct {
	AgentID int64 `json:"agent_id"`
	Seconds int64 `json:"seconds"`
}

func seconds(d time.Duration) int64 { return int64(math.Round(d.Seconds())) }

func metricsOf(m conversation.Metrics) Metrics {
	out := Metrics{TTA: seconds(m.TTA), QueueWait: seconds(m.QueueWait), TM1R: seconds(m.TM1R), TMR: seconds(m.TMR),
		Responses: m.Responses, Handling: []AgentSeconds{}}
	for agent, d := range m.Handling {
		out.Handling = append(out.Handling, AgentSeconds{AgentID: agent, Seconds: seconds(d)})
	}
	sort.Slice(out.Handling, func(i, j int) bool { return out.Handling[i].AgentID < out.Handling[j].AgentID })
	return out
}

// Details is one conversation with everything the workspace shows about it.
// Its contact field, with the contact's e-mails and phones, replaces the
// summary's.
type Details struct {
	Summary
	Contact          ContactInfo `json:"contact"`
	Tags             []string    `json:"tags"`
	CloseReason      *Ref        `json:"close_reason"`
	Resolved         *bool       `json:"resolved"`
	ExternalProtocol string      `json:"external_protocol"`
	OfferExpiresAt   *time.Time  `json:"offer_expires_at"`
	FirstResponseAt  *time.Time  `json:"first_response_at"`
	LastSeq          int64       `json:"last_seq"`
	// LastReadSeq is how far the caller has read it.
	LastReadSeq int64   `json:"last_read_seq"`
	Metrics     Metrics `json:"metrics"`
}

// Conversation returns one conversation the caller may see (MaySee), with
// its details and metrics as of now.
func (e *Engine) Conversation(ctx context.Context, p auth.Principal, id int64) (Details, error) {
	q := e.db.Read()
	row, err := q.ConversationSummary(ctx, store.ConversationSummaryParams{AccountID: p.AccountID, ID: id})
	if err != nil {
		return Details{}, fmt.Errorf("conversation %d: %w", id, store.Translate(err))
	}
	c := row.Conversation
	if err := MaySee(ctx, q, p, c); err != nil {
		return Details{}, err
	}
	d := Details{
		Summary:          summaryOf(c, row.ContactName, row.DepartmentName, row.ChannelName, row.ChannelKind, row.AgentName),
		ExternalProtocol: c.ExternalProtocol, OfferExpiresAt: timePtr(c.OfferExpiresAt), FirstResponseAt: timePtr(c.FirstResponseAt),
		LastSeq: c.LastSeq,
	}
	if c.Resolved.Valid {
		d.Resolved = &c.Resolved.Bool
	}
	ct, err := q.ContactGet(ctx, store.ContactGetParams{AccountID: p.AccountID, ID: c.ContactID})
	if err != nil {
		return Details{}, fmt.Errorf("contact %d: %w", c.ContactID, store.Translate(err))
	}
	d.Contact = ContactInfo{ID: ct.ID, Name: ct.Name, TradeName: ct.TradeName, Document: ct.Document, Emails: []string{}, Phones: []string{}}
	ids, err := q.IdentityList(ctx, store.IdentityListParams{AccountID: p.AccountID, ContactID: ct.ID})
	if err != nil {
		return Details{}, err
	}
	for _, i := range ids {
		switch i.Kind {
		case "email":
			d.Contact.Emails = append(d.Contact.Emails, i.Value)
		case "phone":
			d.Contact.Phones = append(d.Contact.Phones, i.Value)
		}
	}
	if d.Tags, err = q.ListConversationTags(ctx, c.ID); err != nil {
		return Details{}, err
	}
	if c.CloseReasonID.Valid {
		r, err := q.GetCloseReason(ctx, store.GetCloseReasonParams{AccountID: p.AccountID, ID: c.CloseReasonID.Int64})
		if err != nil {
			return Details{}, fmt.Errorf("close reason %d: %w", c.CloseReasonID.Int64, store.Translate(err))
		}
		d.CloseReason = &Ref{ID: r.ID, Name: r.Name}
	}
	if d.LastReadSeq, err = q.GetReadMark(ctx, store.GetReadMarkParams{UserID: p.UserID, ConversationID: c.ID}); err != nil && !errors.Is(store.Translate(err), store.ErrNotFound) {
		return Details{}, err
	}
	unread, err := q.CountUnread(ctx, store.CountUnreadParams{ConversationID: c.ID, Seq: d.LastReadSeq})
	if err != nil {
		return Details{}, err
	}
	d.Unread = &unread
	if dr, err := q.GetDraft(ctx, store.GetDraftParams{UserID: p.UserID, ConversationID: c.ID}); err == nil {
		d.Draft = dr.Body
	} else if !errors.Is(store.Translate(err), store.ErrNotFound) {
		return Details{}, err
	}
	one := []Summary{d.Summary}
	if err := withLastMessages(ctx, q, p.AccountID, one); err != nil {
		return Details{}, err
	}
	d.Summary = one[0]
	m, err := conversation.Measure(ctx, q, e.clock.Now(), c)
	if err != nil {
		return Details{}, err
	}
	d.Metrics = metricsOf(m)
	return d, nil
}

// Tabs of the caller's own conversations.
const (
	TabActive   = "active"
	TabWaiting  = "waiting"
	TabInactive = "inactive"
	// TabOffered lists the open offers made to the caller.
	TabOffered = "offered"
)

// maxTab bounds one tab: capacity is at most 100.
const maxTab = 200

// MyConversations lists the caller's conversations in one tab: active,
// waiting or inactive (most recently changed first), or offered (the open
// offers made to them, oldest first).
func (e *Engine) MyConversations(ctx context.Context, p auth.Principal, tab string) ([]Summary, error) {
	q := e.db.Read()
	out := []Summary{}
	switch tab {
	case TabActive, TabWaiting, TabInactive:
		rows, err := q.ListAgentTab(ctx, store.ListAgentTabParams{AccountID: p.AccountID, AgentID: store.NullID(p.UserID), Status: tab, Limit: maxTab})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			s := summaryOf(r.Conversation, r.ContactName, r.DepartmentName, r.ChannelName, r.ChannelKind, r.AgentName)
			s.Draft, s.Unread = r.Draft.String, &r.Unread
			out = append(out, s)
		}
	case TabOffered:
		rows, err := q.ListAgentOffersSummary(ctx, store.ListAgentOffersSummaryParams{AccountID: p.AccountID, OfferAgentID: store.NullID(p.UserID), Limit: maxTab})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			s := summaryOf(r.Conversation, r.ContactName, r.DepartmentName, r.ChannelName, r.ChannelKind, r.AgentName)
			s.Draft, s.Unread = r.Draft.String, &r.Unread
			out = append(out, s)
		}
	default:
		return nil, validate.Errorf("tab", "must be active, waiting, inactive or offered")
	}
	if err := withLastMessages(ctx, q, p.AccountID, out); err != nil {
		return nil, err
	}
	return out, nil
}

// MaxHistory bounds a contact's conversation history.
const MaxHistory = 100

// ContactConversations lists a contact's conversations on every channel,
// newest first: the history an agent reads while serving them. Only those
// the caller may see (MaySee) are listed. The contact must be live (callers
// resolve merged ids first).
func (e *Engine) ContactConversations(ctx context.Context, p auth.Principal, contactID int64, limit int) ([]Summary, error) {
	if limit <= 0 || limit > MaxHistory {
		limit = MaxHistory
	}
	q := e.db.Read()
	if _, err := q.ContactGet(ctx, store.ContactGetParams{AccountID: p.AccountID, ID: contactID}); err != nil {
		return nil, fmt.Errorf("contact %d: %w", contactID, store.Translate(err))
	}
	rows, err := q.ListContactConversationSummaries(ctx, store.ListContactConversationSummariesParams{AccountID: p.AccountID, ContactID: contactID, Limit: int32(limit)})
	if err != nil {
		return nil, err
	}
	v := newViewer(ctx, q, p)
	out := []Summary{}
	for _, r := range rows {
		ok, err := v.may(r.Conversation)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, summaryOf(r.Conversation, r.ContactName, r.DepartmentName, r.ChannelName, r.ChannelKind, r.AgentName))
		}
	}
	if err := withLastMessages(ctx, q, p.AccountID, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Message page sizes.
const (
	DefaultMessagePage = 50
	MaxMessagePage     = 200
)

// Messages returns a page of a conversation's messages and notes, newest
// first, before sequence number beforeSeq (0: from the newest). next is the
// beforeSeq of the following page, 0 when there is none.
func (e *Engine) Messages(ctx context.Context, p auth.Principal, conversationID, beforeSeq int64, limit int) (msgs []conversation.MessageView, next int64, err error) {
	if limit == 0 {
		limit = DefaultMessagePage
	}
	if limit < 1 || limit > MaxMessagePage {
		return nil, 0, validate.Errorf("limit", "must be between 1 and %d", MaxMessagePage)
	}
	if beforeSeq < 0 {
		return nil, 0, validate.Errorf("before_seq", "must be positive")
	}
	if beforeSeq == 0 {
		beforeSeq = math.MaxInt64
	}
	q := e.db.Read()
	if _, err := visible(ctx, q, p, conversationID); err != nil {
		return nil, 0, err
	}
	rows, err := q.ListMessagesPage(ctx, store.ListMessagesPageParams{ConversationID: conversationID, Seq: beforeSeq, Limit: int32(limit + 1)})
	if err != nil {
		return nil, 0, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].Seq
	}
	msgs = make([]conversation.MessageView, len(rows))
	for i, m := range rows {
		msgs[i] = conversation.ViewOf(m)
	}
	return msgs, next, nil
}
