package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/internal/events"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// "@" in the composer offers only who can take the conversation now: ready
// (or waiting to pause) with a free slot, never the one serving it.
func TestTransferTargetsAreTheAvailableAgents(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		_, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		biaID, bia := d.staff("acme", "Bia", "agent")
		duduID, dudu := d.staff("acme", "Dudu", "agent")
		_, otto := d.staff("other", "Otto", "agent")
		vendas := d.department(ana, "Vendas", manualRouting, caioID, biaID, duduID)
		ch := d.channel(d.accountOf(caioID), vendas, "WhatsApp")
		r := d.writes(ch, "+5511977776666", "Zé", "oi")
		conv := "/api/v1/conversations/" + itoa(r.ConversationID)
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		caio.do("POST", conv+"/pull", nil).want(http.StatusNoContent)
		bia.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		dudu.do("POST", "/api/v1/presence", map[string]string{"presence": "not_ready"}).want(http.StatusOK)

		var got struct {
			Agents []struct {
				ID       int64
				Name     string
				Presence string
			}
		}
		caio.do("GET", conv+"/transfer-targets", nil).want(http.StatusOK).decode(&got)
		if len(got.Agents) != 1 || got.Agents[0].ID != biaID || got.Agents[0].Presence != "ready" {
			t.Fatalf("targets %+v, want only Bia (ready); Caio serves it, Dudu is not ready (%d)", got.Agents, duduID)
		}
		// An agent of another account sees no such conversation; one of the
		// department who does not serve it may not transfer it.
		otto.do("GET", conv+"/transfer-targets", nil).wantError(http.StatusNotFound, "not_found")
		if res := bia.do("GET", conv+"/transfer-targets", nil); res.status != http.StatusForbidden && res.status != http.StatusNotFound {
			t.Fatalf("Bia, who does not serve it: status %d, want 403 or 404", res.status)
		}
	})
}

// The workspace answers every GET outside the API, the widget and the
// operational endpoints; those keep their own answers.
func TestWorkspaceIsServedBesideTheAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		c := d.client()
		for _, path := range []string{"/", "/conversations/12", "/supervisor"} {
			res := c.do("GET", path, nil).want(http.StatusOK)
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(res.body), "Atende") {
				t.Fatalf("GET %s: %s %.200s, want the workspace's page", path, ct, res.body)
			}
		}
		c.do("GET", "/api/v1/nothing-here", nil).wantError(http.StatusNotFound, "not_found")
		c.do("GET", "/api", nil).wantError(http.StatusNotFound, "not_found")
		c.do("GET", "/widget/v1/nothing", nil).wantError(http.StatusNotFound, "not_found")
		c.do("POST", "/conversations/12", nil).wantError(http.StatusNotFound, "not_found")
		c.do("GET", "/api/v1/me", nil).want(http.StatusUnauthorized)
		if res := c.do("GET", "/healthz", nil).want(http.StatusOK); strings.Contains(string(res.body), "<html") {
			t.Fatalf("/healthz answered the workspace: %s", res.body)
		}
	})
}

// A client starting afresh opens the stream after the newest sequence.
func TestLastEventSeqIsWhereTheStreamGoesOn(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		caioID, caio := d.staff("acme", "Caio", "agent")
		_, otto := d.staff("other", "Otto", "agent")
		var before, after, others struct{ Seq int64 }
		caio.do("GET", "/api/v1/events/last", nil).want(http.StatusOK).decode(&before)
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		seq := events.NewSequencer(db, func(context.Context, []events.Stored) {}, slog.New(slog.DiscardHandler))
		if err := seq.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		caio.do("GET", "/api/v1/events/last", nil).want(http.StatusOK).decode(&after)
		otto.do("GET", "/api/v1/events/last", nil).want(http.StatusOK).decode(&others)
		if after.Seq <= before.Seq || others.Seq != 0 {
			t.Fatalf("sequence %d then %d after Caio (%d) got ready; other account %d, want it to grow and the other's 0", before.Seq, after.Seq, caioID, others.Seq)
		}
	})
}

// "My day" comes from the server, from the conversation events: Caio
// started a conversation and transferred it to Bia, who closed it; it
// counts as started and transferred away for Caio, as received and
// concluded for Bia. The day is São Paulo's.
func TestMyDayCountsATransferredConversationForWhoStartedIt(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		_, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		biaID, bia := d.staff("acme", "Bia", "agent")
		s := offerRouting
		s.OfferMode = routing.DirectMode
		vendas := d.department(ana, "Vendas", s, caioID, biaID)
		ch := d.channel(d.accountOf(caioID), vendas, "WhatsApp")
		// The desk's clock: 09:00 UTC on 21 November, 06:00 in São Paulo.
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		kept := d.writes(ch, "+5511900000301", "Alice", "oi").ConversationID
		moved := d.writes(ch, "+5511900000302", "Bruno", "oi").ConversationID
		d.clock.Advance(4 * time.Minute)
		caio.do("POST", "/api/v1/conversations/"+itoa(kept)+"/close", map[string]any{}).want(http.StatusNoContent)
		bia.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		d.clock.Advance(2 * time.Minute)
		caio.do("POST", "/api/v1/conversations/"+itoa(moved)+"/transfer", map[string]any{"agent_id": biaID}).want(http.StatusNoContent)
		d.clock.Advance(55 * time.Minute) // 07:01
		bia.do("POST", "/api/v1/conversations/"+itoa(moved)+"/close", map[string]any{}).want(http.StatusNoContent)

		type hour struct {
			Hour            int
			Started         int
			Concluded       int
			TransferredAway int `json:"transferred_away"`
		}
		type day struct {
			Date            string
			TimeZone        string `json:"time_zone"`
			Started         int
			Received        int
			Concluded       int
			TransferredAway int `json:"transferred_away"`
			Handled         int
			AverageHandling int64  `json:"average_handling"`
			ByHour          []hour `json:"by_hour"`
		}
		var mine, hers day
		caio.do("GET", "/api/v1/me/day", nil).want(http.StatusOK).decode(&mine)
		if mine.Date != "2026-11-21" || mine.TimeZone != "America/Sao_Paulo" || mine.Started != 2 || mine.Received != 0 ||
			mine.Concluded != 1 || mine.TransferredAway != 1 || mine.Handled != 2 || mine.AverageHandling != 5*60 || len(mine.ByHour) != 24 {
			t.Fatalf("Caio's day: %+v", mine)
		}
		if h := mine.ByHour[6]; h != (hour{Hour: 6, Started: 2, Concluded: 1, TransferredAway: 1}) {
			t.Fatalf("Caio's 6 o'clock: %+v", h)
		}
		bia.do("GET", "/api/v1/me/day", nil).want(http.StatusOK).decode(&hers)
		if hers.Started != 0 || hers.Received != 1 || hers.Concluded != 1 || hers.TransferredAway != 0 || hers.Handled != 1 || hers.AverageHandling != 55*60 {
			t.Fatalf("Bia's day: %+v", hers)
		}
		if h := hers.ByHour[7]; h.Concluded != 1 {
			t.Fatalf("Bia's 7 o'clock: %+v", h)
		}
		var before day
		caio.do("GET", "/api/v1/me/day?date=2026-11-20", nil).want(http.StatusOK).decode(&before)
		if before.Date != "2026-11-20" || before.Started+before.Concluded+before.Handled != 0 {
			t.Fatalf("Caio's day before: %+v", before)
		}
		for _, bad := range []string{"2026-11-22", "amanhã"} {
			res := caio.do("GET", "/api/v1/me/day?date="+bad, nil).wantError(http.StatusUnprocessableEntity, "invalid")
			if !strings.Contains(string(res.body), `"field":"date"`) {
				t.Fatalf("date %s: %s", bad, res.body)
			}
		}
	})
}

// Every list of conversations carries each one's newest message to or from
// the customer, never an internal note: the agent's tabs, a queue, the
// finished ones and a conversation's details.
func TestListsCarryTheLastCustomerFacingMessage(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		_, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		_, otto := d.staff("other", "Otto", "admin")
		s := offerRouting
		s.OfferMode = routing.DirectMode
		vendas := d.department(ana, "Vendas", s, caioID)
		fila := d.department(ana, "Fila", manualRouting, caioID)
		account := d.accountOf(caioID)
		ch, queueCh := d.channel(account, vendas, "WhatsApp"), d.channel(account, fila, "WhatsApp Fila")
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)

		type preview struct {
			ID          int64
			Direction   string
			SenderType  string `json:"sender_type"`
			Body        string
			Attachments []string
			CreatedAt   time.Time `json:"created_at"`
		}
		type row struct {
			ID          int64
			LastMessage *preview `json:"last_message"`
		}
		lastIn := func(path string, id int64) *preview {
			t.Helper()
			var list struct{ Conversations []row }
			ana.do("GET", path, nil).want(http.StatusOK).decode(&list)
			for _, r := range list.Conversations {
				if r.ID == id {
					return r.LastMessage
				}
			}
			t.Fatalf("conversation %d is not in %s", id, path)
			return nil
		}
		tab := func(id int64) *preview {
			t.Helper()
			var list struct{ Conversations []row }
			caio.do("GET", "/api/v1/conversations?tab=active", nil).want(http.StatusOK).decode(&list)
			for _, r := range list.Conversations {
				if r.ID == id {
					return r.LastMessage
				}
			}
			t.Fatalf("conversation %d is not in Caio's active tab", id)
			return nil
		}

		a := d.writes(ch, "+5511900000401", "Alice", "Oi, meu pedido não chegou")
		conv := "/api/v1/conversations/" + itoa(a.ConversationID)
		if p := tab(a.ConversationID); p == nil || p.Direction != "in" || p.Body != "Oi, meu pedido não chegou" || p.SenderType != "contact" {
			t.Fatalf("the customer's message as the preview: %+v", p)
		}
		d.clock.Advance(time.Minute)
		var reply messageView
		caio.do("POST", conv+"/messages", map[string]any{"body": "Vou verificar agora mesmo."}).want(http.StatusCreated).decode(&reply)
		caio.do("POST", conv+"/notes", map[string]any{"body": "cliente irritado"}).want(http.StatusCreated)
		p := tab(a.ConversationID)
		if p == nil || p.ID != reply.ID || p.Direction != "out" || p.Body != "Vou verificar agora mesmo." || !p.CreatedAt.Equal(d.clock.Now()) {
			t.Fatalf("after a reply and a note, the preview is %+v; want the reply %d", p, reply.ID)
		}
		var details struct {
			LastMessage *preview `json:"last_message"`
		}
		caio.do("GET", conv, nil).want(http.StatusOK).decode(&details)
		if details.LastMessage == nil || details.LastMessage.ID != reply.ID {
			t.Fatalf("the details' last message: %+v", details.LastMessage)
		}

		// A long message on several lines: one line, 200 characters and "…".
		long := "Segue o relato completo:\n\n" + strings.Repeat("muito texto ", 40)
		d.writes(ch, "+5511900000401", "Alice", long)
		p = tab(a.ConversationID)
		want := []rune(strings.Join(strings.Fields(long), " "))[:200]
		if p == nil || p.Direction != "in" || p.Body != strings.TrimRight(string(want), " ")+"…" || strings.Contains(p.Body, "\n") {
			t.Fatalf("a long message's preview: %q", p.Body)
		}

		// A file on its own: its name.
		var file attachmentView
		caio.upload(conv+"/attachments", "file", "boleto.png", pngBytes).want(http.StatusCreated).decode(&file)
		caio.do("POST", conv+"/messages", map[string]any{"attachment_ids": []string{file.ID}}).want(http.StatusCreated)
		if p := tab(a.ConversationID); p == nil || p.Body != "" || len(p.Attachments) != 1 || p.Attachments[0] != "boleto.png" {
			t.Fatalf("a file's preview: %+v", p)
		}

		// A queue, and the finished ones.
		q := d.writes(queueCh, "+5511900000402", "Bruno", "Alguém aí?")
		if p := lastIn("/api/v1/queues/"+itoa(fila)+"/conversations", q.ConversationID); p == nil || p.Body != "Alguém aí?" {
			t.Fatalf("the queue's preview: %+v", p)
		}
		caio.do("POST", conv+"/close", map[string]any{}).want(http.StatusNoContent)
		if p := lastIn("/api/v1/conversations/finished", a.ConversationID); p == nil || p.Direction != "out" || p.Attachments[0] != "boleto.png" {
			t.Fatalf("the finished list's preview: %+v", p)
		}

		// A conversation with only a note has no preview (the customer's
		// message is taken away to get one).
		b := d.writes(ch, "+5511900000403", "Carla", "oi")
		_, w := d.db.SQL()
		if _, err := w.Exec("DELETE FROM messages WHERE conversation_id = $1", b.ConversationID); err != nil {
			t.Fatal(err)
		}
		caio.do("POST", "/api/v1/conversations/"+itoa(b.ConversationID)+"/notes", map[string]any{"body": "ligar depois"}).want(http.StatusCreated)
		if p := tab(b.ConversationID); p != nil {
			t.Fatalf("a conversation with only a note has the preview %+v", p)
		}

		// The previews are read by account: another account's ids get nothing.
		got, err := d.db.Read().LastMessages(context.Background(), d.accountOf(caioID)+1000, []int64{a.ConversationID, q.ConversationID})
		if err != nil || len(got) != 0 {
			t.Fatalf("another account's previews: %+v, %v", got, err)
		}
		var none struct{ Conversations []row }
		otto.do("GET", "/api/v1/conversations/finished", nil).want(http.StatusOK).decode(&none)
		if len(none.Conversations) != 0 {
			t.Fatalf("Otto lists %+v", none.Conversations)
		}
	})
}
