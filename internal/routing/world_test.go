package routing_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplates()
	os.Exit(code)
}

var start = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

// world is one account with a department, a WhatsApp channel and agents.
type world struct {
	t       testing.TB
	ctx     context.Context
	db      *store.DB
	clock   *clock.Fake
	engine  *routing.Engine
	recv    *channel.Receiver
	account int64
	admin   auth.Principal
	dept    int64
	channel int64
}

// offerMode is the default department of these tests: automatic
// distribution, offers with a 30 s timeout, least busy.
var offerMode = routing.Settings{Distribution: routing.Auto, Policy: routing.LeastBusy, OfferMode: routing.OfferMode,
	OfferTimeoutS: 30, InactivityS: 1800, AbandonmentS: 48 * 3600}

func newWorld(t testing.TB, db *store.DB, s routing.Settings) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), db: db, clock: clock.NewFake(start)}
	w.engine = routing.New(db, w.clock, routing.DefaultOptions)
	w.recv = channel.NewReceiver(db, w.clock, w.engine)
	err := db.Tx(w.ctx, func(q *store.Queries) error {
		acc, err := q.CreateAccount(w.ctx, store.CreateAccountParams{Name: fmt.Sprintf("Acme %p", w), CreatedAt: start})
		if err != nil {
			return err
		}
		w.account = acc.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.admin = w.user("Admin", auth.Admin)
	w.dept = w.department("Vendas", s)
	w.channel = w.whatsapp(w.dept)
	return w
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// user inserts a user directly: these tests are about routing, not sign-in,
// and argon2 would make hundreds of agents slow.
func (w *world) user(name string, role auth.Role) auth.Principal {
	w.t.Helper()
	var u store.User
	w.must(w.db.Tx(w.ctx, func(q *store.Queries) error {
		var err error
		u, err = q.CreateUser(w.ctx, store.CreateUserParams{AccountID: w.account, Name: name,
			Email: fmt.Sprintf("%s.%d.%d@acme.test", name, w.account, time.Now().UnixNano()), Role: string(role), PasswordHash: "-", CreatedAt: start})
		return err
	}))
	return auth.Principal{UserID: u.ID, AccountID: w.account, Role: role, Name: name}
}

func (w *world) department(name string, s routing.Settings) int64 {
	w.t.Helper()
	var d store.Department
	w.must(w.db.Tx(w.ctx, func(q *store.Queries) error {
		var err error
		d, err = q.CreateDepartment(w.ctx, store.CreateDepartmentParams{AccountID: w.account, Name: name, CreatedAt: start})
		return err
	}))
	w.must(w.engine.SetDepartmentSettings(w.ctx, w.admin, d.ID, s))
	return d.ID
}

func (w *world) whatsapp(dept int64) int64 {
	w.t.Helper()
	var ch store.Channel
	w.must(w.db.Tx(w.ctx, func(q *store.Queries) error {
		var err error
		ch, err = q.CreateChannel(w.ctx, store.CreateChannelParams{AccountID: w.account, Kind: "test", Name: "WhatsApp", DepartmentID: store.NullID(dept), Settings: "{}", RatePerS: 50, CreatedAt: start})
		return err
	}))
	return ch.ID
}

// agent creates an agent in the departments (the world's one by default).
func (w *world) agent(name string, depts ...int64) auth.Principal {
	w.t.Helper()
	p := w.user(name, auth.Agent)
	if len(depts) == 0 {
		depts = []int64{w.dept}
	}
	for _, d := range depts {
		_, err := w.db.Write().AddDepartmentMember(w.ctx, store.AddDepartmentMemberParams{AccountID: w.account, DepartmentID: d, UserID: p.UserID, CreatedAt: start})
		w.must(err)
	}
	return p
}

func (w *world) ready(p auth.Principal) {
	w.t.Helper()
	w.must(w.engine.SetPresence(w.ctx, p, routing.Ready, 0))
}

// writes is a customer sending a WhatsApp message (from their number).
func (w *world) writes(phone, text string) channel.Received {
	w.t.Helper()
	return w.writesOn(w.channel, phone, text)
}

func (w *world) writesOn(ch int64, phone, text string) channel.Received {
	w.t.Helper()
	r, err := w.recv.Receive(w.ctx, channel.Inbound{
		ChannelID: ch, ProviderMessageID: fmt.Sprintf("wamid.%d", time.Now().UnixNano()),
		From: contact.Identity{Kind: contact.KindWhatsApp, Value: phone}, Profile: contact.Profile{Name: "Cliente " + phone},
		Kind: "text", Body: text,
	})
	w.must(err)
	w.check()
	return r
}

func (w *world) conv(id int64) store.Conversation {
	w.t.Helper()
	c, err := w.db.Read().GetConversation(w.ctx, store.GetConversationParams{AccountID: w.account, ID: id})
	w.must(err)
	return c
}

func (w *world) state(p auth.Principal) store.AgentState {
	w.t.Helper()
	s, err := w.db.Read().GetAgentState(w.ctx, p.UserID)
	w.must(err)
	return s
}

// advance moves time and fires the timers that came due.
func (w *world) advance(d time.Duration) {
	w.t.Helper()
	w.clock.Advance(d)
	_, err := w.engine.Tick(w.ctx)
	w.must(err)
	w.check()
}

func (w *world) check() {
	w.t.Helper()
	if err := routing.CheckInvariants(w.ctx, w.db, w.account); err != nil {
		w.t.Fatalf("invariant broken: %v", err)
	}
}

// wantOffered fails unless conversation id has an open offer to p.
func (w *world) wantOffered(id int64, p auth.Principal) {
	w.t.Helper()
	c := w.conv(id)
	if c.Status != "queued" || !c.OfferAgentID.Valid || c.OfferAgentID.Int64 != p.UserID {
		w.t.Fatalf("conversation %d: status %s, offer to %v; want an offer to %s (%d)", id, c.Status, c.OfferAgentID, p.Name, p.UserID)
	}
}

// wantWith fails unless conversation id is in status with agent p.
func (w *world) wantWith(id int64, status conversation.Status, p auth.Principal) {
	w.t.Helper()
	c := w.conv(id)
	if c.Status != string(status) || c.AgentID.Int64 != p.UserID {
		w.t.Fatalf("conversation %d: status %s with agent %v; want %s with %s (%d)", id, c.Status, c.AgentID, status, p.Name, p.UserID)
	}
}

func (w *world) wantQueued(id int64) {
	w.t.Helper()
	c := w.conv(id)
	if c.Status != "queued" || c.AgentID.Valid || c.OfferAgentID.Valid {
		w.t.Fatalf("conversation %d: status %s, agent %v, offer %v; want queued with nobody", id, c.Status, c.AgentID, c.OfferAgentID)
	}
}

func (w *world) events(id int64) []string {
	w.t.Helper()
	evs, err := w.db.Read().ListConversationEvents(w.ctx, id)
	w.must(err)
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}
