package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atende/atende/internal/api"
	"github.com/atende/atende/internal/attachment"
	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/canned"
	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/channel/webchat"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/department"
	"github.com/atende/atende/internal/messaging"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
)

// desk is a running API with the conversation engine behind it, and the
// channel entry point customers' messages come through, all on one
// database and one fake clock.
type desk struct {
	*env
	db      *store.DB
	engine  *routing.Engine
	recv    *channel.Receiver
	gateway *webchat.Gateway // nil but on a site desk
	files   *attachment.Service
	dir     string // where files keeps uploads
	seq     atomic.Int64
	creds   map[*client][2]string // name, e-mail
}

func newDesk(t *testing.T, db *store.DB) *desk {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.DiscardHandler)
	a := auth.New(db, clk, auth.DefaultLimits, log)
	engine := routing.New(db, clk, routing.DefaultOptions)
	dir := t.TempDir()
	files := attachment.New(db, clk, attachment.Dir(dir), deskMaxFile, log)
	srv := httptest.NewServer(api.New(api.Deps{
		Auth:        a,
		Departments: department.New(db, clk),
		Engine:      engine,
		Contacts:    contact.New(db, clk),
		Messaging:   messaging.New(db, clk, engine),
		Canned:      canned.New(db, clk),
		Webchat:     webchat.NewService(db, clk),
		Visitors:    webchat.NewVisitors(db, clk, engine),
		Attachments: files,
		Ready:       map[string]api.Pinger{"database": db},
		Registry:    api.NewRegistry(),
		Log:         log,
	}))
	t.Cleanup(srv.Close)
	return &desk{
		env: &env{t: t, srv: srv, auth: a, clock: clk},
		db:  db, engine: engine, recv: channel.NewReceiver(db, clk, engine), files: files, dir: dir, creds: map[*client][2]string{},
	}
}

// deskMaxFile is the upload limit in the desk's tests.
const deskMaxFile = 1 << 20

// staff creates a user and signs them in.
func (d *desk) staff(account, name, role string) (int64, *client) {
	d.t.Helper()
	email := fmt.Sprintf("%s.%d@%s.test", strings.ReplaceAll(name, " ", "."), d.seq.Add(1), account)
	id := d.user(account, name, email, role)
	c := d.login(name, email)
	d.creds[c] = [2]string{name, email}
	return id, c
}

// signInAgain gives staff clients new sessions, after the clock moved past
// the idle timeout.
func (d *desk) signInAgain(cs ...*client) {
	d.t.Helper()
	for _, c := range cs {
		cred := d.creds[c]
		c.http.Jar = d.login(cred[0], cred[1]).http.Jar
	}
}

func (d *desk) accountOf(userID int64) int64 {
	d.t.Helper()
	var acc int64
	if err := d.db.SQLRead().QueryRow("SELECT account_id FROM users WHERE id = $1", userID).Scan(&acc); err != nil {
		d.t.Fatal(err)
	}
	return acc
}

// department creates a department through the API with the given routing
// settings and members.
func (d *desk) department(admin *client, name string, s routing.Settings, members ...int64) int64 {
	d.t.Helper()
	var dep struct{ ID int64 }
	admin.do("POST", "/api/v1/departments", map[string]string{"name": name}).want(http.StatusCreated).decode(&dep)
	admin.do("PUT", "/api/v1/departments/"+itoa(dep.ID)+"/routing", s).want(http.StatusOK)
	for _, m := range members {
		admin.do("PUT", "/api/v1/departments/"+itoa(dep.ID)+"/members/"+itoa(m), nil).want(http.StatusNoContent)
	}
	return dep.ID
}

// channel connects a test channel that queues in the department.
func (d *desk) channel(account, dep int64, name string) int64 {
	d.t.Helper()
	return d.channelOfKind(account, dep, name, "test")
}

// channelOfKind is channel with the kind a real adapter would give it
// (whatsapp, telegram…), for what filters by kind; customers still write
// through the test entry point.
func (d *desk) channelOfKind(account, dep int64, name, kind string) int64 {
	d.t.Helper()
	ch, err := d.db.Write().CreateChannel(context.Background(), store.CreateChannelParams{
		AccountID: account, Kind: kind, Name: name, DepartmentID: store.NullID(dep), Settings: "{}", RatePerS: 50, CreatedAt: d.clock.Now(),
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return ch.ID
}

// writes is a customer writing on a channel from a WhatsApp number.
func (d *desk) writes(ch int64, phone, name, text string) channel.Received {
	d.t.Helper()
	r, err := d.recv.Receive(context.Background(), channel.Inbound{
		ChannelID: ch, ProviderMessageID: fmt.Sprintf("wamid.%d", d.seq.Add(1)),
		From: contact.Identity{Kind: contact.KindWhatsApp, Value: phone}, Profile: contact.Profile{Name: name},
		Kind: "text", Body: text,
	})
	if err != nil {
		d.t.Fatalf("customer %s writes: %v", phone, err)
	}
	return r
}

// count runs a counting query.
func (d *desk) count(query string, args ...any) int {
	d.t.Helper()
	var n int
	if err := d.db.SQLRead().QueryRow(query, args...).Scan(&n); err != nil {
		d.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (d *desk) invariants(account int64) {
	d.t.Helper()
	if err := routing.CheckInvariants(context.Background(), d.db, account); err != nil {
		d.t.Fatal(err)
	}
}

// Department settings the tests start from.
var (
	offerRouting = routing.Settings{Distribution: routing.Auto, Policy: routing.LeastBusy, OfferMode: routing.OfferMode,
		OfferTimeoutS: 30, InactivityS: 1800, AbandonmentS: 48 * 3600}
	manualRouting = routing.Settings{Distribution: routing.Manual, Policy: routing.LeastBusy, OfferMode: routing.OfferMode,
		OfferTimeoutS: 30, InactivityS: 1800, AbandonmentS: 48 * 3600}
)

// conversationView is what GET /conversations/{id} answers, as far as the
// tests read it.
type conversationView struct {
	ID           int64
	Protocol     string
	Status       string
	Subject      string
	Agent        *struct{ ID int64 }
	OfferAgentID *int64 `json:"offer_agent_id"`
	Department   struct {
		ID   int64
		Name string
	}
	Channel *struct {
		ID   int64
		Kind string
	}
	Contact struct {
		ID     int64
		Name   string
		Phones []string
	}
	Tags             []string
	CloseReason      *struct{ ID int64 } `json:"close_reason"`
	Resolved         *bool
	ExternalProtocol string     `json:"external_protocol"`
	QueuedAt         *time.Time `json:"queued_at"`
	ClosedAt         *time.Time `json:"closed_at"`
	Metrics          struct {
		TTA       int64 `json:"tta"`
		QueueWait int64 `json:"queue_wait"`
		TM1R      int64 `json:"tm1r"`
		TMR       int64 `json:"tmr"`
		Responses int
		Handling  []struct {
			AgentID int64 `json:"agent_id"`
			Seconds int64
		}
	}
}

type messageView struct {
	ID             int64
	ConversationID int64 `json:"conversation_id"`
	Seq            int64
	Direction      string
	SenderType     string `json:"sender_type"`
	Body           string
	Status         string
}
