package routing

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// ChannelCount is how many conversations wait in a queue from one channel.
type ChannelCount struct {
	// Channel is nil for conversations without a channel (in-person records).
	Channel *ChannelRef `json:"channel"`
	Queued  int64       `json:"queued"`
	Offered int64       `json:"offered"`
}

// Queue is a department's queue as it is now.
type Queue struct {
	Department Ref   `json:"department"`
	Queued     int64 `json:"queued"`
	// Offered of the queued conversations carry an open offer to an agent.
	Offered        int64          `json:"offered"`
	OldestQueuedAt *time.Time     `json:"oldest_queued_at"`
	Channels       []ChannelCount `json:"channels"`
}

// visibleDepartments lists the departments whose queues the caller sees:
// every department for administrators, their own for everybody else.
func visibleDepartments(ctx context.Context, q *store.Queries, p auth.Principal) ([]Ref, error) {
	var out []Ref
	if p.IsAdmin() {
		deps, err := q.ListDepartments(ctx, p.AccountID)
		if err != nil {
			return nil, err
		}
		for _, d := range deps {
			out = append(out, Ref{ID: d.ID, Name: d.Name})
		}
		return out, nil
	}
	deps, err := q.ListUserDepartments(ctx, store.ListUserDepartmentsParams{AccountID: p.AccountID, UserID: p.UserID})
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		out = append(out, Ref{ID: d.ID, Name: d.Name})
	}
	return out, nil
}

// Queues returns the live queue of every department the caller sees, with
// counts per channel.
func (e *Engine) Queues(ctx context.Context, p auth.Principal) ([]Queue, error) {
	q := e.db.Read()
	deps, err := visibleDepartments(ctx, q, p)
	if err != nil {
		return nil, err
	}
	counts, err := q.QueueCounts(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	out := make([]Queue, 0, len(deps))
	for _, d := range deps {
		qu := Queue{Department: d, Channels: []ChannelCount{}}
		for _, c := range counts {
			if c.DepartmentID != d.ID {
				continue
			}
			cc := ChannelCount{Queued: c.Queued, Offered: c.Offered}
			if c.ChannelID != 0 {
				cc.Channel = &ChannelRef{ID: c.ChannelID, Name: c.ChannelName, Kind: c.ChannelKind}
			}
			qu.Channels = append(qu.Channels, cc)
			qu.Queued += c.Queued
			qu.Offered += c.Offered
		}
		if qu.Queued > 0 {
			oldest, err := q.OldestQueued(ctx, store.OldestQueuedParams{AccountID: p.AccountID, DepartmentID: d.ID})
			if err != nil && !errors.Is(store.Translate(err), store.ErrNotFound) {
				return nil, err
			}
			qu.OldestQueuedAt = timePtr(oldest)
		}
		out = append(out, qu)
	}
	return out, nil
}

// QueuePageSize is how many conversations one page of a queue holds.
const QueuePageSize = 10

// Queue orders.
const (
	Oldest = "oldest"
	Newest = "newest"
)

// QueueFilter narrows a queue; zero values do not filter.
type QueueFilter struct {
	ChannelID int64
	// QueuedFrom and QueuedTo bound the original queue time: from ≤ t < to.
	QueuedFrom, QueuedTo time.Time
	// Phone matches part of the contact's phone or WhatsApp number.
	Phone string
	// Contact matches part of the contact's name, trade name or e-mail,
	// ignoring case and accents.
	Contact string
	// Subject matches part of the conversation's subject, ignoring case.
	Subject string
	// Content keeps the conversations with a message (the body of an
	// e-mail, a chat message, an internal note) containing every word of
	// Content, ignoring case and accents: see store.DB.MessageMatch.
	Content string
	// Order is Oldest (the default) or Newest.
	Order string
	// Cursor continues from a previous page's NextCursor.
	Cursor string
}

// QueuePage is one page of a queue; NextCursor is "" on the last page.
type QueuePage struct {
	Conversations []Summary `json:"conversations"`
	NextCursor    string    `json:"next_cursor"`
}

// Bounds standing in for "no bound" on the queue time.
var (
	beforeAll = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	afterAll  = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// QueueConversations returns a page of a department's queue (queued
// conversations, with or without an open offer), filtered and ordered by
// queue time. Administrators see every department's queue; supervisors and
// agents those of their departments.
func (e *Engine) QueueConversations(ctx context.Context, p auth.Principal, departmentID int64, f QueueFilter) (QueuePage, error) {
	q := e.db.Read()
	if _, err := q.GetDepartment(ctx, store.GetDepartmentParams{AccountID: p.AccountID, ID: departmentID}); err != nil {
		return QueuePage{}, fmt.Errorf("department %d: %w", departmentID, store.Translate(err))
	}
	if !p.IsAdmin() {
		member, err := isMember(ctx, q, p.AccountID, departmentID, p.UserID)
		if err != nil {
			return QueuePage{}, err
		}
		if !member {
			return QueuePage{}, fmt.Errorf("%w: only members of the department see its queue", auth.ErrForbidden)
		}
	}
	from, to := beforeAll, afterAll
	if !f.QueuedFrom.IsZero() {
		from = f.QueuedFrom.UTC()
	}
	if !f.QueuedTo.IsZero() {
		to = f.QueuedTo.UTC()
	}
	if !from.Before(to) {
		return QueuePage{}, validate.Errorf("queued_to", "must be after queued_from")
	}
	var phone string
	if strings.TrimSpace(f.Phone) != "" {
		if phone = contact.PhonePattern(f.Phone); phone == "" {
			return QueuePage{}, validate.Errorf("phone", "must contain digits")
		}
	}
	for field, v := range map[string]string{"phone": f.Phone, "contact": f.Contact, "subject": f.Subject} {
		if len(v) > 200 {
			return QueuePage{}, validate.Errorf(field, "must be at most 200 bytes")
		}
	}
	match, err := e.messageMatch(ctx, "content", f.Content)
	if err != nil {
		return QueuePage{}, err
	}
	var subject string
	if s := strings.TrimSpace(f.Subject); s != "" {
		subject = likePattern(strings.ToLower(s))
	}
	contactPattern := contact.SearchTextPattern(f.Contact)
	order := f.Order
	if order == "" {
		order = Oldest
	}
	if order != Oldest && order != Newest {
		return QueuePage{}, validate.Errorf("order", "must be oldest or newest")
	}
	curAt, curID := beforeAll, int64(0)
	if order == Newest {
		curAt, curID = afterAll, math.MaxInt64
	}
	if f.Cursor != "" {
		if curAt, curID, err = parseCursor(f.Cursor); err != nil {
			return QueuePage{}, err
		}
	}
	page := QueuePage{Conversations: []Summary{}}
	add := func(c store.Conversation, contactName, departmentName string, channelName, channelKind, agentName store.NullString) {
		page.Conversations = append(page.Conversations, summaryOf(c, contactName, departmentName, channelName, channelKind, agentName))
	}
	if order == Oldest {
		rows, err := q.ListQueueOldest(ctx, store.ListQueueOldestParams{
			AccountID: p.AccountID, DepartmentID: departmentID, ChannelID: f.ChannelID,
			QueuedFrom: store.Null(from), QueuedTo: store.Null(to), ContactPattern: contactPattern, PhonePattern: phone, SubjectPattern: subject, MessageMatch: match,
			AfterAt: store.Null(curAt), AfterID: curID, Max: QueuePageSize + 1,
		})
		if err != nil {
			return QueuePage{}, err
		}
		for _, r := range rows {
			add(r.Conversation, r.ContactName, r.DepartmentName, r.ChannelName, r.ChannelKind, r.AgentName)
		}
	} else {
		rows, err := q.ListQueueNewest(ctx, store.ListQueueNewestParams{
			AccountID: p.AccountID, DepartmentID: departmentID, ChannelID: f.ChannelID,
			QueuedFrom: store.Null(from), QueuedTo: store.Null(to), ContactPattern: contactPattern, PhonePattern: phone, SubjectPattern: subject, MessageMatch: match,
			BeforeAt: store.Null(curAt), BeforeID: curID, Max: QueuePageSize + 1,
		})
		if err != nil {
			return QueuePage{}, err
		}
		for _, r := range rows {
			add(r.Conversation, r.ContactName, r.DepartmentName, r.ChannelName, r.ChannelKind, r.AgentName)
		}
	}
	if len(page.Conversations) > QueuePageSize {
		page.Conversations = page.Conversations[:QueuePageSize]
		last := page.Conversations[QueuePageSize-1]
		page.NextCursor = makeCursor(*last.QueuedAt, last.ID)
	}
	if err := withLastMessages(ctx, q, p.AccountID, page.Conversations); err != nil {
		return QueuePage{}, err
	}
	return page, nil
}

// messageMatch turns the words typed into the search parameter field into
// the store's message filter: "" (no filter) when the text is blank, and a
// validation error when it holds no letter or digit to look for (only
// punctuation), since a search for nothing is not a search for everything.
// The search index is brought up to date first, so that the search finds
// every message stored before it.
func (e *Engine) messageMatch(ctx context.Context, field, typed string) (string, error) {
	if len(typed) > store.MaxSearchBytes {
		return "", validate.Errorf(field, "must be at most %d bytes", store.MaxSearchBytes)
	}
	if strings.TrimSpace(typed) == "" {
		return "", nil
	}
	match := e.db.MessageMatch(typed)
	if match == "" {
		return "", validate.Errorf(field, "must contain a letter or a digit")
	}
	if _, err := e.db.IndexMessages(ctx); err != nil {
		return "", err
	}
	return match, nil
}

// A cursor is the queue time and id of the last conversation of a page.
func makeCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "." + strconv.FormatInt(id, 10)))
}

func parseCursor(s string) (time.Time, int64, error) {
	bad := validate.Errorf("cursor", "is not a cursor from a previous page")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, 0, bad
	}
	at, id, ok := strings.Cut(string(raw), ".")
	if !ok {
		return time.Time{}, 0, bad
	}
	micros, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 {
		return time.Time{}, 0, bad
	}
	return time.UnixMicro(micros).UTC(), n, nil
}

// likePattern makes s a LIKE pattern (ESCAPE '\') matching it anywhere.
func likePattern(s string) string { return "%" + escapeLike(s) + "%" }

// escapeLike escapes LIKE's wildcards in s (ESCAPE '\').
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
