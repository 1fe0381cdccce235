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
	var rows []store.ListFinishedRow
	if match == "" {
		rows, err = q.ListFinished(ctx, params)
	} else {
		rows, err = e.searchFinished(ctx, q, params, f.Q)
	}
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

// searchWalk is how a message search walks the finished conversations
// (searchFinished).
type searchWalk struct {
	// firstChunk conversations (or twice the page, if more) are read
	// first, and each chunk after that twice the one before, up to
	// maxChunk.
	firstChunk, maxChunk int
	// maxWalk: the walk gives way to the search index when, at the rate it
	// has found conversations so far, filling the page would take more than
	// this many. 0 never walks; tests use it to compare the two ways.
	maxWalk int
}

// defaultSearchWalk: a common word ("entrega" in a tenth of the messages,
// in two thirds of the conversations) fills a page of 20 from the first 48
// conversations. A walk reads ten-odd messages per conversation, at about
// 2 µs each on SQLite: 1024 conversations are some 20 ms, where the index
// takes a few milliseconds for a rare word and seconds for a common one.
var defaultSearchWalk = searchWalk{firstChunk: 48, maxChunk: 1024, maxWalk: 1024}

// searchFinished answers ListFinished with params (whose MessageMatch is
// the match of typed) one of two ways, with the same rows in the same order:
//
//   - the index way, ListFinished itself: every message matching the words,
//     then their conversations. Its cost grows with how many messages hold
//     the words: milliseconds for a rare word, seconds for a common one (a
//     tenth of ten million messages).
//   - walking the finished conversations in the listing's order, filters
//     applied, a chunk at a time, keeping those with a matching message
//     (store.DB.ConversationsWithMessage), until the page is full. Its cost
//     grows with how many conversations it reads: a page of a common word
//     takes a few dozen.
//
// It walks first, and hands the rest of the page to the index way when the
// walk finds the words rare: too few conversations hold them to fill the
// page within searchWalk.maxWalk (with the defaults and a page of 20, none
// in the first chunk is too few). The index way skips the conversations the
// walk has read (the cursor moves past them), so the page is the one
// ListFinished alone would answer.
func (e *Engine) searchFinished(ctx context.Context, q *store.Queries, params store.ListFinishedParams, typed string) ([]store.ListFinishedRow, error) {
	want, how := int(params.Max), e.opts.searchWalk
	if how.maxWalk == 0 {
		return q.ListFinished(ctx, params)
	}
	walk := params
	walk.MessageMatch = ""
	var out []store.ListFinishedRow
	walked, chunk := 0, max(how.firstChunk, 2*want)
	for {
		walk.Max = int32(chunk)
		rows, err := q.ListFinished(ctx, walk)
		if err != nil {
			return nil, err
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.Conversation.ID
		}
		hit, err := e.db.ConversationsWithMessage(ctx, params.AccountID, ids, typed)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if hit[r.Conversation.ID] {
				if out = append(out, r); len(out) == want {
					return out, nil
				}
			}
		}
		if len(rows) < chunk {
			return out, nil // every finished conversation read
		}
		walked += len(rows)
		last := rows[len(rows)-1].Conversation
		walk.BeforeAt, walk.BeforeID = last.ClosedAt, last.ID
		// At the rate found so far (half a conversation if none), would
		// filling the page take more than maxWalk?
		if found := len(out); 2*walked*want > how.maxWalk*max(2*found, 1) {
			rest := params
			rest.BeforeAt, rest.BeforeID, rest.Max = walk.BeforeAt, walk.BeforeID, int32(want-found)
			more, err := q.ListFinished(ctx, rest)
			if err != nil {
				return nil, err
			}
			return append(out, more...), nil
		}
		chunk = min(2*chunk, how.maxChunk)
	}
}
