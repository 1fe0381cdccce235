package routing

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Periods a finished-conversation search may ask for, by UTC day.
const (
	PeriodToday      = "today"
	PeriodLast10Days = "last_10_days"
	PeriodLast30Days = "last_30_days"
)

// ChannelKinds are the kinds of channel the product connects, as
// channels.kind names them. The channel package owns the adapters; the list
// lives here because routing filters by it and channel imports routing.
var ChannelKinds = []string{"webchat", "whatsapp", "telegram", "messenger", "instagram", "sms", "email", "voice"}

// InPerson is the kind a filter names conversations with no channel by
// (in-person records).
const InPerson = "in_person"

// Finished page sizes.
const (
	DefaultFinishedPage = 20
	MaxFinishedPage     = 100
)

// FinishedFilter narrows the finished conversations; zero values do not
// filter.
type FinishedFilter struct {
	// Period is today, last_10_days or last_30_days; or ClosedFrom and
	// ClosedTo bound the finishing time (from ≤ t < to).
	Period               string
	ClosedFrom, ClosedTo time.Time
	// Status is closed or abandoned.
	Status                           string
	DepartmentID, ChannelID, AgentID int64
	// ChannelKind keeps the conversations of one kind of channel (webchat,
	// whatsapp, email…: ChannelKinds), or in_person for those with no
	// channel. Agents cannot list the account's channels, but they know the
	// media they work on.
	ChannelKind string
	Tag         string
	// Protocol is a protocol number, exactly.
	Protocol string
	// Contact matches part of the contact's name, trade name, e-mail, phone
	// or document, ignoring case and accents.
	Contact string
	// Q keeps the conversations with a message (from the customer, an
	// agent, or an internal note) containing every word of Q, ignoring case
	// and accents: see store.DB.MessageMatch. Blank does not filter.
	Q          string
	OutOfHours *bool
	Limit      int
	Cursor     string
}

// FinishedPage is one page of finished conversations, most recently
// finished first; NextCursor is "" on the last page.
type FinishedPage struct {
	Conversations []Summary `json:"conversations"`
	NextCursor    string    `json:"next_cursor"`
}

// Finished searches the closed and abandoned conversations the caller may
// see: all of the account's for administrators, their departments' for
// supervisors, their own for agents.
func (e *Engine) Finished(ctx context.Context, p auth.Principal, f FinishedFilter) (FinishedPage, error) {
	limit := f.Limit
	if limit == 0 {
		limit = DefaultFinishedPage
	}
	if limit < 1 || limit > MaxFinishedPage {
		return FinishedPage{}, validate.Errorf("limit", "must be between 1 and %d", MaxFinishedPage)
	}
	from, to := beforeAll, afterAll
	if !f.ClosedFrom.IsZero() {
		from = f.ClosedFrom.UTC()
	}
	if !f.ClosedTo.IsZero() {
		to = f.ClosedTo.UTC()
	}
	if f.Period != "" {
		if !f.ClosedFrom.IsZero() || !f.ClosedTo.IsZero() {
			return FinishedPage{}, validate.Errorf("period", "give a period or closed_from/closed_to, not both")
		}
		now := e.clock.Now().UTC()
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		days := map[string]int{PeriodToday: 1, PeriodLast10Days: 10, PeriodLast30Days: 30}[f.Period]
		if days == 0 {
			return FinishedPage{}, validate.Errorf("period", "must be today, last_10_days or last_30_days")
		}
		from, to = today.AddDate(0, 0, 1-days), today.AddDate(0, 0, 1)
	}
	if !from.Before(to) {
		return FinishedPage{}, validate.Errorf("closed_to", "must be after closed_from")
	}
	switch conversation.Status(f.Status) {
	case "", conversation.Closed, conversation.Abandoned:
	default:
		return FinishedPage{}, validate.Errorf("status", "must be closed or abandoned")
	}
	if f.ChannelKind != "" && f.ChannelKind != InPerson && !slices.Contains(ChannelKinds, f.ChannelKind) {
		return FinishedPage{}, validate.Errorf("channel_kind", "must be one of %s or %s", strings.Join(ChannelKinds, ", "), InPerson)
	}
	for field, v := range map[string]string{"tag": f.Tag, "protocol": f.Protocol, "contact": f.Contact} {
		if len(v) > 200 {
			return FinishedPage{}, validate.Errorf(field, "must be at most 200 bytes")
		}
	}
	match, err := e.messageMatch(ctx, "q", f.Q)
	if err != nil {
		return FinishedPage{}, err
	}
	var outOfHours int32
	if f.OutOfHours != nil {
		outOfHours = 2
		if *f.OutOfHours {
			outOfHours = 1
		}
	}
	curAt, curID := afterAll, int64(math.MaxInt64)
	if f.Cursor != "" {
		if curAt, curID, err = parseCursor(f.Cursor); err != nil {
			return FinishedPage{}, err
		}
	}
	params := store.ListFinishedParams{
		AccountID: p.AccountID, Status: f.Status, DepartmentID: f.DepartmentID, ChannelID: f.ChannelID, ChannelKind: f.ChannelKind, AgentID: f.AgentID,
		Tag: strings.ToLower(strings.TrimSpace(f.Tag)), Protocol: strings.TrimSpace(f.Protocol), ContactPattern: contact.SearchTextPattern(f.Contact),
		OutOfHours: outOfHours, MessageMatch: match, ClosedFrom: store.Null(from), ClosedTo: store.Null(to),
		BeforeAt: store.Null(curAt), BeforeID: curID, Max: int32(limit + 1),
	}
	if !p.IsAdmin() {
		params.ViewerID, params.Supervisor = p.UserID, p.Role == auth.Supervisor
	}
	q := e.db.Read()
	rows, err := q.ListFinished(ctx, params)
	if err != nil {
		return FinishedPage{}, err
	}
	page := FinishedPage{Conversations: []Summary{}}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1].Conversation
		page.NextCursor = makeCursor(last.ClosedAt.Time, last.ID)
	}
	v := newViewer(ctx, q, p)
	for _, r := range rows {
		// The query already keeps to what the caller may see; MaySee stays
		// the rule.
		if ok, err := v.may(r.Conversation); err != nil || !ok {
			if err != nil {
				return FinishedPage{}, err
			}
			continue
		}
		page.Conversations = append(page.Conversations, summaryOf(r.Conversation, r.ContactName, r.DepartmentName, r.ChannelName, r.ChannelKind, r.AgentName))
	}
	if err := withLastMessages(ctx, q, p.AccountID, page.Conversations); err != nil {
		return FinishedPage{}, err
	}
	return page, nil
}
