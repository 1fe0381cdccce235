package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// with returns the client sending one more header on every request.
func (c *client) with(key, value string) *client {
	h := c.header.Clone()
	h.Set(key, value)
	return &client{e: c.e, http: c.http, header: h}
}

// A reply retried with the same Idempotency-Key — one after another or all
// at once — is stored and queued once, and every retry gets the first
// answer, byte for byte.
func TestIdempotencyKeyWritesOnceAndAnswersTheSame(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		silviaID, silvia := d.staff("acme", "Silvia", "supervisor")
		s := offerRouting
		s.OfferMode = routing.DirectMode
		dep := d.department(ana, "Vendas", s, caioID, silviaID)
		ch := d.channel(d.accountOf(anaID), dep, "WhatsApp")
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		r := d.writes(ch, "+5511912345678", "Maria", "oi")
		msgs := "/api/v1/conversations/" + itoa(r.ConversationID) + "/messages"
		outs := func(body string) int {
			return d.count("SELECT count(*) FROM messages WHERE conversation_id = $1 AND direction = 'out' AND body = $2", r.ConversationID, body)
		}

		// Five times in a row.
		retry := caio.with("Idempotency-Key", "3f0c1e9a-seq")
		first := retry.do("POST", msgs, map[string]any{"body": "Olá, Maria!"}).want(http.StatusCreated)
		if first.header.Get("Idempotent-Replayed") != "" {
			t.Fatal("the first request is marked as a replay")
		}
		for i := 0; i < 4; i++ {
			again := retry.do("POST", msgs, map[string]any{"body": "Olá, Maria!"}).want(http.StatusCreated)
			if !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("retry %d answered %s (replayed %q), the first %s", i+1, again.body, again.header.Get("Idempotent-Replayed"), first.body)
			}
		}
		if n := outs("Olá, Maria!"); n != 1 {
			t.Fatalf("%d messages stored for five sequential requests with one key", n)
		}

		// Five at once.
		burst := caio.with("Idempotency-Key", "3f0c1e9a-burst")
		answers := make([]*response, 5)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = burst.do("POST", msgs, map[string]any{"body": "Um momento, por favor."})
			}()
		}
		wg.Wait()
		replays := 0
		for i, a := range answers {
			if a.status != http.StatusCreated || !bytes.Equal(a.body, answers[0].body) {
				t.Fatalf("concurrent request %d: %d %s; the first answered %d %s", i, a.status, a.body, answers[0].status, answers[0].body)
			}
			if a.header.Get("Idempotent-Replayed") == "true" {
				replays++
			}
		}
		if replays != 4 {
			t.Fatalf("%d of 5 concurrent answers are replays, want 4", replays)
		}
		if n := outs("Um momento, por favor."); n != 1 {
			t.Fatalf("%d messages stored for five concurrent requests with one key", n)
		}
		if n := d.count("SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message_id WHERE m.conversation_id = $1", r.ConversationID); n != 2 {
			t.Fatalf("%d outbox rows for two replies", n)
		}

		// The same key for another request is refused; keys are per user.
		retry.do("POST", msgs, map[string]any{"body": "Outra coisa"}).wantError(http.StatusUnprocessableEntity, "idempotency_key_reused")
		retry.do("POST", "/api/v1/conversations/"+itoa(r.ConversationID)+"/notes", map[string]any{"body": "Olá, Maria!"}).
			wantError(http.StatusUnprocessableEntity, "idempotency_key_reused")
		other := silvia.with("Idempotency-Key", "3f0c1e9a-seq").do("POST", msgs, map[string]any{"body": "Olá, Maria!"}).want(http.StatusCreated)
		if other.header.Get("Idempotent-Replayed") != "" || bytes.Equal(other.body, first.body) {
			t.Fatalf("another user's key of the same name replayed Caio's answer: %s", other.body)
		}

		// A request that failed kept nothing: its key runs again.
		failing := caio.with("Idempotency-Key", "3f0c1e9a-fail")
		failing.do("POST", msgs, map[string]any{"body": "  "}).wantError(http.StatusUnprocessableEntity, "invalid")
		if res := failing.do("POST", msgs, map[string]any{"body": "Agora sim"}).want(http.StatusCreated); res.header.Get("Idempotent-Replayed") != "" {
			t.Fatal("a key whose first request failed replayed something")
		}

		// Notes too.
		notes := "/api/v1/conversations/" + itoa(r.ConversationID) + "/notes"
		n1 := caio.with("Idempotency-Key", "note-1").do("POST", notes, map[string]any{"body": "VIP"}).want(http.StatusCreated)
		n2 := caio.with("Idempotency-Key", "note-1").do("POST", notes, map[string]any{"body": "VIP"}).want(http.StatusCreated)
		if !bytes.Equal(n1.body, n2.body) || d.count("SELECT count(*) FROM messages WHERE direction = 'note' AND body = 'VIP'") != 1 {
			t.Fatalf("note retried: %s then %s", n1.body, n2.body)
		}

		// Malformed keys are refused, naming the header.
		res := caio.with("Idempotency-Key", "has space").do("POST", msgs, map[string]any{"body": "x"}).wantError(http.StatusUnprocessableEntity, "invalid")
		if !strings.Contains(string(res.body), `"field":"Idempotency-Key"`) {
			t.Fatalf("bad key answer %s", res.body)
		}
		caio.with("Idempotency-Key", strings.Repeat("k", 201)).do("POST", msgs, map[string]any{"body": "x"}).wantError(http.StatusUnprocessableEntity, "invalid")
	})
}
