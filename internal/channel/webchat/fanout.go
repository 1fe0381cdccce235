package webchat

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/atende/atende/internal/events"
	"github.com/atende/atende/internal/realtime"
	"github.com/atende/atende/internal/store"
)

// The gateway follows each account's events with one hub listener and hands
// an event only to the sessions it concerns: those showing its conversation,
// the visitor it names, and — once a second at most — a new queue position
// to the visitors waiting in a queue that moved. Were every socket a
// listener of its own, each event would wake every visitor on the site, and
// a thousand visitors in a queue would each count their place in it after
// every change of every conversation.

// positionsEvery is how often queue positions are recomputed when queues
// moved.
const positionsEvery = time.Second

// accountFeed is this node's following of one account for its widgets.
// Guarded by Gateway.fmu, but for ready, err and stop: written by the
// session that creates the feed before it closes ready.
type accountFeed struct {
	ready chan struct{}
	err   error
	stop  func()

	sessions int
	// A conversation or a visitor has a session or two (tabs): a slice
	// each costs far less than a set. A queue may have thousands.
	byConv    map[int64][]*session
	byVisitor map[int64][]*session
	queued    map[int64]map[*session]bool // by department: visitors waiting in its queue
	moved     bool                        // a conversation changed since positions were last sent
}

func addTo(idx map[int64][]*session, key int64, s *session) {
	idx[key] = append(idx[key], s)
}

func removeFrom(idx map[int64][]*session, key int64, s *session) {
	ss := idx[key]
	for i, other := range ss {
		if other == s {
			ss[i] = ss[len(ss)-1]
			ss[len(ss)-1] = nil
			ss = ss[:len(ss)-1]
			break
		}
	}
	if len(ss) == 0 {
		delete(idx, key)
	} else {
		idx[key] = ss
	}
}

func add(idx map[int64]map[*session]bool, key int64, s *session) {
	if idx[key] == nil {
		idx[key] = map[*session]bool{}
	}
	idx[key][s] = true
}

func remove(idx map[int64]map[*session]bool, key int64, s *session) {
	delete(idx[key], s)
	if len(idx[key]) == 0 {
		delete(idx, key)
	}
}

// follow starts handing s the account's events that concern it. Events
// before are the session's to read from the database.
func (g *Gateway) follow(ctx context.Context, s *session) error {
	acc := s.row.AccountID
	g.fmu.Lock()
	f := g.feeds[acc]
	creating := f == nil
	if creating {
		f = &accountFeed{ready: make(chan struct{}), byConv: map[int64][]*session{},
			byVisitor: map[int64][]*session{}, queued: map[int64]map[*session]bool{}}
		g.feeds[acc] = f
	}
	f.sessions++
	s.feed = f
	addTo(f.byVisitor, s.visitor.ID, s)
	g.fmu.Unlock()
	if creating {
		// Not under fmu: the hub calls the listener with its own lock held,
		// and the listener takes fmu.
		f.stop, f.err = g.hub.Listen(ctx, acc, feedListener{g: g, accountID: acc})
		close(f.ready)
	}
	<-f.ready
	if f.err != nil {
		g.unfollow(s)
		return f.err
	}
	return nil
}

// unfollow stops handing s events; the account's last session stops the
// feed.
func (g *Gateway) unfollow(s *session) {
	g.fmu.Lock()
	f := s.feed
	if f == nil {
		g.fmu.Unlock()
		return
	}
	s.feed = nil
	removeFrom(f.byVisitor, s.visitor.ID, s)
	removeFrom(f.byConv, s.indexedConv, s)
	remove(f.queued, s.indexedQueue, s)
	f.sessions--
	var stop func()
	if f.sessions == 0 {
		if g.feeds[s.row.AccountID] == f {
			delete(g.feeds, s.row.AccountID)
		}
		stop = f.stop
	}
	g.fmu.Unlock()
	if stop != nil {
		stop()
	}
}

// index files s under the conversation it shows now, and under its
// department's queue while that conversation waits there.
func (g *Gateway) index(s *session) {
	var conv, queue int64
	if s.conv != nil {
		conv = s.conv.ID
		if s.conv.Status == "queued" {
			queue = s.conv.DepartmentID
		}
	}
	g.fmu.Lock()
	defer g.fmu.Unlock()
	f := s.feed
	if f == nil {
		return
	}
	if conv != s.indexedConv {
		removeFrom(f.byConv, s.indexedConv, s)
		if conv != 0 {
			addTo(f.byConv, conv, s)
		}
		s.indexedConv = conv
	}
	if queue != s.indexedQueue {
		remove(f.queued, s.indexedQueue, s)
		if queue != 0 {
			add(f.queued, queue, s)
		}
		s.indexedQueue = queue
	}
}

// feedListener is the gateway's realtime.Listener for one account. The hub
// calls it with its lock held: it only files items in sessions' buffers.
type feedListener struct {
	g         *Gateway
	accountID int64
}

// Event hands ev to the sessions it concerns.
func (l feedListener) Event(ev events.Stored) {
	switch {
	case ev.Kind == "visitor.invited" || ev.Kind == "visitor.chatting":
	case strings.HasPrefix(ev.Kind, "visitor."), ev.Kind == "agent.presence", ev.Kind == "notification.created", ev.Kind == "draft.saved":
		return // never news to a visitor
	}
	var e events.Event
	if err := json.Unmarshal(ev.Data, &e); err != nil {
		return
	}
	g := l.g
	g.fmu.Lock()
	defer g.fmu.Unlock()
	f := g.feeds[l.accountID]
	if f == nil {
		return
	}
	if strings.HasPrefix(ev.Kind, "visitor.") {
		for _, s := range f.byVisitor[e.VisitorID] {
			s.push(item{ev: &ev})
		}
		return
	}
	if e.ConversationID != 0 {
		for _, s := range f.byConv[e.ConversationID] {
			s.push(item{ev: &ev})
		}
	}
	if strings.HasPrefix(ev.Kind, "conversation.") && len(f.queued) > 0 {
		f.moved = true
	}
}

// Typing hands an agent's typing to the widgets showing the conversation;
// the visitor's own typing is for the agents only.
func (l feedListener) Typing(t realtime.Typing) {
	if t.Contact {
		return
	}
	g := l.g
	g.fmu.Lock()
	defer g.fmu.Unlock()
	if f := g.feeds[l.accountID]; f != nil {
		for _, s := range f.byConv[t.ConversationID] {
			s.push(item{typing: &t})
		}
	}
}

// sendPositions tells the visitors waiting in queues that moved their
// place: one query per queue, whatever the number of visitors in it.
func (g *Gateway) sendPositions(ctx context.Context) error {
	type queue struct{ account, department int64 }
	var moved []queue
	g.fmu.Lock()
	for acc, f := range g.feeds {
		if !f.moved {
			continue
		}
		f.moved = false
		for d := range f.queued {
			moved = append(moved, queue{acc, d})
		}
	}
	g.fmu.Unlock()
	for _, q := range moved {
		ids, err := g.db.Read().ListQueueOrder(ctx, store.ListQueueOrderParams{AccountID: q.account, DepartmentID: q.department})
		if err != nil {
			return err
		}
		place := make(map[int64]int64, len(ids))
		for i, id := range ids {
			place[id] = int64(i + 1)
		}
		g.fmu.Lock()
		if f := g.feeds[q.account]; f != nil {
			for s := range f.queued[q.department] {
				if p, ok := place[s.indexedConv]; ok {
					s.push(item{position: p})
				}
			}
		}
		g.fmu.Unlock()
	}
	return nil
}
