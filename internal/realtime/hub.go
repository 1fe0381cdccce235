package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/events"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
)

// NATS subjects, by account: numbered events, and typing (ephemeral, never
// stored).
const (
	subjectEvents = "atende.events."
	subjectTyping = "atende.typing."
)

// PublishEvents sends numbered events to every node; it is the Sequencer's
// publish function.
func (b *Bus) PublishEvents(ctx context.Context, evs []events.Stored) {
	for i, e := range evs {
		data, err := json.Marshal(e)
		if err != nil {
			continue
		}
		if err := b.conn.Publish(subjectEvents+strconv.FormatInt(e.AccountID, 10), data); err != nil {
			// The events are safe in the database: clients get them on their
			// next event (gap filled) or reconnection. Operators should still
			// know, once per batch, unless this node is shutting down (the
			// connection closed or draining): other nodes fill the gap.
			level := slog.LevelWarn
			if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionDraining) {
				level = slog.LevelDebug
			}
			b.log.Log(ctx, level, "publish events on NATS", "account", e.AccountID, "from_seq", e.Seq, "events", len(evs)-i, "err", err)
			return
		}
	}
}

// Presence is told when an agent's connections come and go (the routing
// engine: its disconnect grace period starts when the last one drops).
type Presence interface {
	Connected(ctx context.Context, p auth.Principal) error
	Disconnected(ctx context.Context, p auth.Principal) error
}

// Hub holds this node's WebSockets and forwards to each the events it may
// see, in sequence order, whichever node they happened on.
type Hub struct {
	db       *store.DB
	bus      *Bus
	presence Presence
	log      *slog.Logger

	mu    sync.Mutex
	feeds map[int64]*feed     // by account
	users map[int64][]*client // by user
	subs  []*nats.Subscription
}

// feed is one account's stream on this node.
type feed struct {
	last      int64 // the last sequence forwarded
	clients   map[*client]bool
	listeners map[*listening]bool
}

// Listener takes an account's numbered events, in sequence order and
// without gaps, and its typing signals, whichever node they happened on: the
// website chat's visitor sockets are fed this way, and choose for themselves
// what their visitor may see. It is called with the hub's lock held, so it
// must not block (hand the item to a buffered channel).
type Listener interface {
	Event(events.Stored)
	Typing(Typing)
}

type listening struct {
	Listener
}

// Listen feeds l the account's events numbered from now on and its typing,
// until stop is called. Events before are the caller's to read from the
// database (events.AfterFunc): the feed never skips one in between.
func (h *Hub) Listen(ctx context.Context, accountID int64, l Listener) (stop func(), err error) {
	ln := &listening{l}
	for {
		f, err := h.feed(ctx, accountID)
		if err != nil {
			return nil, err
		}
		h.mu.Lock()
		if h.feeds[accountID] == f {
			f.listeners[ln] = true
			h.mu.Unlock()
			break
		}
		h.mu.Unlock() // dropped meanwhile by its last socket
	}
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if f := h.feeds[accountID]; f != nil {
			delete(f.listeners, ln)
			h.dropIfIdle(accountID, f)
		}
	}, nil
}

// dropIfIdle forgets a feed nobody on this node follows. Called with h.mu.
func (h *Hub) dropIfIdle(accountID int64, f *feed) {
	if len(f.clients) == 0 && len(f.listeners) == 0 {
		delete(h.feeds, accountID)
	}
}

// NewHub subscribes to every account's events and typing on NATS.
func NewHub(db *store.DB, bus *Bus, presence Presence, log *slog.Logger) (*Hub, error) {
	h := &Hub{db: db, bus: bus, presence: presence, log: log, feeds: map[int64]*feed{}, users: map[int64][]*client{}}
	sub, err := bus.conn.Subscribe(subjectEvents+"*", h.onEvent)
	if err != nil {
		return nil, fmt.Errorf("subscribe to events: %w", err)
	}
	typing, err := bus.conn.Subscribe(subjectTyping+"*", h.onTyping)
	if err != nil {
		sub.Unsubscribe()
		return nil, fmt.Errorf("subscribe to typing: %w", err)
	}
	h.subs = []*nats.Subscription{sub, typing}
	return h, nil
}

// Close unsubscribes; open sockets end with their requests.
func (h *Hub) Close() {
	for _, s := range h.subs {
		s.Unsubscribe()
	}
}

// heartbeat is how often the hub tells the engine its agents are still
// connected (calling off disconnects another node may have started) and
// reloads their departments.
const heartbeat = 20 * time.Second

// Run keeps presence and permissions fresh until ctx ends.
func (h *Hub) Run(ctx context.Context) {
	clock.Every(ctx, heartbeat, h.refresh)
}

// refresh tells the engine this node's agents are still connected and
// reloads their departments.
func (h *Hub) refresh(ctx context.Context) {
	h.mu.Lock()
	var clients []*client
	for _, cs := range h.users {
		clients = append(clients, cs[0])
	}
	h.mu.Unlock()
	for _, c := range clients {
		if err := h.presence.Connected(ctx, c.p); err != nil && ctx.Err() == nil {
			h.log.Warn("presence heartbeat", "user", c.p.UserID, "err", err)
		}
		if v, err := h.viewer(ctx, c.p); err == nil {
			h.mu.Lock()
			for _, other := range h.users[c.p.UserID] {
				other.viewer = v
			}
			h.mu.Unlock()
		}
	}
}

func (h *Hub) viewer(ctx context.Context, p auth.Principal) (events.Viewer, error) {
	deps, err := h.db.Read().ListUserDepartments(ctx, store.ListUserDepartmentsParams{AccountID: p.AccountID, UserID: p.UserID})
	if err != nil {
		return events.Viewer{}, err
	}
	v := events.Viewer{UserID: p.UserID, AccountID: p.AccountID, Role: p.Role, Departments: map[int64]bool{}}
	for _, d := range deps {
		v.Departments[d.ID] = true
	}
	return v, nil
}

// onEvent forwards a numbered event to this node's sockets, in order: an
// event ahead of the next expected one means others are still in flight (or
// came through another node), so the gap is read from the database first. A
// committed N+1 implies a committed N, so the gap is always there to read.
func (h *Hub) onEvent(m *nats.Msg) {
	var s events.Stored
	if err := json.Unmarshal(m.Data, &s); err != nil {
		h.log.Warn("malformed event on NATS", "subject", m.Subject, "err", err)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.feeds[s.AccountID]
	if f == nil || s.Seq <= f.last {
		return
	}
	if s.Seq > f.last+1 {
		rows, err := h.db.Read().ListEventsBetween(context.Background(), store.ListEventsBetweenParams{
			AccountID: s.AccountID, After: store.NullInt64{Int64: f.last, Valid: true}, Before: store.NullInt64{Int64: s.Seq, Valid: true}})
		if err != nil {
			h.log.Warn("fill event gap", "account", s.AccountID, "from", f.last, "to", s.Seq, "err", err)
		}
		for _, r := range rows {
			h.forward(f, events.FromRow(r))
		}
	}
	h.forward(f, s)
}

// forward sends s to the feed's clients that may see it. Called with h.mu.
// The frame is encoded once for all of them.
func (h *Hub) forward(f *feed, s events.Stored) {
	f.last = s.Seq
	for l := range f.listeners {
		l.Event(s)
	}
	var frame []byte
	for c := range f.clients {
		if !c.viewer.Visible(s) {
			continue
		}
		if c.syncing {
			c.pending = append(c.pending, s)
			continue
		}
		c.deliver(s, &frame)
	}
}

// Typing is an ephemeral "someone is typing" signal: an agent (UserID,
// Name) or the conversation's contact (Contact, UserID 0).
type Typing struct {
	AccountID      int64  `json:"account_id"`
	ConversationID int64  `json:"conversation_id"`
	DepartmentID   int64  `json:"department_id"`
	AgentID        int64  `json:"agent_id"`
	UserID         int64  `json:"user_id"`
	Name           string `json:"name"`
	Contact        bool   `json:"contact,omitempty"`
}

func (h *Hub) onTyping(m *nats.Msg) {
	var t Typing
	if err := json.Unmarshal(m.Data, &t); err != nil {
		return
	}
	audience := events.Stored{AccountID: t.AccountID, Scope: events.ScopeAgent, DepartmentID: t.DepartmentID, AgentID: t.AgentID}
	if t.AgentID == 0 {
		audience.Scope = events.ScopeDepartment
	}
	out := map[string]any{"type": "typing", "conversation_id": t.ConversationID, "user_id": t.UserID, "name": t.Name}
	if t.Contact {
		out["contact"] = true
	}
	frame, _ := json.Marshal(out)
	h.mu.Lock()
	defer h.mu.Unlock()
	if f := h.feeds[t.AccountID]; f != nil {
		for l := range f.listeners {
			l.Typing(t)
		}
		for c := range f.clients {
			if c.p.UserID != t.UserID && !c.syncing && c.viewer.Visible(audience) {
				c.push(frame)
			}
		}
	}
}

// Typing publishes that p is typing in a conversation they may see.
func (h *Hub) Typing(ctx context.Context, p auth.Principal, conversationID int64) error {
	q := h.db.Read()
	c, err := q.GetConversation(ctx, store.GetConversationParams{AccountID: p.AccountID, ID: conversationID})
	if err != nil {
		return fmt.Errorf("conversation %d: %w", conversationID, store.Translate(err))
	}
	if err := routing.MaySee(ctx, q, p, c); err != nil {
		return err
	}
	return h.PublishTyping(Typing{AccountID: p.AccountID, ConversationID: c.ID, DepartmentID: c.DepartmentID, AgentID: c.AgentID.Int64, UserID: p.UserID, Name: p.Name})
}

// PublishTyping sends a typing signal to every node. The caller has checked
// that whoever types may: Typing above for agents, the website chat for its
// visitors.
func (h *Hub) PublishTyping(t Typing) error {
	data, _ := json.Marshal(t)
	return h.bus.conn.Publish(subjectTyping+strconv.FormatInt(t.AccountID, 10), data)
}

// client is one agent's WebSocket. While it idles it costs Run's
// goroutine, blocked reading, and little else: frames to send wait in a
// queue that a writer goroutine, started by the first of them, drains
// before it leaves.
type client struct {
	p      auth.Principal
	viewer events.Viewer
	conn   *Conn

	mu      sync.Mutex
	queue   [][]byte // frames to write, in order
	writing bool     // a writer goroutine is draining queue
	closed  bool     // the socket is closing: nothing more is written
	ping    *time.Timer

	// Guarded by the hub's mutex.
	last    int64
	syncing bool
	pending []events.Stored
}

// sendBuffer is how many frames may wait for a slow socket before it is
// dropped (the client reconnects and resyncs).
const sendBuffer = 512

// pingEvery is how often an agent's socket is pinged, so that proxies keep
// it open and a client gone without a word is noticed; pongTimeout is how
// long its pong may take.
const (
	pingEvery   = 25 * time.Second
	pongTimeout = 10 * time.Second
)

// deliver pushes s unless the client has it already. frame holds the
// event's encoding, made on first use and shared by every client it goes to.
func (c *client) deliver(s events.Stored, frame *[]byte) {
	if s.Seq <= c.last {
		return
	}
	c.last = s.Seq
	if *frame == nil {
		*frame = encodeEvent(s)
	}
	c.push(*frame)
}

func encodeEvent(s events.Stored) []byte {
	frame, _ := json.Marshal(eventFrame{Type: "event", Seq: s.Seq, Kind: s.Kind, Data: s.Data, At: s.At})
	return frame
}

// push queues a frame without waiting (the hub calls it with its lock
// held). A client that lets sendBuffer frames pile up is closed as too slow
// rather than holding up everyone else's events.
func (c *client) push(frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if len(c.queue) >= sendBuffer {
		c.closed, c.queue = true, nil
		// Close waits for the client's answer: not here.
		go c.conn.Close(websocket.StatusPolicyViolation, "too slow: reconnect with your last sequence")
		return
	}
	c.queue = append(c.queue, frame)
	if !c.writing {
		c.writing = true
		go c.write()
	}
}

// write sends the queued frames until there are none, then returns: an idle
// socket has no writer. What has queued meanwhile goes out together, in as
// few network writes as it takes. A failed write (the client gone, or too
// slow to take a frame within WriteTimeout) has closed the socket.
func (c *client) write() {
	for {
		c.mu.Lock()
		frames := c.queue
		c.queue = nil
		if len(frames) == 0 || c.closed {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if err := c.conn.WriteAll(websocket.MessageText, frames); err != nil {
			c.mu.Lock()
			c.closed, c.queue, c.writing = true, nil, false
			c.mu.Unlock()
			return
		}
	}
}

// startPings pings the client every pingEvery until the socket closes; a
// ping not answered in time closes it. The timer's goroutine does the
// pinging: nothing waits in between.
func (c *client) startPings() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.ping = time.AfterFunc(pingEvery, func() {
		if err := c.conn.Ping(pongTimeout); err != nil {
			c.conn.CloseNow()
			return
		}
		c.mu.Lock()
		if !c.closed {
			c.ping.Reset(pingEvery)
		}
		c.mu.Unlock()
	})
}

// close stops writing and pinging.
func (c *client) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed, c.queue = true, nil
	if c.ping != nil {
		c.ping.Stop()
	}
}

type eventFrame struct {
	Type string          `json:"type"`
	Seq  int64           `json:"seq"`
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
	At   time.Time       `json:"at"`
}

// Socket is an agent's WebSocket, opened and ready to Run.
type Socket struct {
	h       *Hub
	ctx     context.Context
	c       *client
	stop    func() bool   // stops the watch on ctx, if any
	started chan struct{} // closed once start has returned with:
	// registered, whether Run must unregister the client, and what failed.
	registered bool
	err        error
}

// Open sets up one WebSocket for p and starts replaying the events after
// the sequence the client last saw; live ones follow. Call it on the
// request's goroutine, then Run on a goroutine of its own with a shallow
// stack: `go h.Open(…).Run()`. The agent's presence follows their
// connections. Cancelling ctx closes the socket (going away).
//
// Run's goroutine only reads the socket, for as long as it is open, and
// does nothing deeper: a goroutine's stack stays as large as it ever grew
// (the collector shrinks one only while it is under a quarter used), so an
// idle socket's reader keeps the smallest there is. Everything that goes
// deeper, the database and encoding, runs on goroutines that come and go.
func (h *Hub) Open(ctx context.Context, conn *Conn, p auth.Principal, after int64) *Socket {
	conn.SetReadLimit(4 << 10)
	s := &Socket{h: h, ctx: ctx, c: &client{p: p, conn: conn, syncing: true}, started: make(chan struct{})}
	if ctx.Done() != nil {
		s.stop = context.AfterFunc(ctx, func() { conn.Close(websocket.StatusGoingAway, "the server is stopping") })
	}
	go func() {
		defer close(s.started)
		var err error
		if s.registered, err = h.start(ctx, s.c, after); err != nil {
			s.err = err
			conn.CloseNow()
		}
	}()
	return s
}

// Run reads the socket until it closes (see Open); then the agent's
// presence follows, and how it failed, if it did, is logged.
func (s *Socket) Run() error {
	s.h.read(s.ctx, s.c)
	return s.finish()
}

func (s *Socket) finish() error {
	h, c := s.h, s.c
	defer c.conn.CloseNow()
	if s.stop != nil {
		defer s.stop()
	}
	c.close()
	<-s.started
	if s.registered {
		if last := h.unregister(c); last {
			if err := h.presence.Disconnected(context.WithoutCancel(s.ctx), c.p); err != nil {
				h.log.Warn("presence disconnect", "user", c.p.UserID, "err", err)
			}
		}
	}
	if s.err != nil {
		h.log.Warn("websocket", "user", c.p.UserID, "err", s.err)
	}
	return s.err
}

// start registers the client, replays what it missed, switches it to live
// events and starts pinging it. registered says whether Run must
// unregister it.
func (h *Hub) start(ctx context.Context, c *client, after int64) (registered bool, err error) {
	v, err := h.viewer(ctx, c.p)
	if err != nil {
		return false, err
	}
	c.viewer = v
	first, err := h.register(ctx, c)
	if err != nil {
		return false, err
	}
	if first {
		if err := h.presence.Connected(ctx, c.p); err != nil {
			return true, err
		}
	}

	// A client with nothing yet (after=0) starts from now, whatever the
	// account's history: it reads the state through the REST API once
	// synced. Read after registering, so nothing between is missed.
	if after == 0 {
		if after, err = h.db.Read().LastEventSeq(ctx, c.p.AccountID); err != nil {
			return true, err
		}
	}
	// Replay, then switch to live; live events that came meanwhile were kept.
	missed, err := events.After(ctx, h.db.Read(), v, after)
	if errors.Is(err, events.ErrTooOld) {
		reload, _ := json.Marshal(map[string]any{"type": "reload", "reason": err.Error()})
		if c.conn.Write(websocket.MessageText, reload) == nil {
			c.conn.Close(websocket.StatusNormalClosure, "reload")
		}
		return true, nil
	}
	if err != nil {
		return true, err
	}
	h.mu.Lock()
	c.last = after
	for _, s := range missed {
		c.deliver(s, new([]byte))
	}
	for _, s := range c.pending {
		c.deliver(s, new([]byte))
	}
	c.pending, c.syncing = nil, false
	synced, _ := json.Marshal(map[string]any{"type": "synced", "seq": c.last})
	c.push(synced)
	h.mu.Unlock()
	c.startPings()
	return true, nil
}

// read reads what the client sends until the socket closes. Each frame is
// handled on a goroutine of its own, one at a time: decoding and checking a
// typing signal against the database take far more stack than waiting for
// the next frame, and this goroutine's stack stays as deep as it ever went.
func (h *Hub) read(ctx context.Context, c *client) {
	for {
		_, data, err := c.conn.Read()
		if err != nil {
			return
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.frame(ctx, c, data)
		}()
		<-done
	}
}

// frame handles one frame of the client: a typing signal or a ping.
func (h *Hub) frame(ctx context.Context, c *client, data []byte) {
	var msg struct {
		Type           string `json:"type"`
		ConversationID int64  `json:"conversation_id"`
	}
	if err := json.Unmarshal(data, &msg); err != nil {
		c.pushError("malformed frame: " + err.Error())
		return
	}
	switch msg.Type {
	case "typing":
		if err := h.Typing(ctx, c.p, msg.ConversationID); err != nil {
			c.pushError(err.Error())
		}
	case "ping":
		c.push(pongFrame)
	default:
		c.pushError(fmt.Sprintf("unknown frame type %q", msg.Type))
	}
}

var pongFrame = []byte(`{"type":"pong"}`)

func (c *client) pushError(msg string) {
	frame, _ := json.Marshal(map[string]string{"type": "error", "message": strings.TrimSpace(msg)})
	c.push(frame)
}

// feed returns the account's feed on this node, starting it when there is
// none. A new feed starts at the account's current sequence: whoever joins
// it replays anything before from the database.
func (h *Hub) feed(ctx context.Context, accountID int64) (*feed, error) {
	h.mu.Lock()
	f := h.feeds[accountID]
	h.mu.Unlock()
	if f != nil {
		return f, nil
	}
	start, err := h.db.Read().LastEventSeq(ctx, accountID)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if f = h.feeds[accountID]; f == nil {
		f = &feed{last: start, clients: map[*client]bool{}, listeners: map[*listening]bool{}}
		h.feeds[accountID] = f
	}
	return f, nil
}

func (h *Hub) register(ctx context.Context, c *client) (firstOfUser bool, err error) {
	for {
		f, err := h.feed(ctx, c.p.AccountID)
		if err != nil {
			return false, err
		}
		h.mu.Lock()
		if h.feeds[c.p.AccountID] != f { // dropped meanwhile by its last socket
			h.mu.Unlock()
			continue
		}
		f.clients[c] = true
		h.users[c.p.UserID] = append(h.users[c.p.UserID], c)
		first := len(h.users[c.p.UserID]) == 1
		h.mu.Unlock()
		return first, nil
	}
}

func (h *Hub) unregister(c *client) (lastOfUser bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f := h.feeds[c.p.AccountID]; f != nil {
		delete(f.clients, c)
		h.dropIfIdle(c.p.AccountID, f)
	}
	cs := h.users[c.p.UserID]
	for i, other := range cs {
		if other == c {
			cs = append(cs[:i], cs[i+1:]...)
			break
		}
	}
	if len(cs) == 0 {
		delete(h.users, c.p.UserID)
		return true
	}
	h.users[c.p.UserID] = cs
	return false
}
