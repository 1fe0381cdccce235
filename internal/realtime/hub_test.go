package realtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/events"
	"github.com/atende/atende/internal/realtime"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplates()
	os.Exit(code)
}

// natsServer starts a NATS server on a free local port for the nodes.
func natsServer(t *testing.T) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(5 * time.Second) {
		t.Fatal("NATS not ready")
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

// node is one Atende server: its own pool, bus, sequencer, engine, hub.
type node struct {
	db     *store.DB
	engine *routing.Engine
	recv   *channel.Receiver
	hub    *realtime.Hub
	ws     *httptest.Server
}

func startNode(t *testing.T, db *store.DB, natsURL string, clk clock.Clock, who map[string]auth.Principal) *node {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	bus, err := realtime.Connect(natsURL, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)
	seq := events.NewSequencer(db, bus.PublishEvents, log)
	opts := routing.DefaultOptions
	opts.Events = seq
	n := &node{db: db, engine: routing.New(db, clk, opts)}
	n.recv = channel.NewReceiver(db, clk, n.engine)
	if n.hub, err = realtime.NewHub(db, bus, n.engine, log); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.hub.Close)
	// The API authenticates; here a test header names the principal.
	n.ws = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := realtime.Accept(w, r, nil)
		if err != nil {
			return
		}
		var after int64
		fmt.Sscan(r.URL.Query().Get("after"), &after)
		n.hub.Open(r.Context(), conn, who[r.URL.Query().Get("as")], after).Run()
	}))
	t.Cleanup(n.ws.Close)
	return n
}

type site struct {
	account, channel int64
	agent            auth.Principal
}

func setUp(t *testing.T, db *store.DB, clk clock.Clock) site {
	t.Helper()
	ctx := context.Background()
	var s site
	now := clk.Now()
	err := db.Tx(ctx, func(q *store.Queries) error {
		acc, err := q.CreateAccount(ctx, store.CreateAccountParams{Name: "Acme", CreatedAt: now})
		if err != nil {
			return err
		}
		dep, err := q.CreateDepartment(ctx, store.CreateDepartmentParams{AccountID: acc.ID, Name: "Vendas", CreatedAt: now})
		if err != nil {
			return err
		}
		ch, err := q.CreateChannel(ctx, store.CreateChannelParams{AccountID: acc.ID, Kind: "test", Name: "WhatsApp", DepartmentID: store.NullID(dep.ID), Settings: "{}", RatePerS: 10, CreatedAt: now})
		if err != nil {
			return err
		}
		u, err := q.CreateUser(ctx, store.CreateUserParams{AccountID: acc.ID, Name: "Ana", Email: "ana@acme.test", Role: "agent", PasswordHash: "-", CreatedAt: now})
		if err != nil {
			return err
		}
		if _, err := q.AddDepartmentMember(ctx, store.AddDepartmentMemberParams{AccountID: acc.ID, DepartmentID: dep.ID, UserID: u.ID, CreatedAt: now}); err != nil {
			return err
		}
		if err := q.SetDepartmentRouting(ctx, store.SetDepartmentRoutingParams{AccountID: acc.ID, ID: dep.ID, Distribution: "auto", Policy: "least_busy",
			OfferMode: "direct", OfferTimeoutS: 30, InactivityS: 1800, AbandonmentS: 172800, UpdatedAt: now}); err != nil {
			return err
		}
		s = site{account: acc.ID, channel: ch.ID, agent: auth.Principal{UserID: u.ID, AccountID: acc.ID, Role: auth.Agent, Name: "Ana"}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// socket is a connected client reading frames.
type socket struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan frame
}

type frame struct {
	Type string          `json:"type"`
	Seq  int64           `json:"seq"`
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

func dial(t *testing.T, n *node, as string, after int64) *socket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := strings.Replace(n.ws.URL, "http", "ws", 1) + fmt.Sprintf("/?as=%s&after=%d", as, after)
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &socket{t: t, conn: conn, frames: make(chan frame, 4096)}
	go func() {
		defer close(s.frames)
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			var f frame
			json.Unmarshal(data, &f)
			s.frames <- f
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	return s
}

// until reads frames until one matches, failing after a while.
func (s *socket) until(match func(frame) bool) []frame {
	s.t.Helper()
	var seen []frame
	timeout := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				s.t.Fatalf("socket closed after %d frames", len(seen))
			}
			seen = append(seen, f)
			if match(f) {
				return seen
			}
		case <-timeout:
			s.t.Fatalf("no matching frame in 10s; saw %d frames", len(seen))
		}
	}
}

func (s site) message(t *testing.T, n *node, i int) {
	t.Helper()
	_, err := n.recv.Receive(context.Background(), channel.Inbound{
		ChannelID: s.channel, ProviderMessageID: fmt.Sprintf("wamid.%d", i),
		From: contact.Identity{Kind: contact.KindWhatsApp, Value: "+5511987654321"}, Kind: "text", Body: fmt.Sprintf("mensagem %d", i),
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkMessages fails unless frames hold message.created for exactly the
// messages 1..n (by body order of arrival) in increasing sequence, once each.
func checkInOrder(t *testing.T, frames []frame, want int) int64 {
	t.Helper()
	var last int64
	got := 0
	for _, f := range frames {
		if f.Type != "event" {
			continue
		}
		if f.Seq <= last {
			t.Fatalf("sequence went from %d to %d: out of order or duplicated", last, f.Seq)
		}
		last = f.Seq
		if f.Kind == "message.created" {
			got++
		}
	}
	if got != want {
		t.Fatalf("%d message events, want %d", got, want)
	}
	return last
}

// An agent on node A sees, in order and once each, messages that arrive on
// node B (and on A), across two servers sharing PostgreSQL and NATS.
func TestEventsFromAnotherNodeArriveInOrder(t *testing.T) {
	natsURL := natsServer(t)
	pg := storetest.PostgresURL(t)
	clk := clock.System{}
	var dbs []*store.DB
	for range 2 {
		db, err := store.Open(context.Background(), pg, "")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxConns(8)
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	s := setUp(t, dbs[0], clk)
	who := map[string]auth.Principal{"ana": s.agent}
	a, b := startNode(t, dbs[0], natsURL, clk, who), startNode(t, dbs[1], natsURL, clk, who)

	ana := dial(t, a, "ana", 0)
	ana.until(func(f frame) bool { return f.Type == "synced" })
	if err := a.engine.SetPresence(context.Background(), s.agent, routing.Ready, 0); err != nil {
		t.Fatal(err)
	}
	const n = 60
	for i := range n {
		s.message(t, []*node{b, b, a}[i%3], i) // mostly through node B
	}
	frames := ana.until(func(f frame) bool {
		return f.Kind == "message.created" && strings.Contains(string(f.Data), fmt.Sprintf(`"message_id":%d`, n))
	})
	checkInOrder(t, frames, n)
}

// A client that drops, misses events and reconnects with its last sequence
// gets exactly what it missed, in order, then the live stream.
func TestReconnectWithTheLastSequenceMissesNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		clk := clock.System{}
		s := setUp(t, db, clk)
		n := startNode(t, db, natsServer(t), clk, map[string]auth.Principal{"ana": s.agent})
		ana := dial(t, n, "ana", 0)
		ana.until(func(f frame) bool { return f.Type == "synced" })
		if err := n.engine.SetPresence(context.Background(), s.agent, routing.Ready, 0); err != nil {
			t.Fatal(err)
		}
		s.message(t, n, 1)
		before := ana.until(func(f frame) bool { return f.Kind == "message.created" })
		last := before[len(before)-1].Seq
		ana.conn.Close(websocket.StatusNormalClosure, "bye")

		for i := 2; i <= 11; i++ {
			s.message(t, n, i) // while the agent is away
		}
		again := dial(t, n, "ana", last)
		replayed := again.until(func(f frame) bool { return f.Type == "synced" })
		s.message(t, n, 12)
		live := again.until(func(f frame) bool { return f.Kind == "message.created" })
		all := append(replayed, live...)
		for _, f := range all {
			if f.Type == "event" && f.Seq <= last {
				t.Fatalf("event %d was sent again after reconnecting with %d", f.Seq, last)
			}
		}
		checkInOrder(t, all, 11)
	})
}

// A first connection (after=0) starts from now: however long the account's
// history, it is neither replayed nor answered with reload, and what happens
// next arrives live.
func TestAFirstConnectionStartsFromNowWhateverTheHistory(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		clk := clock.System{}
		s := setUp(t, db, clk)
		n := startNode(t, db, natsServer(t), clk, map[string]auth.Principal{"ana": s.agent})
		ctx := context.Background()
		var last int64
		for i := 1; last <= events.MaxReplay; i++ {
			s.message(t, n, i)
			var err error
			if last, err = db.Read().LastEventSeq(ctx, s.agent.AccountID); err != nil {
				t.Fatal(err)
			}
		}
		ana := dial(t, n, "ana", 0)
		first := ana.until(func(f frame) bool { return f.Type == "synced" || f.Type == "reload" })
		if len(first) != 1 || first[0].Type != "synced" || first[0].Seq != last {
			t.Fatalf("a first connection after %d events got %+v, want only synced at %d", last, first, last)
		}
		s.message(t, n, 100000)
		live := ana.until(func(f frame) bool { return f.Kind == "message.created" })
		if got := live[len(live)-1].Seq; got <= last {
			t.Fatalf("the live event has seq %d, not after %d", got, last)
		}
	})
}

// The agent's presence follows the connection: the disconnect grace period
// starts when the last socket closes.
func TestPresenceFollowsTheConnection(t *testing.T) {
	db := storetest.SQLite(t)
	clk := clock.System{}
	s := setUp(t, db, clk)
	n := startNode(t, db, natsServer(t), clk, map[string]auth.Principal{"ana": s.agent})
	tab1 := dial(t, n, "ana", 0)
	tab1.until(func(f frame) bool { return f.Type == "synced" })
	tab2 := dial(t, n, "ana", 0)
	tab2.until(func(f frame) bool { return f.Type == "synced" })
	pending := func() int {
		var c int
		db.SQLRead().QueryRow(`SELECT count(*) FROM timers WHERE kind = 'disconnect' AND subject_id = $1`, s.agent.UserID).Scan(&c)
		return c
	}
	tab1.conn.Close(websocket.StatusNormalClosure, "")
	time.Sleep(200 * time.Millisecond)
	if pending() != 0 {
		t.Fatal("closing one of two tabs started the disconnect")
	}
	tab2.conn.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(5 * time.Second)
	for pending() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if pending() != 1 {
		t.Fatal("closing the last tab did not start the disconnect grace period")
	}
	dial(t, n, "ana", 0).until(func(f frame) bool { return f.Type == "synced" })
	if pending() != 0 {
		t.Fatal("reconnecting did not call the disconnect off")
	}
}

// With agents on two nodes and conversations arriving through both, no
// conversation is ever offered to two agents: each offer is seen once, by
// one agent's socket, and the database agrees.
func TestNoConversationIsOfferedToTwoAgentsOnDifferentNodes(t *testing.T) {
	natsURL := natsServer(t)
	pg := storetest.PostgresURL(t)
	clk := clock.System{}
	var dbs []*store.DB
	for range 2 {
		db, err := store.Open(context.Background(), pg, "")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxConns(8)
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	s := setUp(t, dbs[0], clk)
	ctx := context.Background()
	// Offer mode, and a second agent.
	var bia auth.Principal
	err := dbs[0].Tx(ctx, func(q *store.Queries) error {
		c, err := q.GetChannelByID(ctx, s.channel)
		if err != nil {
			return err
		}
		if err := q.SetDepartmentRouting(ctx, store.SetDepartmentRoutingParams{AccountID: s.account, ID: c.DepartmentID.Int64, Distribution: "auto",
			Policy: "least_busy", OfferMode: "offer", OfferTimeoutS: 600, InactivityS: 1800, AbandonmentS: 172800, UpdatedAt: clk.Now()}); err != nil {
			return err
		}
		u, err := q.CreateUser(ctx, store.CreateUserParams{AccountID: s.account, Name: "Bia", Email: "bia@acme.test", Role: "agent", PasswordHash: "-", CreatedAt: clk.Now()})
		if err != nil {
			return err
		}
		_, err = q.AddDepartmentMember(ctx, store.AddDepartmentMemberParams{AccountID: s.account, DepartmentID: c.DepartmentID.Int64, UserID: u.ID, CreatedAt: clk.Now()})
		bia = auth.Principal{UserID: u.ID, AccountID: s.account, Role: auth.Agent, Name: "Bia"}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	who := map[string]auth.Principal{"ana": s.agent, "bia": bia}
	a, b := startNode(t, dbs[0], natsURL, clk, who), startNode(t, dbs[1], natsURL, clk, who)
	anaWS, biaWS := dial(t, a, "ana", 0), dial(t, b, "bia", 0)
	anaWS.until(func(f frame) bool { return f.Type == "synced" })
	biaWS.until(func(f frame) bool { return f.Type == "synced" })
	for _, p := range []struct {
		n *node
		p auth.Principal
	}{{a, s.agent}, {b, bia}} {
		if err := p.n.engine.SetAgentRouting(ctx, auth.Principal{AccountID: s.account, Role: auth.Admin}, p.p.UserID, 50, true); err != nil {
			t.Fatal(err)
		}
		if err := p.n.engine.SetPresence(ctx, p.p, routing.Ready, 0); err != nil {
			t.Fatal(err)
		}
	}
	const conversations = 40
	done := make(chan struct{})
	for _, nd := range []*node{a, b} {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range conversations / 2 {
				id := i
				if nd == b {
					id += conversations / 2
				}
				_, err := nd.recv.Receive(ctx, channel.Inbound{ChannelID: s.channel, ProviderMessageID: fmt.Sprintf("m%d", id),
					From: contact.Identity{Kind: contact.KindWhatsApp, Value: fmt.Sprintf("+55119%08d", 40000000+id)}, Kind: "text", Body: "oi"})
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	<-done
	<-done
	// Both sockets see every offer (the department's queue); each offer
	// names one agent, and no conversation is offered twice.
	offers := func(s *socket) map[string]string {
		got := map[string]string{}
		s.until(func(f frame) bool {
			if f.Kind == "conversation.offered" {
				var e events.Event
				json.Unmarshal(f.Data, &e)
				key := fmt.Sprint(e.ConversationID)
				if prev, ok := got[key]; ok {
					t.Fatalf("conversation %s offered twice (to %s and %d)", key, prev, e.AgentID)
				}
				got[key] = fmt.Sprint(e.AgentID)
			}
			return len(got) == conversations
		})
		return got
	}
	fromA, fromB := offers(anaWS), offers(biaWS)
	for conv, agent := range fromA {
		if fromB[conv] != agent {
			t.Fatalf("conversation %s: node A says offered to %s, node B to %s", conv, agent, fromB[conv])
		}
	}
	if err := routing.CheckInvariants(ctx, dbs[0], s.account); err != nil {
		t.Fatal(err)
	}
}
