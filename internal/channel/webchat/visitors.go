package webchat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Tracking times.
const (
	// OnlineFor is how long a visitor counts as online after their widget's
	// last sign of life; a connected widget renews it every heartbeat.
	OnlineFor = 70 * time.Second
	// heartbeat is how often a connected widget's visitor is kept online.
	heartbeat = 30 * time.Second
	// visitGap: a visitor seen again after this long starts a new visit.
	visitGap = 30 * time.Minute
	// invitationLapse: an invitation not answered within this long lapses.
	invitationLapse = time.Hour
	// trailLength is how many pages of the current visit agents see.
	trailLength = 50
	// maxInvitation is the length limit of an invitation's text.
	maxInvitation = 1000
)

// PageView is one page in a visitor's trail.
type PageView struct {
	URL      string    `json:"url"`
	Title    string    `json:"title"`
	Referrer string    `json:"referrer"`
	At       time.Time `json:"at"`
	// Seconds on the page: until the next page, or until now for the
	// current one (until the visitor left, when they did).
	Seconds int64 `json:"seconds"`
}

// Visitor is a website visitor as agents see them.
type Visitor struct {
	ID        int64  `json:"id"`
	ChannelID int64  `json:"channel_id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Agent            // browser, os, device
	IP        string `json:"ip"`
	Language  string `json:"language"`
	TimeZone  string `json:"time_zone"`
	Visits    int32  `json:"visits"`
	// VisitStartedAt and SecondsOnSite describe the current (or last) visit.
	VisitStartedAt time.Time   `json:"visit_started_at"`
	SecondsOnSite  int64       `json:"seconds_on_site"`
	CurrentPage    *PageView   `json:"current_page"`
	Pages          []PageView  `json:"pages"` // the current visit's, newest first
	Online         bool        `json:"online"`
	LastSeenAt     time.Time   `json:"last_seen_at"`
	Contact        *ContactRef `json:"contact"`
	// Chatting: the visitor has a conversation that is not finished.
	Chatting       bool   `json:"chatting"`
	ConversationID *int64 `json:"conversation_id"`
}

// ContactRef names the contact a visitor is known as.
type ContactRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Invitation is an agent's proactive invitation.
type Invitation struct {
	ID        int64     `json:"id"`
	VisitorID int64     `json:"visitor_id"`
	AgentID   int64     `json:"agent_id"`
	Message   string    `json:"message"`
	CreatedAt time.Time `json:"created_at"`
}

// Visitors is the agents' side of visitor tracking: who is on the sites
// now, and inviting them to talk.
type Visitors struct {
	db     *store.DB
	clock  clock.Clock
	engine *routing.Engine
}

// NewVisitors returns Visitors; events go through the engine's
// transactions.
func NewVisitors(db *store.DB, clk clock.Clock, engine *routing.Engine) *Visitors {
	return &Visitors{db: db, clock: clk, engine: engine}
}

// watched returns the account's webchat channels the caller may watch the
// visitors of: all for administrators, those with one of the caller's
// departments for everybody else.
func watched(ctx context.Context, q *store.Queries, p auth.Principal) (map[int64]Channel, error) {
	rows, err := q.ListChannelsOfKind(ctx, store.ListChannelsOfKindParams{AccountID: p.AccountID, Kind: Kind})
	if err != nil {
		return nil, fmt.Errorf("webchat channels of account %d: %w", p.AccountID, err)
	}
	var mine []int64
	if !p.IsAdmin() {
		if mine, err = q.ListAgentDepartments(ctx, p.UserID); err != nil {
			return nil, fmt.Errorf("departments of user %d: %w", p.UserID, err)
		}
	}
	out := map[int64]Channel{}
	for _, r := range rows {
		c, err := ChannelOf(r)
		if err != nil {
			return nil, err
		}
		if p.IsAdmin() || slices.ContainsFunc(c.DepartmentIDs(), func(d int64) bool { return slices.Contains(mine, d) }) {
			out[c.ID] = c
		}
	}
	return out, nil
}

// maxOnline bounds the online-visitors list.
const maxOnline = 500

// Online lists the visitors on the sites now, of the channels the caller
// watches (one channel when channelID is not 0), longest on the site first.
func (v *Visitors) Online(ctx context.Context, p auth.Principal, channelID int64) ([]Visitor, error) {
	now := v.clock.Now()
	q := v.db.Read()
	channels, err := watched(ctx, q, p)
	if err != nil {
		return nil, err
	}
	rows, err := q.ListOnlineVisitors(ctx, store.ListOnlineVisitorsParams{AccountID: p.AccountID, OnlineUntil: store.Null(now), Limit: maxOnline})
	if err != nil {
		return nil, fmt.Errorf("online visitors of account %d: %w", p.AccountID, err)
	}
	out := []Visitor{}
	for _, r := range rows {
		if _, ok := channels[r.ChannelID]; !ok || (channelID != 0 && r.ChannelID != channelID) {
			continue
		}
		vis, err := v.describe(ctx, q, now, visitorRow(r), r.ContactName, r.ConversationStatus)
		if err != nil {
			return nil, err
		}
		out = append(out, vis)
	}
	return out, nil
}

func visitorRow(r store.ListOnlineVisitorsRow) store.WebchatVisitor {
	return store.WebchatVisitor{ID: r.ID, AccountID: r.AccountID, ChannelID: r.ChannelID, VisitorKey: r.VisitorKey,
		ContactID: r.ContactID, ConversationID: r.ConversationID, SinceSeq: r.SinceSeq, Name: r.Name, Email: r.Email,
		UserAgent: r.UserAgent, Browser: r.Browser, Os: r.Os, Device: r.Device, IP: r.IP, Language: r.Language,
		TimeZone: r.TimeZone, Visits: r.Visits, VisitStartedAt: r.VisitStartedAt, CurrentUrl: r.CurrentUrl,
		CurrentTitle: r.CurrentTitle, OnlineUntil: r.OnlineUntil, FirstSeenAt: r.FirstSeenAt, LastSeenAt: r.LastSeenAt}
}

// Get returns one visitor of a channel the caller watches.
func (v *Visitors) Get(ctx context.Context, p auth.Principal, id int64) (Visitor, error) {
	now := v.clock.Now()
	q := v.db.Read()
	row, err := v.visible(ctx, q, p, id)
	if err != nil {
		return Visitor{}, err
	}
	var contactName, status string
	if row.ContactID.Valid {
		if c, err := q.ContactGet(ctx, store.ContactGetParams{AccountID: p.AccountID, ID: row.ContactID.Int64}); err == nil {
			contactName = c.Name
		}
	}
	if row.ConversationID.Valid {
		if c, err := q.GetConversation(ctx, store.GetConversationParams{AccountID: p.AccountID, ID: row.ConversationID.Int64}); err == nil {
			status = c.Status
		}
	}
	return v.describe(ctx, q, now, row, contactName, status)
}

// OfConversation returns the website visitor behind a conversation the
// caller may see (routing.MaySee): where they are on the site, where they
// came from, their browser, system and address, for the agent serving them.
// A conversation that did not come from the website chat is
// store.ErrNotFound.
func (v *Visitors) OfConversation(ctx context.Context, p auth.Principal, conversationID int64) (Visitor, error) {
	q := v.db.Read()
	c, err := q.GetConversation(ctx, store.GetConversationParams{AccountID: p.AccountID, ID: conversationID})
	if err != nil {
		return Visitor{}, fmt.Errorf("conversation %d: %w", conversationID, store.Translate(err))
	}
	if err := routing.MaySee(ctx, q, p, c); err != nil {
		return Visitor{}, err
	}
	row, err := q.GetVisitorOfConversation(ctx, store.GetVisitorOfConversationParams{AccountID: p.AccountID, ConversationID: store.NullID(c.ID)})
	if err != nil {
		return Visitor{}, fmt.Errorf("visitor of conversation %d: %w", c.ID, store.Translate(err))
	}
	var contactName string
	if ct, err := q.ContactGet(ctx, store.ContactGetParams{AccountID: p.AccountID, ID: c.ContactID}); err == nil {
		contactName = ct.Name
	}
	return v.describe(ctx, q, v.clock.Now(), row, contactName, c.Status)
}

// visible loads a visitor of a channel the caller watches: another
// account's is store.ErrNotFound, another department's auth.ErrForbidden.
func (v *Visitors) visible(ctx context.Context, q *store.Queries, p auth.Principal, id int64) (store.WebchatVisitor, error) {
	row, err := q.GetVisitor(ctx, store.GetVisitorParams{AccountID: p.AccountID, ID: id})
	if err != nil {
		return row, fmt.Errorf("visitor %d: %w", id, store.Translate(err))
	}
	channels, err := watched(ctx, q, p)
	if err != nil {
		return row, err
	}
	if _, ok := channels[row.ChannelID]; !ok {
		return row, fmt.Errorf("%w: visitor %d is on a site of another department", auth.ErrForbidden, id)
	}
	return row, nil
}

func (v *Visitors) describe(ctx context.Context, q *store.Queries, now time.Time, r store.WebchatVisitor, contactName, conversationStatus string) (Visitor, error) {
	online := r.OnlineUntil.Valid && r.OnlineUntil.Time.After(now)
	until := now
	if !online {
		until = r.LastSeenAt
	}
	out := Visitor{ID: r.ID, ChannelID: r.ChannelID, Name: r.Name, Email: r.Email,
		Agent: Agent{Browser: r.Browser, OS: r.Os, Device: r.Device}, IP: r.IP, Language: r.Language, TimeZone: r.TimeZone,
		Visits: r.Visits, VisitStartedAt: r.VisitStartedAt, SecondsOnSite: secondsBetween(r.VisitStartedAt, until),
		Online: online, LastSeenAt: r.LastSeenAt, Pages: []PageView{}}
	if r.ContactID.Valid {
		out.Contact = &ContactRef{ID: r.ContactID.Int64, Name: contactName}
	}
	if r.ConversationID.Valid {
		id := r.ConversationID.Int64
		out.ConversationID = &id
		out.Chatting = conversationStatus != "" && conversationStatus != "closed" && conversationStatus != "abandoned"
	}
	views, err := q.ListPageViews(ctx, store.ListPageViewsParams{VisitorID: r.ID, Limit: trailLength})
	if err != nil {
		return out, fmt.Errorf("pages of visitor %d: %w", r.ID, err)
	}
	next := until
	for _, pv := range views {
		if pv.Visit != r.Visits {
			break
		}
		end := next
		if pv.LeftAt.Valid && pv.LeftAt.Time.Before(end) {
			end = pv.LeftAt.Time
		}
		out.Pages = append(out.Pages, PageView{URL: pv.Url, Title: pv.Title, Referrer: pv.Referrer, At: pv.At, Seconds: secondsBetween(pv.At, end)})
		next = pv.At
	}
	if len(out.Pages) > 0 {
		cur := out.Pages[0]
		out.CurrentPage = &cur
	}
	return out, nil
}

func secondsBetween(a, b time.Time) int64 {
	if b.Before(a) {
		return 0
	}
	return int64(b.Sub(a) / time.Second)
}

// ErrOffline: the visitor is not on the site now.
var ErrOffline = errors.New("the visitor is not on the site now")

// Invite sends a visitor on the site a proactive invitation to talk, with
// the caller's personal message. The caller must belong to one of the
// channel's departments (administrators may invite on any): a conversation
// the visitor opens by answering goes to that department, straight to the
// caller.
func (v *Visitors) Invite(ctx context.Context, p auth.Principal, visitorID int64, message string) (Invitation, error) {
	now := v.clock.Now()
	message = strings.TrimSpace(message)
	if message == "" || utf8.RuneCountInString(message) > maxInvitation {
		return Invitation{}, validate.Errorf("message", "must be 1 to %d characters", maxInvitation)
	}
	var out Invitation
	err := v.engine.Tx(ctx, func(q *store.Queries, fx *routing.Effects) error {
		row, err := v.visible(ctx, q, p, visitorID)
		if err != nil {
			return err
		}
		if !row.OnlineUntil.Valid || !row.OnlineUntil.Time.After(now) {
			return fmt.Errorf("visitor %d: %w", visitorID, ErrOffline)
		}
		chRow, err := q.GetAccountChannel(ctx, store.GetAccountChannelParams{AccountID: p.AccountID, ID: row.ChannelID})
		if err != nil {
			return fmt.Errorf("channel %d: %w", row.ChannelID, store.Translate(err))
		}
		ch, err := ChannelOf(chRow)
		if err != nil {
			return err
		}
		mine, err := q.ListAgentDepartments(ctx, p.UserID)
		if err != nil {
			return err
		}
		department := int64(0)
		for _, d := range ch.DepartmentIDs() {
			if slices.Contains(mine, d) {
				department = d
				break
			}
		}
		if department == 0 {
			department = ch.DepartmentID // an administrator outside the channel's departments
		}
		if department == 0 {
			return fmt.Errorf("channel %d has no department to invite to: %w", ch.ID, validate.Errorf("visitor", "the site has no department"))
		}
		inv, err := q.CreateInvitation(ctx, store.CreateInvitationParams{AccountID: p.AccountID, VisitorID: row.ID, AgentID: p.UserID,
			DepartmentID: department, Message: message, CreatedAt: now})
		if err != nil {
			return fmt.Errorf("invite visitor %d: %w", row.ID, err)
		}
		out = Invitation{ID: inv.ID, VisitorID: row.ID, AgentID: p.UserID, Message: inv.Message, CreatedAt: inv.CreatedAt}
		fx.Publish(p.AccountID, routing.Event{Kind: "visitor.invited", VisitorID: row.ID, DepartmentID: department, AgentID: 0})
		return nil
	})
	return out, err
}

// publishVisitor tells the agents of each of the channel's departments that
// something about a visitor changed.
func publishVisitor(fx *routing.Effects, ch *Channel, accountID int64, kind string, visitorID int64) {
	for _, d := range ch.DepartmentIDs() {
		fx.Publish(accountID, routing.Event{Kind: kind, VisitorID: visitorID, DepartmentID: d})
	}
}
