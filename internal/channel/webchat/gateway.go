package webchat

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/atende/atende/internal/attachment"
	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/events"
	"github.com/atende/atende/internal/realtime"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Hub is the part of the real-time hub visitors' sockets use: the account's
// events and typing, and publishing the visitor's typing.
type Hub interface {
	Listen(ctx context.Context, accountID int64, l realtime.Listener) (stop func(), err error)
	PublishTyping(t realtime.Typing) error
}

// Socket is one widget's WebSocket, as the HTTP layer hands it over. It
// ends by being closed, from either side: reads and writes take no context.
type Socket interface {
	// Read waits for the next frame; it fails once the socket is closed.
	Read() ([]byte, error)
	// Write sends a frame. A client that does not take it in a few seconds
	// has its socket closed, and Write fails.
	Write(frame []byte) error
	// Close closes with a status and reason, waiting a little for the
	// client's answer; CloseNow closes at once.
	Close(code int, reason string) error
	CloseNow() error
}

// Client is what the HTTP layer knows of the browser.
type Client struct {
	IP        string
	UserAgent string
}

// Close statuses of the visitor socket.
const (
	CloseBadToken      = 4401
	CloseNoHello       = 4408
	CloseTooManyFaults = 4429
	CloseTooSlow       = 1008
	CloseGoingAway     = 1001
)

// Gateway serves the widgets' sockets: one session per socket.
type Gateway struct {
	db     *store.DB
	clock  clock.Clock
	engine *routing.Engine
	recv   *channel.Receiver
	hub    Hub
	files  *attachment.Service // nil: no uploads
	log    *slog.Logger
	limits Limits
	lim    *limiter
	// HelloTimeout is how long a socket may stay silent before its hello.
	HelloTimeout time.Duration

	mu    sync.Mutex
	local map[int64]int // sockets on this node, by visitor

	cmu   sync.Mutex
	sites map[int64]*site // by channel: the copy its sessions share

	fmu   sync.Mutex
	feeds map[int64]*accountFeed // by account (fanout.go)
}

// NewGateway returns a Gateway; files stores visitors' uploads (nil: the
// widget offers none).
func NewGateway(db *store.DB, clk clock.Clock, engine *routing.Engine, recv *channel.Receiver, hub Hub, files *attachment.Service, limits Limits, log *slog.Logger) *Gateway {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Gateway{db: db, clock: clk, engine: engine, recv: recv, hub: hub, files: files, log: log, limits: limits, lim: newLimiter(),
		HelloTimeout: 10 * time.Second, local: map[int64]int{}, sites: map[int64]*site{}, feeds: map[int64]*accountFeed{}}
}

// ErrUnknownChannel: no live website chat channel has that public key.
var ErrUnknownChannel = errors.New("unknown website chat channel")

// Channel finds the channel a widget names by its public key.
func (g *Gateway) Channel(ctx context.Context, publicKey string) (store.Channel, Channel, error) {
	if publicKey == "" || len(publicKey) > 64 {
		return store.Channel{}, Channel{}, ErrUnknownChannel
	}
	row, err := g.db.Read().GetChannelByPublicKey(ctx, store.NullString{String: publicKey, Valid: true})
	if err != nil {
		if errors.Is(store.Translate(err), store.ErrNotFound) {
			return row, Channel{}, ErrUnknownChannel
		}
		return row, Channel{}, err
	}
	if row.Kind != Kind {
		return row, Channel{}, ErrUnknownChannel
	}
	ch, err := ChannelOf(row)
	return row, ch, err
}

// AllowConnection applies the per-address connection limit.
func (g *Gateway) AllowConnection(ip string) (bool, time.Duration) {
	return g.lim.allow("connect:"+ip, g.limits.Connect, g.clock.Now())
}

// sessionBuffer is how many items may wait for a session before it is
// closed as too slow. The feed hands a session only its own conversation's
// events, so a few dozen is plenty.
const sessionBuffer = 32

// Session is a widget's socket, opened and ready to Run.
type Session session

// Open sets a widget's socket up: call it on the request's goroutine, then
// Run on a goroutine of its own, with a shallow stack: `go g.Open(…).Run()`.
// The HTTP layer has found the channel (row and ch, which the session only
// reads) and checked the Origin. Cancelling ctx closes the socket (going
// away).
//
// Run's goroutine only reads the socket, for as long as it is open, and
// does nothing deeper: a goroutine's stack stays as large as it ever grew
// (the collector shrinks one only while it is under a quarter used), and an
// idle widget's reader then keeps the smallest there is, 2 KB. Setting up
// goes deeper (timers, the channel's shared copy), hence on the request's
// goroutine. Frames and the feed's items are handled by a worker goroutine
// that the session starts when there is something to do and that leaves
// when there is nothing more (see session.work).
func (g *Gateway) Open(ctx context.Context, row *store.Channel, ch *Channel, sock Socket, cl Client) *Session {
	site := g.site(row, ch)
	s := &session{g: g, ctx: ctx, row: &site.row, ch: &site.ch, sock: sock, cl: cl, users: map[int64]string{}, shown: map[int64]bool{}}
	s.cond.L = &s.qmu
	if ctx.Done() != nil {
		s.unwatch = context.AfterFunc(ctx, func() { sock.Close(CloseGoingAway, "the server is stopping") })
	}
	// The first frame must come within HelloTimeout (and be a hello: the
	// worker checks).
	s.late = time.AfterFunc(g.HelloTimeout, func() { sock.Close(CloseNoHello, "no hello within "+g.HelloTimeout.String()) })
	return (*Session)(s)
}

// Run reads the socket until it closes (see Open) and logs how it failed,
// if it did.
func (r *Session) Run() error {
	s := (*session)(r)
	defer s.sock.CloseNow()
	if s.unwatch != nil {
		defer s.unwatch()
	}
	data, err := s.sock.Read()
	if !s.late.Stop() || err != nil {
		return nil // closed, or too late
	}
	s.late = nil
	for s.handOver(data) {
		if data, err = s.sock.Read(); err != nil {
			break // the socket closed: how sessions end
		}
	}
	return s.finish()
}

// finish ends the session once its socket has closed, and logs the error
// that ended it, if any.
func (s *session) finish() error {
	if err := s.end(); err != nil {
		s.g.log.Warn("webchat: socket failed", "channel", s.row.ID, "visitor", s.visitor.ID, "err", err)
		return err
	}
	return nil
}

// site is a channel as its sessions see it. They share one copy of it: a
// site's thousands of open widgets would otherwise each hold the channel's
// row and settings.
type site struct {
	row store.Channel
	ch  Channel
}

// site returns the shared copy of the channel as row and ch have it,
// replacing an older one (sessions that have it keep it).
func (g *Gateway) site(row *store.Channel, ch *Channel) *site {
	g.cmu.Lock()
	defer g.cmu.Unlock()
	if c := g.sites[row.ID]; c != nil && sameRow(&c.row, row) {
		return c
	}
	c := &site{row: *row, ch: *ch}
	g.sites[row.ID] = c
	return c
}

// sameRow reports whether a and b are the same version of a channel's row.
func sameRow(a, b *store.Channel) bool {
	return a.ID == b.ID && a.AccountID == b.AccountID && a.Kind == b.Kind && a.Name == b.Name && a.DepartmentID == b.DepartmentID &&
		a.Settings == b.Settings && a.RatePerS == b.RatePerS && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.DeletedAt.Valid == b.DeletedAt.Valid && a.DeletedAt.Time.Equal(b.DeletedAt.Time) && a.PublicKey == b.PublicKey && a.Secret == b.Secret
}

// keepBatch bounds the visitors one heartbeat transaction renews, so that
// other writers wait for short transactions, not one long one.
const keepBatch = 500

// Run keeps the visitors connected to this node online until ctx ends: one
// pass every heartbeat for all of them, rather than a write per socket
// (20,000 open widgets would be 667 writes a second). It also sends the
// visitors waiting in queues that moved their new places.
func (g *Gateway) Run(ctx context.Context) {
	go clock.Every(ctx, positionsEvery, func(ctx context.Context) {
		if err := g.sendPositions(ctx); err != nil && ctx.Err() == nil {
			g.log.Warn("webchat: queue positions", "err", err)
		}
	})
	clock.Every(ctx, heartbeat, func(ctx context.Context) {
		if err := g.KeepOnline(ctx); err != nil && ctx.Err() == nil {
			g.log.Warn("webchat: keep visitors online", "err", err)
		}
	})
}

// KeepOnline renews the online time of every visitor with a socket on this
// node; Run calls it every heartbeat.
func (g *Gateway) KeepOnline(ctx context.Context) error {
	g.mu.Lock()
	ids := make([]int64, 0, len(g.local))
	for id := range g.local {
		ids = append(ids, id)
	}
	g.mu.Unlock()
	now := g.clock.Now()
	for len(ids) > 0 {
		batch := ids[:min(len(ids), keepBatch)]
		ids = ids[len(batch):]
		err := g.db.Tx(ctx, func(q *store.Queries) error {
			for _, id := range batch {
				if err := q.KeepVisitorOnline(ctx, store.KeepVisitorOnlineParams{ID: id, OnlineUntil: store.Null(now.Add(OnlineFor)), LastSeenAt: now}); err != nil {
					return fmt.Errorf("visitor %d: %w", id, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// session is one widget's socket.
type session struct {
	g    *Gateway
	ctx  context.Context
	row  *store.Channel // shared with the site's other sessions: read only
	ch   *Channel       // likewise
	sock Socket
	cl   Client

	late    *time.Timer // the hello's deadline, until it came
	unwatch func() bool // stops the watch on Open's context, if any

	// The session's work, guarded by qmu: the frame the reader has read and
	// the worker not yet taken (next) (the reader waits on cond to hand over the
	// next), and the items from the feed.
	qmu     sync.Mutex
	cond    sync.Cond
	next    []byte
	items   []item
	slow    bool          // items overflowed: the socket is closed as too slow
	running bool          // a worker goroutine is at work
	ended   bool          // the socket closed or failed: no more work
	exited  chan struct{} // closed when the worker leaves, if end waits for it
	err     error         // what failed, for Run to report

	// The rest is the worker's.
	greeted  bool // the first frame was handled
	visitor  visitorState
	conv     *store.Conversation // the conversation the widget shows, if any
	position int64               // its place in the queue, as last computed by sendPositions (0: ask)
	lang     string

	// Guarded by Gateway.fmu (fanout.go).
	feed                      *accountFeed
	indexedConv, indexedQueue int64

	joined     bool  // the visitor is counted on this node (see leave)
	last       int64 // the last event sequence handled
	sentConv   string
	invitation int64          // the last invitation shown
	shown      map[int64]bool // messages sent to this socket
	// acked is the visitor's message this socket last acknowledged: its
	// message.created event, arriving just after, has nothing to add.
	acked    int64
	refusals int
	users    map[int64]string // display names, by user id
}

// visitorState is what a session keeps of its visitor's row; the rest (the
// browser, the page, …) stays in the database rather than in every open
// widget's session.
type visitorState struct {
	ID             int64
	VisitorKey     string
	ContactID      sql.NullInt64
	ConversationID sql.NullInt64
	SinceSeq       int64
	Visits         int32
}

func visitorStateOf(v store.WebchatVisitor) visitorState {
	return visitorState{ID: v.ID, VisitorKey: v.VisitorKey, ContactID: v.ContactID, ConversationID: v.ConversationID, SinceSeq: v.SinceSeq, Visits: v.Visits}
}

// item is what the gateway's feed hands the session: an event, a typing
// signal or a new place in the queue.
type item struct {
	ev       *events.Stored
	typing   *realtime.Typing
	position int64
}

// push files an item without waiting (the feed calls it with locks held).
// A session too slow to take sessionBuffer of them is closed: the widget
// reconnects and catches up by sequence.
func (s *session) push(it item) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.ended || s.slow {
		return
	}
	if len(s.items) >= sessionBuffer {
		s.slow, s.items = true, nil
	} else {
		s.items = append(s.items, it)
	}
	s.wake()
}

// handOver gives the worker a frame read from the socket, first waiting
// while the previous one is still waiting: the reader stays one frame
// ahead at most, so a flood waits in the client's socket, not here. It
// reports false once the session has ended.
func (s *session) handOver(data []byte) bool {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	for s.next != nil && !s.ended {
		s.cond.Wait()
	}
	if s.ended {
		return false
	}
	s.next = data
	s.wake()
	return true
}

// wake starts a worker unless one is at work. Called with qmu held.
func (s *session) wake() {
	if !s.running && !s.ended {
		s.running = true
		go s.work()
	}
}

// work handles the session's items and frames, one at a time, until there
// are none; then it leaves. Handling goes deep (the database, encoding): a
// goroutine that comes and goes for it keeps the reader's stack shallow,
// for a stack stays as large as it ever grew until the garbage collector
// shrinks it.
func (s *session) work() {
	for {
		s.qmu.Lock()
		frame, items, slow := s.next, s.items, s.slow
		if s.ended || (frame == nil && len(items) == 0 && !slow) {
			s.running = false
			if s.exited != nil {
				close(s.exited)
			}
			s.qmu.Unlock()
			return
		}
		if frame != nil {
			s.next = nil
			s.cond.Signal()
		}
		s.items = nil
		s.qmu.Unlock()

		if slow {
			s.close(CloseTooSlow, "too slow: reconnect with your last seq")
			continue
		}
		var err error
		for _, it := range items {
			if err = s.item(s.ctx, it); err != nil {
				break
			}
		}
		if err == nil && frame != nil {
			err = s.handle(frame)
		}
		if err != nil {
			s.fail(err)
		}
	}
}

// handle handles a frame from the widget; the first must be a hello.
func (s *session) handle(data []byte) error {
	if s.greeted {
		return s.frame(s.ctx, data)
	}
	s.greeted = true
	f, err := DecodeFrame(data)
	if err == nil && f.Type != FrameHello {
		err = &FrameError{Code: "hello_required", Message: "the first frame must be a hello"}
	}
	if err != nil {
		s.refuse(s.ctx, err, "")
		return s.close(CloseNoHello, "hello expected")
	}
	return s.hello(s.ctx, f)
}

// close closes the socket on purpose, with a status and reason, and ends
// the session: a frame the reader took meanwhile is not handled.
func (s *session) close(code int, reason string) error {
	err := s.sock.Close(code, reason)
	s.fail(nil)
	return err
}

// fail ends the session: the socket closes, the reader stops, and err (nil
// for a session closed on purpose) is what Run reports.
func (s *session) fail(err error) {
	s.qmu.Lock()
	if !s.ended {
		s.ended, s.err = true, err
		s.cond.Broadcast()
	}
	s.qmu.Unlock()
	s.sock.CloseNow()
}

// end is the reader's last act: it waits for the worker to leave, then
// records the visitor's leaving if they were known.
func (s *session) end() error {
	s.qmu.Lock()
	s.ended = true
	if s.running {
		s.exited = make(chan struct{})
	}
	exited, err := s.exited, s.err
	s.qmu.Unlock()
	if exited != nil {
		<-exited
	}
	if s.joined {
		s.leave()
	}
	return err
}

// send writes one frame. The socket bounds how long a write may take: a
// context per write would be kept by the WebSocket until the next one.
func (s *session) send(_ context.Context, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.sock.Write(data)
}

type errorFrame struct {
	Type       string `json:"type"`
	Code       string `json:"code"`
	Message    string `json:"message"`
	Field      string `json:"field,omitempty"`
	RetryAfter int    `json:"retry_after,omitempty"`
	// ClientID names the refused message, when a message was refused.
	ClientID string `json:"client_id,omitempty"`
}

// refuse answers a refused frame with its reason; clientID is the refused
// message's, if it was one.
func (s *session) refuse(ctx context.Context, err error, clientID string) error {
	e := errorFrame{Type: "error", Code: "unavailable", Message: "could not do it now; try again", ClientID: clientID}
	var fe *FrameError
	var inv *validate.Error
	var limited *RateLimited
	switch {
	case errors.As(err, &fe):
		e.Code, e.Message, e.Field = fe.Code, fe.Error(), fe.Field
	case errors.As(err, &limited):
		e.Code, e.Message, e.RetryAfter = "rate_limited", "too many; slow down", max(1, int((limited.After+time.Second-1)/time.Second))
	case errors.As(err, &inv):
		e.Code, e.Message, e.Field = "invalid", inv.Error(), inv.Field
	case errors.Is(err, conversation.ErrNotAllowed):
		e.Code, e.Message = "not_allowed", err.Error()
	default:
		s.g.log.Warn("webchat: visitor frame failed", "channel", s.row.ID, "visitor", s.visitor.ID, "err", err)
	}
	if e.Code != "unavailable" { // Atende's own failures are not the visitor's fault
		s.refusals++
	}
	if werr := s.send(ctx, e); werr != nil {
		return werr
	}
	if s.refusals >= s.g.limits.MaxRefusals {
		return s.close(CloseTooManyFaults, "too many refused frames")
	}
	return nil
}

// RateLimited: a visitor or address went past one of the Limits; After
// says when to try again.
type RateLimited struct{ After time.Duration }

func (e *RateLimited) Error() string { return "rate limited" }

// allow applies a per-visitor and a per-address limit.
func (s *session) allow(what string, perVisitor, perIP Limit) error {
	now := s.g.clock.Now()
	if ok, after := s.g.lim.allow(what+":v:"+s.visitor.VisitorKey, perVisitor, now); !ok {
		return &RateLimited{after}
	}
	if perIP.Burst > 0 {
		if ok, after := s.g.lim.allow(what+":ip:"+s.cl.IP, perIP, now); !ok {
			return &RateLimited{after}
		}
	}
	return nil
}

// hello identifies the visitor, records their arrival and first page,
// answers welcome, and replays or snapshots their conversation.
func (s *session) hello(ctx context.Context, f Frame) error {
	g, now := s.g, s.g.clock.Now()
	key := NewVisitorKey()
	if f.Token != "" {
		k, err := VerifyToken(s.row.Secret, s.row.ID, f.Token, now)
		if err != nil {
			s.send(ctx, errorFrame{Type: "error", Code: "bad_token", Message: err.Error()})
			return s.close(CloseBadToken, "bad token")
		}
		key = k
	}
	s.lang = f.Language
	ua := ParseUserAgent(s.cl.UserAgent)
	err := g.engine.Tx(ctx, func(q *store.Queries, fx *routing.Effects) error {
		v, err := q.GetVisitorByKey(ctx, store.GetVisitorByKeyParams{ChannelID: s.row.ID, VisitorKey: key})
		if errors.Is(err, sql.ErrNoRows) {
			v, err = q.CreateVisitor(ctx, store.CreateVisitorParams{AccountID: s.row.AccountID, ChannelID: s.row.ID, VisitorKey: key, Now: now})
			if errors.Is(err, sql.ErrNoRows) { // created meanwhile by another tab
				v, err = q.GetVisitorByKey(ctx, store.GetVisitorByKeyParams{ChannelID: s.row.ID, VisitorKey: key})
			}
		}
		if err != nil {
			return fmt.Errorf("visitor %s: %w", key, err)
		}
		v, err = q.ArriveVisitor(ctx, store.ArriveVisitorParams{ID: v.ID, VisitGapStart: now.Add(-visitGap), Now: now,
			UserAgent: clipBytes(s.cl.UserAgent, 512), Browser: ua.Browser, Os: ua.OS, Device: ua.Device, IP: s.cl.IP,
			Language: f.Language, TimeZone: f.TimeZone, OnlineUntil: store.Null(now.Add(OnlineFor))})
		if err != nil {
			return fmt.Errorf("visitor %d arrives: %w", v.ID, err)
		}
		s.visitor = visitorStateOf(v)
		// A hello with after is the same page reconnecting: not a new view.
		if f.After == 0 || f.Page.URL != v.CurrentUrl {
			if err := s.recordPage(ctx, q, *f.Page, now); err != nil {
				return err
			}
		}
		publishVisitor(fx, s.ch, s.row.AccountID, "visitor.online", v.ID)
		return nil
	})
	if err != nil {
		return err
	}
	s.cl.UserAgent = "" // recorded: the session needs it no more
	g.mu.Lock()
	g.local[s.visitor.ID]++
	g.mu.Unlock()
	s.joined = true

	online, err := s.online(ctx)
	if err != nil {
		return err
	}
	if err := s.send(ctx, map[string]any{"type": "welcome", "token": SignToken(s.row.Secret, s.row.ID, key, now),
		"visitor": map[string]string{"id": key}, "config": s.config(ctx), "online": online}); err != nil {
		return nil
	}
	if f.Identity != nil {
		if VerifyIdentity(s.ch.IdentitySecret, f.Identity.Email, f.Identity.Signature) {
			if err := s.identify(ctx, f.Identity.Name, f.Identity.Email, "", true); err != nil {
				s.refuse(ctx, err, "")
			}
		} else {
			s.send(ctx, errorFrame{Type: "error", Code: "bad_signature", Message: "the identity signature does not match the e-mail"})
		}
	}

	// Follow the account's events from now on, then catch up from the
	// database; what came meanwhile waits in items and is skipped by seq.
	if err := g.follow(ctx, s); err != nil {
		return err
	}
	if err := s.loadConversation(ctx); err != nil {
		return err
	}
	replayed := false
	if f.After > 0 {
		evs, err := events.AfterFunc(ctx, g.db.Read(), s.row.AccountID, f.After, func(events.Stored) bool { return true })
		if err == nil {
			replayed = true
			s.last = f.After
			for _, ev := range evs {
				if err := s.event(ctx, ev); err != nil {
					return err
				}
			}
		} else if !errors.Is(err, events.ErrTooOld) {
			return err
		}
	}
	if !replayed {
		if err := s.snapshot(ctx); err != nil {
			return err
		}
	}
	return s.send(ctx, map[string]any{"type": "synced", "seq": s.last})
}

// leave ends the session: the last socket of the visitor on this node marks
// them gone (another node's heartbeat brings them back if they are there).
func (s *session) leave() {
	g := s.g
	g.unfollow(s)
	g.mu.Lock()
	g.local[s.visitor.ID]--
	last := g.local[s.visitor.ID] <= 0
	if last {
		delete(g.local, s.visitor.ID)
	}
	g.mu.Unlock()
	if !last {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := g.clock.Now()
	err := g.engine.Tx(ctx, func(q *store.Queries, fx *routing.Effects) error {
		if err := q.SetVisitorOffline(ctx, store.SetVisitorOfflineParams{ID: s.visitor.ID, OnlineUntil: store.Null(now)}); err != nil {
			return err
		}
		if err := q.LeavePages(ctx, store.LeavePagesParams{VisitorID: s.visitor.ID, LeftAt: store.Null(now)}); err != nil {
			return err
		}
		publishVisitor(fx, s.ch, s.row.AccountID, "visitor.offline", s.visitor.ID)
		return nil
	})
	if err != nil {
		g.log.Warn("webchat: visitor leaves", "visitor", s.visitor.ID, "err", err)
	}
}

// recordPage adds a page view to the visitor's trail.
func (s *session) recordPage(ctx context.Context, q *store.Queries, p Page, now time.Time) error {
	if err := q.LeavePages(ctx, store.LeavePagesParams{VisitorID: s.visitor.ID, LeftAt: store.Null(now)}); err != nil {
		return err
	}
	if _, err := q.InsertPageView(ctx, store.InsertPageViewParams{AccountID: s.row.AccountID, VisitorID: s.visitor.ID, Visit: s.visitor.Visits,
		Url: p.URL, Title: p.Title, Referrer: p.Referrer, At: now}); err != nil {
		return fmt.Errorf("page view of visitor %d: %w", s.visitor.ID, err)
	}
	return q.SetVisitorPage(ctx, store.SetVisitorPageParams{ID: s.visitor.ID, CurrentUrl: p.URL, CurrentTitle: p.Title, LastSeenAt: now})
}

// online reports whether an agent of the channel's departments is ready.
func (s *session) online(ctx context.Context) (bool, error) {
	for _, d := range s.ch.DepartmentIDs() {
		n, err := s.g.db.Read().CountReadyInDepartment(ctx, store.CountReadyInDepartmentParams{AccountID: s.row.AccountID, DepartmentID: d})
		if err != nil {
			return false, err
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// config is what the widget draws, in the visitor's language.
func (s *session) config(ctx context.Context) map[string]any {
	deps := []map[string]any{}
	for _, id := range s.ch.Departments {
		if d, err := s.g.db.Read().GetDepartment(ctx, store.GetDepartmentParams{AccountID: s.row.AccountID, ID: id}); err == nil {
			deps = append(deps, map[string]any{"id": d.ID, "name": d.Name})
		}
	}
	lang := "pt-BR"
	if strings.HasPrefix(strings.ToLower(s.lang), "en") {
		lang = "en"
	}
	return map[string]any{"name": s.ch.Name, "color": s.ch.Color, "text_color": s.ch.TextColor,
		"greeting": s.ch.Greeting.In(lang), "offline_message": s.ch.OfflineMessage.In(lang),
		"prechat": s.ch.Prechat, "departments": deps, "language": lang, "uploads": s.g.files != nil}
}

// loadConversation reads the conversation the widget shows.
func (s *session) loadConversation(ctx context.Context) error {
	q := s.g.db.Read()
	v, err := q.GetVisitor(ctx, store.GetVisitorParams{AccountID: s.row.AccountID, ID: s.visitor.ID})
	if err != nil {
		return err
	}
	s.visitor = visitorStateOf(v)
	if !v.ConversationID.Valid {
		s.setConversation(nil)
		return nil
	}
	c, err := q.GetConversation(ctx, store.GetConversationParams{AccountID: s.row.AccountID, ID: v.ConversationID.Int64})
	if err != nil {
		return fmt.Errorf("conversation %d of visitor %d: %w", v.ConversationID.Int64, v.ID, err)
	}
	s.setConversation(&c)
	return nil
}

// setConversation records the conversation the widget shows as it now is,
// and has the gateway's feed file the session under it.
func (s *session) setConversation(c *store.Conversation) {
	s.conv = c
	s.position = 0 // counted again for the new state
	s.g.index(s)
}

// Visitor-facing views: nothing about agents but their display name,
// nothing of notes, system lines or other conversations.
type named struct {
	Name string `json:"name"`
}

type visitorMessage struct {
	ID          int64                     `json:"id"`
	Seq         int64                     `json:"seq"`
	From        string                    `json:"from"` // visitor or agent
	Body        string                    `json:"body"`
	Kind        string                    `json:"kind"`
	Attachments []conversation.Attachment `json:"attachments"`
	Status      string                    `json:"status"`
	At          time.Time                 `json:"at"`
	Author      *named                    `json:"author,omitempty"`
	// ClientID is the widget's id of the visitor's own message.
	ClientID string `json:"client_id,omitempty"`
}

type visitorConversation struct {
	Protocol      string `json:"protocol"`
	Status        string `json:"status"`
	QueuePosition int64  `json:"queue_position,omitempty"`
	Agent         *named `json:"agent"`
	// ReadUpTo: the serving agent has read the visitor's messages up to
	// this message sequence.
	ReadUpTo int64 `json:"read_up_to"`
}

// visible reports whether the visitor may see m.
func (s *session) visible(m store.Message) bool {
	if s.conv == nil || m.ConversationID != s.conv.ID || m.Seq < s.visitor.SinceSeq {
		return false
	}
	switch m.Direction {
	case conversation.In:
		return true
	case conversation.Out:
		return m.Status == conversation.Sent || m.Status == conversation.Delivered || m.Status == conversation.Read
	}
	return false
}

func (s *session) userName(ctx context.Context, id int64) string {
	if n, ok := s.users[id]; ok {
		return n
	}
	u, err := s.g.db.Read().GetUser(ctx, store.GetUserParams{AccountID: s.row.AccountID, ID: id})
	if err != nil {
		return ""
	}
	s.users[id] = u.Name
	return u.Name
}

func (s *session) messageView(ctx context.Context, m store.Message) visitorMessage {
	v := visitorMessage{ID: m.ID, Seq: m.Seq, Body: m.Body, Kind: m.Kind, Status: m.Status, At: m.CreatedAt, Attachments: []conversation.Attachment{}}
	json.Unmarshal([]byte(m.Attachments), &v.Attachments)
	if v.Attachments == nil {
		v.Attachments = []conversation.Attachment{}
	}
	if m.Direction == conversation.In {
		v.From, v.Status = "visitor", "sent"
		v.ClientID, _ = strings.CutPrefix(m.ProviderMessageID.String, s.visitor.VisitorKey+":")
		if v.ClientID == m.ProviderMessageID.String {
			v.ClientID = "" // another browser's
		}
	} else {
		v.From = "agent"
		if m.SenderType == "agent" && m.SenderID.Valid {
			v.Author = &named{Name: s.userName(ctx, m.SenderID.Int64)}
		}
	}
	return v
}

func (s *session) conversationView(ctx context.Context) (visitorConversation, error) {
	c := *s.conv
	v := visitorConversation{Protocol: c.Protocol, Status: c.Status}
	if c.AgentID.Valid {
		v.Agent = &named{Name: s.userName(ctx, c.AgentID.Int64)}
		seq, err := s.g.db.Read().GetReadMark(ctx, store.GetReadMarkParams{UserID: c.AgentID.Int64, ConversationID: c.ID})
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return v, err
		}
		v.ReadUpTo = seq
	}
	if c.Status == string(conversation.Queued) && s.position > 0 {
		v.QueuePosition = s.position
	} else if c.Status == string(conversation.Queued) {
		ahead, err := s.g.db.Read().CountQueuedAhead(ctx, store.CountQueuedAheadParams{AccountID: c.AccountID, DepartmentID: c.DepartmentID,
			Priority: c.Priority, QueuedAt: c.QueuedAt, ID: c.ID})
		if err != nil {
			return v, err
		}
		v.QueuePosition = ahead + 1
	}
	return v, nil
}

// sendConversation sends the conversation's state when it changed since
// the last one sent.
func (s *session) sendConversation(ctx context.Context, seq int64) error {
	if s.conv == nil {
		return nil
	}
	v, err := s.conversationView(ctx)
	if err != nil {
		return err
	}
	key, _ := json.Marshal(v)
	if string(key) == s.sentConv {
		return nil
	}
	s.sentConv = string(key)
	return s.send(ctx, map[string]any{"type": "conversation", "seq": seq, "conversation": v})
}

// sendMessage pushes a message and, for an agent's message Atende has
// sent, records that it reached the widget.
func (s *session) sendMessage(ctx context.Context, seq int64, m store.Message) error {
	if s.shown[m.ID] {
		return nil
	}
	s.shown[m.ID] = true
	if err := s.send(ctx, map[string]any{"type": "message", "seq": seq, "message": s.messageView(ctx, m)}); err != nil {
		return err
	}
	if m.Direction == conversation.Out && m.Status == conversation.Sent {
		return s.delivered(ctx, m)
	}
	return nil
}

// delivered records that an agent's message reached the widget.
func (s *session) delivered(ctx context.Context, m store.Message) error {
	return s.g.engine.Tx(ctx, func(q *store.Queries, fx *routing.Effects) error {
		moved, err := conversation.AdvanceStatus(ctx, q, s.g.clock.Now(), m.ID, conversation.Delivered, "")
		if err == nil && moved {
			fx.Publish(m.AccountID, routing.Event{Kind: "message.status", ConversationID: m.ConversationID, MessageID: m.ID, Status: conversation.Delivered})
		}
		return err
	})
}

// maxSnapshot bounds the messages a snapshot carries.
const maxSnapshot = 200

// snapshot sends the whole state of the visitor's conversation.
func (s *session) snapshot(ctx context.Context) error {
	q := s.g.db.Read()
	seq, err := q.LastEventSeq(ctx, s.row.AccountID)
	if err != nil {
		return err
	}
	// Read after the sequence: anything numbered later comes as a frame.
	if err := s.loadConversation(ctx); err != nil {
		return err
	}
	s.last = max(s.last, seq)
	out := map[string]any{"type": "snapshot", "seq": s.last, "conversation": nil, "messages": []visitorMessage{}, "invitation": nil}
	var toDeliver []store.Message
	if s.conv != nil {
		cv, err := s.conversationView(ctx)
		if err != nil {
			return err
		}
		key, _ := json.Marshal(cv)
		s.sentConv = string(key)
		out["conversation"] = cv
		rows, err := q.ListVisitorMessages(ctx, store.ListVisitorMessagesParams{ConversationID: s.conv.ID, SinceSeq: s.visitor.SinceSeq, Lim: maxSnapshot})
		if err != nil {
			return err
		}
		msgs := make([]visitorMessage, 0, len(rows))
		for i := len(rows) - 1; i >= 0; i-- {
			s.shown[rows[i].ID] = true
			msgs = append(msgs, s.messageView(ctx, rows[i]))
			if rows[i].Direction == conversation.Out && rows[i].Status == conversation.Sent {
				toDeliver = append(toDeliver, rows[i])
			}
		}
		out["messages"] = msgs
	}
	if inv, ok, err := s.openInvitation(ctx); err != nil {
		return err
	} else if ok {
		out["invitation"] = inv
		s.invitation = inv.ID
	}
	if err := s.send(ctx, out); err != nil {
		return err
	}
	for _, m := range toDeliver {
		if err := s.delivered(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

type visitorInvitation struct {
	ID      int64  `json:"id"`
	Message string `json:"message"`
	Agent   named  `json:"agent"`
}

// openInvitation is the visitor's invitation still open, if any.
func (s *session) openInvitation(ctx context.Context) (visitorInvitation, bool, error) {
	inv, err := s.g.db.Read().LatestOpenInvitation(ctx, store.LatestOpenInvitationParams{VisitorID: s.visitor.ID, CreatedAt: s.g.clock.Now().Add(-invitationLapse)})
	if errors.Is(err, sql.ErrNoRows) {
		return visitorInvitation{}, false, nil
	}
	if err != nil {
		return visitorInvitation{}, false, err
	}
	return visitorInvitation{ID: inv.ID, Message: inv.Message, Agent: named{Name: s.userName(ctx, inv.AgentID)}}, true, nil
}

// item handles what the gateway's feed handed over.
func (s *session) item(ctx context.Context, it item) error {
	if it.position > 0 {
		s.position = it.position
		return s.sendConversation(ctx, s.last)
	}
	if it.typing != nil {
		if s.conv != nil && it.typing.ConversationID == s.conv.ID {
			return s.send(ctx, map[string]any{"type": "typing", "name": it.typing.Name})
		}
		return nil
	}
	return s.event(ctx, *it.ev)
}

// event turns one of the account's events into what the visitor may see of
// it, if anything.
func (s *session) event(ctx context.Context, ev events.Stored) error {
	if ev.Seq <= s.last {
		return nil
	}
	s.last = ev.Seq
	var e events.Event
	if err := json.Unmarshal(ev.Data, &e); err != nil {
		return nil
	}
	q := s.g.db.Read()
	switch {
	case e.VisitorID == s.visitor.ID && ev.Kind == "visitor.invited":
		inv, ok, err := s.openInvitation(ctx)
		if err != nil || !ok || inv.ID == s.invitation {
			return err
		}
		s.invitation = inv.ID
		return s.send(ctx, map[string]any{"type": "invitation", "seq": ev.Seq, "invitation": inv})
	case e.VisitorID == s.visitor.ID && ev.Kind == "visitor.chatting":
		// Another conversation (started from another tab): its messages
		// came before this event, when this socket did not know them yet.
		return s.snapshot(ctx)
	case s.conv == nil:
		return nil
	case ev.Kind == "message.created" && e.MessageID == s.acked:
		return nil
	case e.ConversationID == s.conv.ID && (ev.Kind == "message.created" || ev.Kind == "message.status"):
		m, err := q.GetMessage(ctx, store.GetMessageParams{AccountID: s.row.AccountID, ID: e.MessageID})
		if err != nil {
			return nil
		}
		if ev.Kind == "message.created" && m.Direction == conversation.Out {
			// Replying, the agent has read what the visitor wrote.
			if err := s.sendConversation(ctx, ev.Seq); err != nil {
				return err
			}
		}
		if !s.visible(m) {
			return nil
		}
		switch {
		case ev.Kind == "message.created" || e.Status == conversation.Sent:
			return s.sendMessage(ctx, ev.Seq, m)
		case m.Direction == conversation.Out && (e.Status == conversation.Delivered || e.Status == conversation.Read):
			return s.send(ctx, map[string]any{"type": "status", "seq": ev.Seq, "message_id": m.ID, "status": e.Status})
		}
	case e.ConversationID == s.conv.ID && ev.Kind == "read.marked" && s.conv.AgentID.Valid && e.AgentID == s.conv.AgentID.Int64:
		// The serving agent read (or marked unread) the visitor's messages.
		return s.sendConversation(ctx, ev.Seq)
	case e.ConversationID == s.conv.ID && len(ev.Kind) > 13 && ev.Kind[:13] == "conversation.":
		c, err := q.GetConversation(ctx, store.GetConversationParams{AccountID: s.row.AccountID, ID: s.conv.ID})
		if err != nil {
			return err
		}
		s.setConversation(&c)
		return s.sendConversation(ctx, ev.Seq)
	}
	return nil
}

// frame handles one frame from the widget.
func (s *session) frame(ctx context.Context, data []byte) error {
	// Every frame costs something (a pong at least): past the bucket they
	// are all refused, and the refusals close the socket.
	if err := s.allow("frame", s.g.limits.Frame, Limit{}); err != nil {
		return s.refuse(ctx, err, "")
	}
	f, err := DecodeFrame(data)
	if err != nil {
		return s.refuse(ctx, err, "")
	}
	switch f.Type {
	case FrameHello:
		err = &FrameError{Code: "hello_required", Message: "hello was already said"}
	case FramePing:
		return s.send(ctx, map[string]string{"type": "pong"})
	case FramePage:
		err = s.page(ctx, *f.Page)
	case FrameMessage:
		err = s.message(ctx, f)
	case FrameTyping:
		s.typing()
	case FrameRead:
		err = s.read(ctx, f.MessageID)
	case FrameDismiss:
		err = s.dismiss(ctx, f.InvitationID)
	}
	if err != nil {
		return s.refuse(ctx, err, f.ClientID)
	}
	return nil
}

func (s *session) page(ctx context.Context, p Page) error {
	if err := s.allow("page", s.g.limits.Page, s.g.limits.PageIP); err != nil {
		return err
	}
	return s.g.engine.Tx(ctx, func(q *store.Queries, fx *routing.Effects) error {
		if err := s.recordPage(ctx, q, p, s.g.clock.Now()); err != nil {
			return err
		}
		publishVisitor(fx, s.ch, s.row.AccountID, "visitor.page", s.visitor.ID)
		return nil
	})
}

func (s *session) typing() {
	if s.conv == nil || !conversation.Status(s.conv.Status).Open() {
		return
	}
	if ok, _ := s.g.lim.allow("typing:v:"+s.visitor.VisitorKey, s.g.limits.Typing, s.g.clock.Now()); !ok {
		return // the excess is dropped silently
	}
	c := s.conv
	if err := s.g.hub.PublishTyping(realtime.Typing{AccountID: c.AccountID, ConversationID: c.ID, DepartmentID: c.DepartmentID,
		AgentID: c.AgentID.Int64, Contact: true}); err != nil {
		s.g.log.Warn("webchat: publish typing", "visitor", s.visitor.ID, "err", err)
	}
}

func (s *session) read(ctx context.Context, messageID int64) error {
	if err := s.allow("read", s.g.limits.Page, Limit{}); err != nil {
		return err
	}
	if s.conv == nil {
		return invalid("message_id", "is not a message of your conversation")
	}
	return s.g.engine.Tx(ctx, func(q *store.Queries, fx *routing.Effects) error {
		m, err := q.GetMessage(ctx, store.GetMessageParams{AccountID: s.row.AccountID, ID: messageID})
		if err != nil || !s.visible(m) {
			return invalid("message_id", "is not a message of your conversation")
		}
		ids, err := q.MarkOutboundRead(ctx, store.MarkOutboundReadParams{ConversationID: s.conv.ID, Seq: m.Seq, UpdatedAt: s.g.clock.Now()})
		if err != nil {
			return err
		}
		for _, id := range ids {
			fx.Publish(s.row.AccountID, routing.Event{Kind: "message.status", ConversationID: s.conv.ID, MessageID: id, Status: conversation.Read})
		}
		return nil
	})
}

func (s *session) dismiss(ctx context.Context, id int64) error {
	n, err := s.g.db.Write().DismissInvitation(ctx, store.DismissInvitationParams{VisitorID: s.visitor.ID, ID: id, DismissedAt: store.Null(s.g.clock.Now())})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("invitation %d is not open: %w", id, conversation.ErrNotAllowed)
	}
	return nil
}

// identify gives the visitor's contact what the visitor told: their name
// and phone, and an e-mail that identifies them (merging into the one
// contact that has it) when identifies is true, or is only noted otherwise.
func (s *session) identify(ctx context.Context, name, email, phone string, identifies bool) error {
	now := s.g.clock.Now()
	return s.g.engine.Tx(ctx, func(q *store.Queries, fx *routing.Effects) error {
		id, _, err := contact.Resolve(ctx, q, now, s.row.AccountID, contact.Identity{Kind: contact.KindVisitor, Value: s.visitor.VisitorKey},
			contact.Profile{Name: visitorName(name), Phone: phone})
		if err != nil {
			return err
		}
		if email != "" && identifies {
			if id, err = contact.Identify(ctx, q, now, s.row.AccountID, id, email); err != nil {
				return err
			}
		}
		return q.SetVisitorContact(ctx, store.SetVisitorContactParams{ID: s.visitor.ID, ContactID: store.NullID(id), Name: name, Email: email})
	})
}

// visitorName is the name a visitor's contact gets.
func visitorName(name string) string {
	if name != "" {
		return name
	}
	return "Visitante"
}

// message stores what the visitor wrote.
func (s *session) message(ctx context.Context, f Frame) error {
	if err := s.allow("message", s.g.limits.Message, s.g.limits.MessageIP); err != nil {
		return err
	}
	if len(f.Attachments) > 0 && s.g.files == nil {
		return invalid("attachments", "file uploads are not available on this server")
	}
	// The session follows its open conversation through the events, so it
	// reads the visitor again only when the widget is to start a new one.
	// Should the conversation have closed a moment ago, Receive opens the
	// next one anyway and the visitor is moved to it below.
	if s.conv == nil || !conversation.Status(s.conv.Status).Open() {
		if err := s.loadConversation(ctx); err != nil {
			return err
		}
	}
	in := channel.Inbound{
		ChannelID: s.row.ID, ProviderMessageID: s.visitor.VisitorKey + ":" + f.ClientID,
		From: contact.Identity{Kind: contact.KindVisitor, Value: s.visitor.VisitorKey}, Kind: "text", Body: f.Body,
		Uploads: f.Attachments, UploadOwner: uploadOwner(s.visitor.VisitorKey),
	}
	var inv store.WebchatInvitation
	if s.conv == nil || !conversation.Status(s.conv.Status).Open() {
		// The first message of a conversation: the pre-chat form, or the
		// answer to an invitation.
		if f.InvitationID != 0 {
			var err error
			inv, err = s.g.db.Read().GetInvitation(ctx, store.GetInvitationParams{AccountID: s.row.AccountID, ID: f.InvitationID})
			if err != nil || inv.VisitorID != s.visitor.ID || inv.DismissedAt.Valid || inv.CreatedAt.Before(s.g.clock.Now().Add(-invitationLapse)) ||
				(inv.AnsweredAt.Valid && !inv.ConversationID.Valid) {
				return fmt.Errorf("invitation %d is not open: %w", f.InvitationID, conversation.ErrNotAllowed)
			}
			in.DepartmentID = inv.DepartmentID
			if !inv.AnsweredAt.Valid {
				in.Invitation = &channel.Invitation{AgentID: inv.AgentID, Body: inv.Message}
			}
		}
		// A visitor answering an invitation, or known from an earlier
		// conversation, is not asked for the form again.
		p, err := s.prechat(f.Prechat, f.InvitationID != 0 || s.visitor.ContactID.Valid)
		if err != nil {
			return err
		}
		if in.DepartmentID == 0 {
			in.DepartmentID = p.DepartmentID
		}
		identifies := !s.ch.IdentityVerification
		if err := s.identify(ctx, p.Name, p.Email, p.Phone, identifies); err != nil {
			return err
		}
		in.Profile = contact.Profile{Name: visitorName(p.Name), Phone: p.Phone}
	}
	res, err := s.g.recv.Receive(ctx, in)
	if err != nil {
		return err
	}
	var msg store.Message
	changed := false
	// Most messages go on in the conversation the visitor already has:
	// nothing about the visitor changes then, and nothing more is written.
	settled := (res.ContactID == 0 || res.ContactID == s.visitor.ContactID.Int64) &&
		s.visitor.ConversationID.Int64 == res.ConversationID && (inv.ID == 0 || inv.AnsweredAt.Valid)
	if settled && !res.Duplicate {
		// The message may have woken the conversation from waiting: the
		// widget shows it as the message's transaction left it.
		s.setConversation(&res.Conversation)
		return s.acknowledge(ctx, f.ClientID, res.Message)
	}
	if settled {
		msg, err = s.g.db.Read().GetMessage(ctx, store.GetMessageParams{AccountID: s.row.AccountID, ID: res.MessageID})
		if err != nil {
			return err
		}
		if err := s.reloadConversation(ctx); err != nil {
			return err
		}
		return s.acknowledge(ctx, f.ClientID, msg)
	}
	err = s.g.engine.Tx(ctx, func(q *store.Queries, fx *routing.Effects) error {
		changed = false
		var err error
		if msg, err = q.GetMessage(ctx, store.GetMessageParams{AccountID: s.row.AccountID, ID: res.MessageID}); err != nil {
			return err
		}
		if res.ContactID != 0 { // 0 for a message stored before (a retry)
			if err := q.SetVisitorContact(ctx, store.SetVisitorContactParams{ID: s.visitor.ID, ContactID: store.NullID(res.ContactID)}); err != nil {
				return err
			}
		}
		if s.visitor.ConversationID.Int64 != res.ConversationID {
			since := msg.Seq
			if res.Opened {
				since = 1
			}
			if err := q.SetVisitorConversation(ctx, store.SetVisitorConversationParams{ID: s.visitor.ID,
				ConversationID: store.NullID(res.ConversationID), SinceSeq: since}); err != nil {
				return err
			}
			publishVisitor(fx, s.ch, s.row.AccountID, "visitor.chatting", s.visitor.ID)
			changed = true
		}
		if inv.ID != 0 && !inv.AnsweredAt.Valid {
			if _, err := q.AnswerInvitation(ctx, store.AnswerInvitationParams{VisitorID: s.visitor.ID, ID: inv.ID,
				AnsweredAt: store.Null(s.g.clock.Now()), ConversationID: store.NullID(res.ConversationID)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if changed {
		// The widget shows another conversation now: all of it, then the ack.
		if err := s.snapshot(ctx); err != nil {
			return err
		}
	} else if err := s.loadConversation(ctx); err != nil {
		return err
	}
	return s.acknowledge(ctx, f.ClientID, msg)
}

// acknowledge tells the widget its message is stored, then the
// conversation's state if the message changed it.
func (s *session) acknowledge(ctx context.Context, clientID string, msg store.Message) error {
	s.shown[msg.ID] = true
	s.acked = msg.ID
	if err := s.send(ctx, map[string]any{"type": "ack", "client_id": clientID, "message": s.messageView(ctx, msg)}); err != nil {
		return err
	}
	return s.sendConversation(ctx, s.last)
}

// reloadConversation reads again the conversation the widget shows (a
// message may have woken it from waiting), the visitor being unchanged.
func (s *session) reloadConversation(ctx context.Context) error {
	if s.conv == nil {
		return s.loadConversation(ctx)
	}
	c, err := s.g.db.Read().GetConversation(ctx, store.GetConversationParams{AccountID: s.row.AccountID, ID: s.conv.ID})
	if err != nil {
		return fmt.Errorf("conversation %d of visitor %d: %w", s.conv.ID, s.visitor.ID, err)
	}
	s.setConversation(&c)
	return nil
}

// prechat checks the pre-chat form against the channel's settings.
func (s *session) prechat(p *PrechatForm, known bool) (PrechatForm, error) {
	var out PrechatForm
	if p != nil {
		out = *p
	}
	cfg := s.ch.Prechat
	if !known {
		for field, v := range map[string]struct {
			mode, value string
		}{"name": {cfg.Name, out.Name}, "email": {cfg.Email, out.Email}, "phone": {cfg.Phone, out.Phone}} {
			if v.mode == Required && v.value == "" {
				return out, invalid("prechat."+field, "is required")
			}
		}
		if cfg.Department == Required && out.DepartmentID == 0 {
			return out, invalid("prechat.department_id", "is required")
		}
	}
	if out.Email != "" {
		e, err := validate.Email("prechat.email", out.Email)
		if err != nil {
			return out, invalid("prechat.email", "is not a valid e-mail address")
		}
		out.Email = e
	}
	if out.Phone != "" {
		ph, err := contact.NormalizePhone(out.Phone)
		if err != nil {
			return out, invalid("prechat.phone", "is not a valid phone number")
		}
		out.Phone = ph
	}
	if out.DepartmentID != 0 && (cfg.Department == Off || !slices.Contains(s.ch.Departments, out.DepartmentID)) {
		return out, invalid("prechat.department_id", "is not a department of this site")
	}
	return out, nil
}

func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// uploadOwner is who an upload of a visitor belongs to until a message
// claims it.
func uploadOwner(visitorKey string) string { return "visitor:" + visitorKey }

// ErrOriginNotAllowed: the page's origin is not one of the channel's sites.
var ErrOriginNotAllowed = errors.New("the page's origin is not one of this website chat's allowed origins")

// Upload is what a visitor's upload may be stored as.
type Upload struct {
	AccountID int64
	// ConversationID is the visitor's open conversation, 0 before they
	// have one (the message that carries the file then claims it).
	ConversationID int64
	Owner          string
}

// visitorOf finds the channel by its public key and the visitor by their
// token.
func (g *Gateway) visitorOf(ctx context.Context, publicKey, token string) (store.Channel, store.WebchatVisitor, error) {
	row, _, err := g.Channel(ctx, publicKey)
	if err != nil {
		return row, store.WebchatVisitor{}, err
	}
	key, err := VerifyToken(row.Secret, row.ID, token, g.clock.Now())
	if err != nil {
		return row, store.WebchatVisitor{}, err
	}
	v, err := g.db.Read().GetVisitorByKey(ctx, store.GetVisitorByKeyParams{ChannelID: row.ID, VisitorKey: key})
	if err != nil {
		return row, v, fmt.Errorf("%w: no such visitor", ErrBadToken)
	}
	return row, v, nil
}

// Uploader checks a visitor's upload: the channel, the page's origin, the
// token, the upload limits. It says where the file goes.
func (g *Gateway) Uploader(ctx context.Context, publicKey, origin, token, ip string) (Upload, error) {
	if g.files == nil {
		return Upload{}, invalid("file", "file uploads are not available on this server")
	}
	row, v, err := g.visitorOf(ctx, publicKey, token)
	if err != nil {
		return Upload{}, err
	}
	ch, err := ChannelOf(row)
	if err != nil {
		return Upload{}, err
	}
	if !ch.AllowsOrigin(origin) {
		return Upload{}, ErrOriginNotAllowed
	}
	now := g.clock.Now()
	if ok, after := g.lim.allow("upload:v:"+v.VisitorKey, g.limits.Upload, now); !ok {
		return Upload{}, &RateLimited{after}
	}
	if ok, after := g.lim.allow("upload:ip:"+ip, g.limits.UploadIP, now); !ok {
		return Upload{}, &RateLimited{after}
	}
	up := Upload{AccountID: row.AccountID, Owner: uploadOwner(v.VisitorKey)}
	if v.ConversationID.Valid {
		c, err := g.db.Read().GetConversation(ctx, store.GetConversationParams{AccountID: row.AccountID, ID: v.ConversationID.Int64})
		if err == nil && conversation.Status(c.Status).Open() {
			up.ConversationID = c.ID
		}
	}
	return up, nil
}

// File opens a file for a visitor: one of their conversation's, or their
// own upload not sent yet. Anything else is store.ErrNotFound.
func (g *Gateway) File(ctx context.Context, publicKey, token, id string) (attachment.File, error) {
	if g.files == nil {
		return attachment.File{}, store.ErrNotFound
	}
	row, v, err := g.visitorOf(ctx, publicKey, token)
	if err != nil {
		return attachment.File{}, err
	}
	f, err := g.files.Open(ctx, row.AccountID, id)
	if err != nil {
		return f, err
	}
	mine := (f.ConversationID != 0 && v.ConversationID.Valid && f.ConversationID == v.ConversationID.Int64) ||
		(f.ConversationID == 0 && f.Owner == uploadOwner(v.VisitorKey))
	if !mine {
		f.Content.Close()
		return attachment.File{}, fmt.Errorf("file %s: %w", id, store.ErrNotFound)
	}
	return f, nil
}
