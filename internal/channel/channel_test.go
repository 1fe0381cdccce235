package channel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/channel/testchannel"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

func TestMain(m *testing.M) {
	if os.Getenv("ATENDE_TEST_CHILD") == "webhook-server" {
		runWebhookServer()
		return
	}
	code := m.Run()
	storetest.DropTemplates()
	os.Exit(code)
}

var secret = []byte("segredo-do-provedor")

// site is an account with a department and a test channel, and the
// channel's webhook served over HTTP.
type site struct {
	t       *testing.T
	ctx     context.Context
	db      *store.DB
	clock   *clock.Fake
	engine  *routing.Engine
	recv    *channel.Receiver
	account int64
	channel int64
	hooks   *httptest.Server
}

func newSite(t *testing.T, db *store.DB) *site {
	s := &site{t: t, ctx: context.Background(), db: db, clock: clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))}
	s.engine = routing.New(db, s.clock, routing.DefaultOptions)
	s.recv = channel.NewReceiver(db, s.clock, s.engine)
	s.account, s.channel = setUp(t, db, s.clock.Now())
	s.hooks = httptest.NewServer(testchannel.Handler(s.recv, secret, slog.New(slog.DiscardHandler)))
	t.Cleanup(s.hooks.Close)
	return s
}

// setUp creates an account, a department and a test channel.
func setUp(t testing.TB, db *store.DB, now time.Time) (account, ch int64) {
	ctx := context.Background()
	err := db.Tx(ctx, func(q *store.Queries) error {
		acc, err := q.CreateAccount(ctx, store.CreateAccountParams{Name: fmt.Sprintf("Acme %d", now.UnixNano()), CreatedAt: now})
		if err != nil {
			return err
		}
		dep, err := q.CreateDepartment(ctx, store.CreateDepartmentParams{AccountID: acc.ID, Name: "Vendas", CreatedAt: now})
		if err != nil {
			return err
		}
		c, err := q.CreateChannel(ctx, store.CreateChannelParams{AccountID: acc.ID, Kind: testchannel.Kind, Name: "Teste",
			DepartmentID: store.NullID(dep.ID), Settings: "{}", RatePerS: 1000, CreatedAt: now})
		account, ch = acc.ID, c.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return account, ch
}

func (s *site) post(body []byte, sign bool) (int, string) {
	s.t.Helper()
	return postWebhook(s.t, s.hooks.URL, body, sign)
}

func postWebhook(t testing.TB, url string, body []byte, sign bool) (int, string) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	if sign {
		req.Header.Set("X-Signature", testchannel.Sign(secret, body))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, b.String()
}

func webhook(ch int64, id, from, text string) []byte {
	b, _ := json.Marshal(testchannel.Webhook{ID: id, ChannelID: ch, From: from, Name: "Maria", Text: text})
	return b
}

func (s *site) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.SQLRead().QueryRowContext(s.ctx, query, args...).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

func TestRedeliveredWebhookIsStoredOnceEvenConcurrently(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		body := webhook(s.channel, "wamid.HBgN001", "+55 11 98765-4321", "Olá!")
		var wg sync.WaitGroup
		answers := make(chan string, 5)
		for range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, text := s.post(body, true)
				if status != http.StatusOK {
					t.Errorf("delivery answered %d %s", status, text)
				}
				answers <- text
			}()
		}
		wg.Wait()
		close(answers)
		fresh := 0
		for a := range answers {
			if strings.Contains(a, `"duplicate":false`) {
				fresh++
			}
		}
		if fresh != 1 {
			t.Fatalf("%d deliveries stored the message, want exactly 1", fresh)
		}
		if n := s.count(`SELECT count(*) FROM messages WHERE provider_message_id = 'wamid.HBgN001'`); n != 1 {
			t.Fatalf("%d messages stored", n)
		}
		if n := s.count(`SELECT count(*) FROM conversations WHERE account_id = $1`, s.account); n != 1 {
			t.Fatalf("%d conversations opened", n)
		}
		if n := s.count(`SELECT count(*) FROM contacts WHERE account_id = $1`, s.account); n != 1 {
			t.Fatalf("%d contacts created", n)
		}
	})
}

func TestMalformedWebhooksAreRefusedWithAReasonAndStoreNothing(t *testing.T) {
	s := newSite(t, storetest.SQLite(t))
	good := webhook(s.channel, "m1", "+5511987654321", "oi")
	for _, tc := range []struct {
		name   string
		body   []byte
		sign   bool
		status int
		reason string
	}{
		{"unsigned", good, false, 401, "bad signature"},
		{"tampered", append(good[:len(good)-1:len(good)-1], ' ', '}'), false, 401, "bad signature"},
		{"not JSON", []byte(`{"id": `), true, 400, "malformed webhook"},
		{"unknown field", []byte(`{"id":"m2","channel_id":1,"from":"+5511987654321","text":"x","evil":1}`), true, 400, "unknown field"},
		{"no id", webhook(s.channel, "", "+5511987654321", "x"), true, 400, "without id"},
		{"bad phone", webhook(s.channel, "m3", "call me", "x"), true, 400, "webhook from"},
	} {
		status, text := s.post(tc.body, tc.sign)
		if status != tc.status || !strings.Contains(text, tc.reason) {
			t.Errorf("%s: %d %q, want %d with %q", tc.name, status, text, tc.status, tc.reason)
		}
	}
	if n := s.count(`SELECT count(*) FROM messages`); n != 0 {
		t.Fatalf("refused webhooks stored %d messages", n)
	}
}

// provider is a local fake of the provider's send API: it answers from a
// script, then 200 with a new id.
type provider struct {
	mu     sync.Mutex
	script []int // statuses to answer first
	got    []map[string]any
}

func (p *provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var m map[string]any
	json.NewDecoder(r.Body).Decode(&m)
	p.got = append(p.got, m)
	if len(p.script) > 0 {
		status := p.script[0]
		p.script = p.script[1:]
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "120")
		}
		http.Error(w, fmt.Sprintf(`{"error":"scripted %d"}`, status), status)
		return
	}
	fmt.Fprintf(w, `{"id":"prov-%d"}`, len(p.got))
}

func (s *site) outbound(text string) store.Message {
	s.t.Helper()
	// A conversation to answer.
	status, body := s.post(webhook(s.channel, "in-"+text, "+5511911112222", "oi"), true)
	if status != 200 {
		s.t.Fatalf("webhook: %d %s", status, body)
	}
	var in struct {
		MessageID int64 `json:"message_id"`
	}
	json.Unmarshal([]byte(body), &in)
	inMsg, err := s.db.Read().GetMessageByID(s.ctx, in.MessageID)
	if err != nil {
		s.t.Fatal(err)
	}
	var out store.Message
	err = s.engine.Tx(s.ctx, func(q *store.Queries, fx *routing.Effects) error {
		out, err = channel.Queue(s.ctx, q, fx, s.clock.Now(), conversation.NewMessage{
			AccountID: s.account, ConversationID: inMsg.ConversationID, ChannelID: s.channel, SenderType: "agent", Body: text,
		})
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

func (s *site) message(id int64) store.Message {
	m, err := s.db.Read().GetMessageByID(s.ctx, id)
	if err != nil {
		s.t.Fatal(err)
	}
	return m
}

func TestRelaySendsRetriesWithBackoffAndRecordsTheOutcome(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		fake := &provider{script: []int{500, 503}}
		api := httptest.NewServer(fake)
		defer api.Close()
		relay := channel.NewRelay(db, s.clock, s.engine, map[string]channel.Adapter{testchannel.Kind: testchannel.Adapter{BaseURL: api.URL}}, channel.DefaultRelayOptions)
		run := func() int {
			n, err := relay.RunOnce(s.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		m := s.outbound("Seu pedido saiu para entrega")
		if m.Status != "pending" {
			t.Fatalf("new outbound message is %s", m.Status)
		}
		run() // 500: retried later
		if got := s.message(m.ID); got.Status != "pending" {
			t.Fatalf("after a 5xx: %s", got.Status)
		}
		if run() != 0 {
			t.Fatal("a retry went out before its backoff")
		}
		s.clock.Advance(2 * time.Second) // first backoff is at most 2 s
		run()                            // 503: retried, later
		s.clock.Advance(4 * time.Second)
		run() // 200
		got := s.message(m.ID)
		if got.Status != "sent" || got.ProviderMessageID.String != "prov-3" {
			t.Fatalf("after success: %s %q", got.Status, got.ProviderMessageID.String)
		}
		if len(fake.got) != 3 || fake.got[2]["text"] != "Seu pedido saiu para entrega" {
			t.Fatalf("provider got %v", fake.got)
		}
		// The agent's screen hears of it: one message.status event, "sent".
		if n := s.count(`SELECT count(*) FROM events WHERE kind = 'message.status' AND payload LIKE '%"status":"sent"%'`); n != 1 {
			t.Fatalf("%d message.status events for the sent message", n)
		}
		// Status only moves forward: read, then a late "delivered".
		err := db.Tx(s.ctx, func(q *store.Queries) error {
			for _, st := range []string{conversation.Read, conversation.Delivered, conversation.Sent} {
				if _, err := conversation.AdvanceStatus(s.ctx, q, s.clock.Now(), m.ID, st, ""); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || s.message(m.ID).Status != "read" {
			t.Fatalf("after read then delivered: %s (%v)", s.message(m.ID).Status, err)
		}

		// A refusal is permanent: failed with the provider's error, no retry.
		fake.script = []int{400}
		refused := s.outbound("mensagem recusada")
		run()
		if got := s.message(refused.ID); got.Status != "failed" || !strings.Contains(got.StatusError, "scripted 400") {
			t.Fatalf("after a 400: %s %q", got.Status, got.StatusError)
		}
		// A rate limit waits as long as the provider asks.
		fake.script = []int{429}
		slow := s.outbound("devagar")
		run()
		s.clock.Advance(100 * time.Second)
		if run() != 0 {
			t.Fatal("retried before Retry-After")
		}
		s.clock.Advance(30 * time.Second)
		run()
		if got := s.message(slow.ID); got.Status != "sent" {
			t.Fatalf("after the rate limit passed: %s", got.Status)
		}
	})
}

func TestRelayGivesUpAfterMaxAttempts(t *testing.T) {
	db := storetest.SQLite(t)
	s := newSite(t, db)
	fake := &provider{script: []int{500, 500, 500}}
	api := httptest.NewServer(fake)
	defer api.Close()
	relay := channel.NewRelay(db, s.clock, s.engine, map[string]channel.Adapter{testchannel.Kind: testchannel.Adapter{BaseURL: api.URL}},
		channel.RelayOptions{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: time.Minute})
	m := s.outbound("vai falhar")
	for range 3 {
		if _, err := relay.RunOnce(s.ctx); err != nil {
			t.Fatal(err)
		}
		s.clock.Advance(time.Minute)
	}
	if got := s.message(m.ID); got.Status != "failed" || !strings.Contains(got.StatusError, "500") {
		t.Fatalf("after 3 failures: %s %q", got.Status, got.StatusError)
	}
	if len(fake.got) != 3 {
		t.Fatalf("provider called %d times", len(fake.got))
	}
}

func TestBackoffGrowsWithJitterUpToTheCap(t *testing.T) {
	for attempt := 1; attempt <= 12; attempt++ {
		want := min(time.Second<<(attempt-1), time.Minute)
		for range 50 {
			d := channel.Backoff(attempt, time.Second, time.Minute)
			if d < want/2 || d > want {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[channel.Backoff(5, time.Second, time.Minute)] = true
	}
	if len(seen) < 5 {
		t.Fatal("backoff has no jitter")
	}
}
