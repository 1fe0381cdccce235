package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/atende/atende/internal/api"
	"github.com/atende/atende/internal/attachment"
	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/canned"
	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/department"
	"github.com/atende/atende/internal/events"
	"github.com/atende/atende/internal/messaging"
	"github.com/atende/atende/internal/realtime"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// clusterNode is one complete Atende API server: its own database pool,
// NATS connection, sequencer, engine, hub and HTTP server, as `atende
// serve` wires them.
type clusterNode struct {
	*env
	recv *channel.Receiver
}

func startClusterNode(t *testing.T, pg, natsURL, files string) *clusterNode {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	db, err := store.Open(ctx, pg, "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxConns(10)
	t.Cleanup(func() { db.Close() })
	bus, err := realtime.Connect(natsURL, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)
	clk := clock.System{}
	seq := events.NewSequencer(db, bus.PublishEvents, log)
	opts := routing.DefaultOptions
	opts.Events = seq
	engine := routing.New(db, clk, opts)
	hub, err := realtime.NewHub(db, bus, engine, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	a := auth.New(db, clk, auth.DefaultLimits, log)
	srv := httptest.NewServer(api.New(api.Deps{
		Auth: a, Departments: department.New(db, clk), Engine: engine, Contacts: contact.New(db, clk),
		Messaging: messaging.New(db, clk, engine), Canned: canned.New(db, clk),
		Attachments: attachment.New(db, clk, attachment.Dir(files), 1<<20, log), Hub: hub,
		Ready: map[string]api.Pinger{"database": db, "nats": bus}, Registry: api.NewRegistry(), Log: log,
	}))
	t.Cleanup(srv.Close)
	return &clusterNode{env: &env{t: t, srv: srv, auth: a}, recv: channel.NewReceiver(db, clk, engine)}
}

// on is the same signed-in person talking to another node: a session is
// kept in the database, so any node honours it.
func (c *client) on(n *clusterNode) *client {
	return &client{e: n.env, http: c.http, header: c.header}
}

// eventStream collects what a socket receives.
type eventStream struct {
	t      *testing.T
	mu     sync.Mutex
	frames []wsFrame
	more   chan struct{}
}

type wsFrame struct {
	Type string          `json:"type"`
	Seq  int64           `json:"seq"`
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

func (c *client) stream(t *testing.T) *eventStream {
	t.Helper()
	conn, _, err := c.dialWS(c.e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); conn.CloseNow() })
	s := &eventStream{t: t, more: make(chan struct{}, 1)}
	go func() {
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var f wsFrame
			if json.Unmarshal(data, &f) == nil {
				s.mu.Lock()
				s.frames = append(s.frames, f)
				s.mu.Unlock()
				select {
				case s.more <- struct{}{}:
				default:
				}
			}
		}
	}()
	s.waitFor("synced", func(fs []wsFrame) bool { return len(pick(fs, "synced")) > 0 })
	return s
}

// waitFor waits until done holds for what arrived so far.
func (s *eventStream) waitFor(what string, done func([]wsFrame) bool) []wsFrame {
	s.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		fs := append([]wsFrame(nil), s.frames...)
		s.mu.Unlock()
		if done(fs) {
			return fs
		}
		select {
		case <-s.more:
		case <-deadline:
			s.t.Fatalf("waiting for %s; got %d frames", what, len(fs))
		}
	}
}

// pick keeps the frames of a type or event kind.
func pick(fs []wsFrame, kind string) []wsFrame {
	var out []wsFrame
	for _, f := range fs {
		if f.Type == kind || f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func eventOf(f wsFrame) events.Event {
	var e events.Event
	json.Unmarshal(f.Data, &e)
	return e
}

// Three servers in one process share one PostgreSQL database and one NATS
// server, as a cluster would. Agents signed in on different nodes get each
// conversation offered once, to one of them; an agent connected to node A
// sees, in order and once, what customers write through node C and what
// she herself answers through node B.
func TestThreeNodesShareOffersAndKeepMessagesInOrder(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(5 * time.Second) {
		t.Fatal("NATS not ready")
	}
	t.Cleanup(ns.Shutdown)
	pg, files := storetest.PostgresURL(t), t.TempDir()
	a, b, c := startClusterNode(t, pg, ns.ClientURL(), files), startClusterNode(t, pg, ns.ClientURL(), files), startClusterNode(t, pg, ns.ClientURL(), files)

	a.user("Acme", "Ana", "ana@acme.test", "admin")
	anaAdmin := a.login("Ana", "ana@acme.test")
	agents := map[string]*client{}
	ids := map[int64]string{}
	for i, name := range []string{"Caio", "Bia"} {
		id := a.user("Acme", name, fmt.Sprintf("%s@acme.test", name), "agent")
		ids[id] = name
		agents[name] = []*clusterNode{a, b}[i].login(name, fmt.Sprintf("%s@acme.test", name))
	}
	var dep struct{ ID int64 }
	anaAdmin.do("POST", "/api/v1/departments", map[string]string{"name": "Vendas"}).want(http.StatusCreated).decode(&dep)
	s := offerRouting
	s.OfferTimeoutS = 600
	anaAdmin.on(b).do("PUT", "/api/v1/departments/"+itoa(dep.ID)+"/routing", s).want(http.StatusOK)
	for id := range ids {
		anaAdmin.on(c).do("PUT", "/api/v1/departments/"+itoa(dep.ID)+"/members/"+itoa(id), nil).want(http.StatusNoContent)
		anaAdmin.do("PUT", "/api/v1/users/"+itoa(id)+"/routing", map[string]any{"capacity": 50, "auto_distribution": true}).want(http.StatusOK)
	}
	var account int64
	ctx := context.Background()
	db, err := store.Open(ctx, pg, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxConns(2)
	if err := db.SQLRead().QueryRow("SELECT account_id FROM departments WHERE id = $1", dep.ID).Scan(&account); err != nil {
		t.Fatal(err)
	}
	ch, err := db.Write().CreateChannel(ctx, store.CreateChannelParams{AccountID: account, Kind: "test", Name: "WhatsApp",
		DepartmentID: store.NullID(dep.ID), Settings: "{}", RatePerS: 50, CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}

	// Caio works on node A, Bia on node B.
	caioWS, biaWS := agents["Caio"].stream(t), agents["Bia"].on(b).stream(t)
	agents["Caio"].do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
	agents["Bia"].on(b).do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)

	// Thirty customers write at once, through nodes B and C.
	const customers = 30
	var wg sync.WaitGroup
	for i := range customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := []*clusterNode{b, c}[i%2]
			if _, err := n.recv.Receive(ctx, channel.Inbound{ChannelID: ch.ID, ProviderMessageID: fmt.Sprintf("first.%d", i),
				From: contact.Identity{Kind: contact.KindWhatsApp, Value: fmt.Sprintf("+55119%08d", 30000000+i)}, Kind: "text", Body: "oi"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

	// Both sockets watch the department: every offer reaches both, each
	// names one agent, and no conversation is offered twice.
	offered := func(fs []wsFrame) map[int64]int64 {
		out := map[int64]int64{}
		for _, f := range pick(fs, "conversation.offered") {
			e := eventOf(f)
			if prev, twice := out[e.ConversationID]; twice {
				t.Fatalf("conversation %d offered to %s and then to %s", e.ConversationID, ids[prev], ids[e.AgentID])
			}
			out[e.ConversationID] = e.AgentID
		}
		return out
	}
	all := func(fs []wsFrame) bool { return len(pick(fs, "conversation.offered")) >= customers }
	fromCaio, fromBia := offered(caioWS.waitFor("30 offers on node A", all)), offered(biaWS.waitFor("30 offers on node B", all))
	if len(fromCaio) != customers || fmt.Sprint(fromCaio) != fmt.Sprint(fromBia) {
		t.Fatalf("node A saw %d offers %v, node B %v", len(fromCaio), fromCaio, fromBia)
	}
	var caiosConversation int64
	perAgent := map[string]int{}
	for conv, agent := range fromCaio {
		name := ids[agent]
		perAgent[name]++
		agents[name].on([]*clusterNode{a, b}[map[string]int{"Caio": 0, "Bia": 1}[name]]).
			do("POST", "/api/v1/conversations/"+itoa(conv)+"/accept", nil).want(http.StatusNoContent)
		if name == "Caio" {
			caiosConversation = conv
		}
	}
	if perAgent["Caio"] == 0 || perAgent["Bia"] == 0 {
		t.Fatalf("offers per agent %v: distribution should use both", perAgent)
	}
	var assigned, distinct int
	db.SQLRead().QueryRow("SELECT count(*), count(DISTINCT id) FROM conversations WHERE status = 'active' AND agent_id IS NOT NULL").Scan(&assigned, &distinct)
	if assigned != customers || distinct != customers {
		t.Fatalf("%d active conversations (%d distinct), want %d", assigned, distinct, customers)
	}
	if err := routing.CheckInvariants(ctx, db, account); err != nil {
		t.Fatal(err)
	}

	// One of Caio's customers writes twenty messages through node C while
	// Caio answers through node B; his socket on node A gets every one, in
	// the order they were stored, once.
	var phone string
	db.SQLRead().QueryRow("SELECT ci.value FROM conversations c JOIN contact_identities ci ON ci.contact_id = c.contact_id WHERE c.id = $1", caiosConversation).Scan(&phone)
	before := len(pick(caioWS.waitFor("nothing", func([]wsFrame) bool { return true }), "message.created"))
	const burst = 20
	for i := range burst {
		if _, err := c.recv.Receive(ctx, channel.Inbound{ChannelID: ch.ID, ProviderMessageID: fmt.Sprintf("burst.%d", i),
			From: contact.Identity{Kind: contact.KindWhatsApp, Value: phone}, Kind: "text", Body: fmt.Sprintf("mensagem %d", i)}); err != nil {
			t.Fatal(err)
		}
		if i == burst/2 {
			agents["Caio"].on(b).do("POST", "/api/v1/conversations/"+itoa(caiosConversation)+"/messages", map[string]string{"body": "Estou lendo"}).
				want(http.StatusCreated)
		}
	}
	frames := caioWS.waitFor("the burst on node A", func(fs []wsFrame) bool {
		return len(pick(fs, "message.created")) >= before+burst+1
	})
	var last int64
	var lastMessage int64
	seen := map[int64]bool{}
	for _, f := range frames {
		if f.Type != "event" {
			continue
		}
		if f.Seq <= last {
			t.Fatalf("sequence %d after %d", f.Seq, last)
		}
		last = f.Seq
		if f.Kind != "message.created" {
			continue
		}
		e := eventOf(f)
		if seen[e.MessageID] {
			t.Fatalf("message %d arrived twice", e.MessageID)
		}
		seen[e.MessageID] = true
		if e.ConversationID == caiosConversation {
			if e.MessageID <= lastMessage {
				t.Fatalf("message %d after %d", e.MessageID, lastMessage)
			}
			lastMessage = e.MessageID
		}
	}
	var stored int
	db.SQLRead().QueryRow("SELECT count(*) FROM messages WHERE conversation_id = $1", caiosConversation).Scan(&stored)
	got := 0
	for id := range seen {
		var conv int64
		db.SQLRead().QueryRow("SELECT conversation_id FROM messages WHERE id = $1", id).Scan(&conv)
		if conv == caiosConversation {
			got++
		}
	}
	if got != stored || stored != 1+burst+1 {
		t.Fatalf("Caio's socket got %d of the conversation's %d messages (want %d)", got, stored, 1+burst+1)
	}
	// Once Caio serves it, Bia never hears about its messages (the first
	// one arrived while it was in the department's queue).
	var first int64
	db.SQLRead().QueryRow("SELECT min(id) FROM messages WHERE conversation_id = $1", caiosConversation).Scan(&first)
	for _, f := range pick(biaWS.waitFor("nothing", func([]wsFrame) bool { return true }), "message.created") {
		if e := eventOf(f); e.ConversationID == caiosConversation && e.MessageID != first {
			t.Fatalf("Bia's socket got a message of Caio's conversation: %s", f.Data)
		}
	}
}
