package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// The whole way through the API: a customer writes, the ready agent is
// offered the conversation and accepts it, replies (queued for the
// channel), writes a note (never sent), transfers it to a colleague, who
// closes it with a reason; the metrics add up.
func TestConversationFromOfferToCloseThroughTheAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		biaID, bia := d.staff("acme", "Bia", "agent")
		account := d.accountOf(anaID)
		s := offerRouting
		s.CloseReasonRequired = true
		dep := d.department(ana, "Vendas", s, caioID, biaID)
		ch := d.channel(account, dep, "WhatsApp Vendas")
		var reason struct{ ID int64 }
		ana.do("POST", "/api/v1/close-reasons", map[string]any{"name": "Venda realizada", "department_id": dep}).want(http.StatusCreated).decode(&reason)

		// Caio goes ready; a customer writes and Caio is offered it.
		var st struct {
			Presence string
			Load     int
			Capacity int
		}
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK).decode(&st)
		if st.Presence != "ready" || st.Capacity != 5 || st.Load != 0 {
			t.Fatalf("presence after ready: %+v", st)
		}
		r := d.writes(ch, "+5511987654321", "João Cliente", "Olá, quero um orçamento")
		if !r.Opened {
			t.Fatal("the customer's message opened no conversation")
		}
		conv := "/api/v1/conversations/" + itoa(r.ConversationID)
		var c conversationView
		caio.do("GET", conv, nil).want(http.StatusOK).decode(&c)
		if c.Status != "queued" || c.OfferAgentID == nil || *c.OfferAgentID != caioID || c.Contact.Name != "João Cliente" ||
			c.Department.ID != dep || c.Channel == nil || c.Channel.ID != ch || len(c.Protocol) != 14 {
			t.Fatalf("the offered conversation as Caio sees it: %+v", c)
		}
		var offered struct{ Conversations []conversationView }
		caio.do("GET", "/api/v1/conversations?tab=offered", nil).want(http.StatusOK).decode(&offered)
		if len(offered.Conversations) != 1 || offered.Conversations[0].ID != r.ConversationID {
			t.Fatalf("Caio's offers: %+v", offered)
		}
		caio.do("GET", "/api/v1/presence", nil).want(http.StatusOK).decode(&st)
		if st.Load != 1 {
			t.Fatalf("an open offer holds a slot: %+v", st)
		}
		// Bia is in the department but the offer is not hers.
		bia.do("POST", conv+"/accept", nil).wantError(http.StatusConflict, "offer_gone")

		d.clock.Advance(10 * time.Second)
		caio.do("POST", conv+"/accept", nil).want(http.StatusNoContent)
		caio.do("POST", conv+"/accept", nil).wantError(http.StatusConflict, "offer_gone")
		caio.do("GET", conv, nil).want(http.StatusOK).decode(&c)
		if c.Status != "active" || c.Agent == nil || c.Agent.ID != caioID || c.OfferAgentID != nil {
			t.Fatalf("after accepting: %+v", c)
		}
		var active struct{ Conversations []conversationView }
		caio.do("GET", "/api/v1/conversations?tab=active", nil).want(http.StatusOK).decode(&active)
		if len(active.Conversations) != 1 || active.Conversations[0].ID != r.ConversationID {
			t.Fatalf("Caio's active tab: %+v", active)
		}

		// A reply goes to the outbox, pending; a note does not.
		d.clock.Advance(30 * time.Second)
		var reply messageView
		caio.do("POST", conv+"/messages", map[string]any{"body": "Olá João! Qual produto?"}).want(http.StatusCreated).decode(&reply)
		if reply.Direction != "out" || reply.Status != "pending" || reply.SenderType != "agent" || reply.Seq != 2 || reply.ConversationID != r.ConversationID {
			t.Fatalf("reply %+v", reply)
		}
		if n := d.count("SELECT count(*) FROM outbox WHERE message_id = $1 AND done_at IS NULL", reply.ID); n != 1 {
			t.Fatalf("outbox rows for the reply: %d", n)
		}
		var note messageView
		caio.do("POST", conv+"/notes", map[string]any{"body": "Cliente antigo, dar desconto"}).want(http.StatusCreated).decode(&note)
		if note.Direction != "note" || note.Status != "received" {
			t.Fatalf("note %+v", note)
		}
		if n := d.count("SELECT count(*) FROM outbox WHERE message_id = $1", note.ID); n != 0 {
			t.Fatalf("a note went to the outbox (%d rows)", n)
		}
		// A quoted message must be one of this conversation's; a refused
		// reply leaves nothing behind.
		caio.do("POST", conv+"/messages", map[string]any{"body": "x", "quoted_message_id": 999999}).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.do("POST", conv+"/messages", map[string]any{"body": "   "}).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.do("POST", conv+"/messages", map[string]any{"text": "hi"}).wantError(http.StatusBadRequest, "unknown_field")
		var quoted messageView
		caio.do("POST", conv+"/messages", map[string]any{"body": "Sobre isto:", "quoted_message_id": reply.ID - 1}).want(http.StatusCreated).decode(&quoted)
		if n := d.count("SELECT count(*) FROM messages WHERE conversation_id = $1", r.ConversationID); n != 4 {
			t.Fatalf("messages stored: %d, want 4", n)
		}

		var page struct {
			Messages      []messageView
			NextBeforeSeq *int64 `json:"next_before_seq"`
		}
		caio.do("GET", conv+"/messages?limit=3", nil).want(http.StatusOK).decode(&page)
		if len(page.Messages) != 3 || page.Messages[0].Seq != 4 || page.Messages[2].Seq != 2 || page.NextBeforeSeq == nil || *page.NextBeforeSeq != 2 {
			t.Fatalf("newest page %+v next %v", page.Messages, page.NextBeforeSeq)
		}
		caio.do("GET", conv+"/messages?limit=3&before_seq=2", nil).want(http.StatusOK).decode(&page)
		if len(page.Messages) != 1 || page.Messages[0].Direction != "in" || page.NextBeforeSeq != nil {
			t.Fatalf("oldest page %+v next %v", page.Messages, page.NextBeforeSeq)
		}
		caio.do("GET", conv+"/messages?limit=0", nil).wantError(http.StatusBadRequest, "invalid_query")

		caio.do("PUT", conv+"/tags/Orçamento", nil).want(http.StatusNoContent)

		// Transfer to Bia, who must be ready first.
		caio.do("POST", conv+"/transfer", map[string]any{"agent_id": biaID, "note": "Bia cuida de orçamentos"}).wantError(http.StatusConflict, "agent_unavailable")
		caio.do("POST", conv+"/transfer", map[string]any{"agent_id": biaID, "department_id": dep}).wantError(http.StatusUnprocessableEntity, "invalid")
		bia.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		d.clock.Advance(time.Minute)
		caio.do("POST", conv+"/transfer", map[string]any{"agent_id": biaID, "note": "Bia cuida de orçamentos"}).want(http.StatusNoContent)
		// Caio no longer sees it; Bia does.
		caio.do("GET", conv, nil).wantError(http.StatusForbidden, "forbidden")
		caio.do("POST", conv+"/messages", map[string]any{"body": "ainda aqui"}).wantError(http.StatusForbidden, "forbidden")
		bia.do("GET", conv, nil).want(http.StatusOK).decode(&c)
		if c.Agent == nil || c.Agent.ID != biaID || !slices.Equal(c.Tags, []string{"orçamento"}) {
			t.Fatalf("after the transfer: %+v", c)
		}

		// The customer answers; Bia replies and closes with a reason.
		d.clock.Advance(time.Minute)
		d.writes(ch, "+5511987654321", "João Cliente", "Uma geladeira")
		d.clock.Advance(20 * time.Second)
		bia.do("POST", conv+"/messages", map[string]any{"body": "Temos sim!"}).want(http.StatusCreated)
		bia.do("POST", conv+"/close", map[string]any{}).wantError(http.StatusUnprocessableEntity, "invalid")
		bia.do("POST", conv+"/close", map[string]any{"close_reason_id": reason.ID, "resolved": true, "external_protocol": "12345678901234"}).
			wantError(http.StatusUnprocessableEntity, "invalid")
		bia.do("POST", conv+"/close", map[string]any{"close_reason_id": reason.ID, "resolved": true, "external_protocol": "CRM-991"}).want(http.StatusNoContent)
		bia.do("POST", conv+"/close", map[string]any{"close_reason_id": reason.ID, "resolved": true}).wantError(http.StatusConflict, "not_allowed")
		bia.do("POST", conv+"/messages", map[string]any{"body": "depois"}).wantError(http.StatusConflict, "not_allowed")

		bia.do("GET", conv, nil).want(http.StatusOK).decode(&c)
		if c.Status != "closed" || c.CloseReason == nil || c.CloseReason.ID != reason.ID || c.Resolved == nil || !*c.Resolved ||
			c.ExternalProtocol != "CRM-991" || c.ClosedAt == nil {
			t.Fatalf("closed conversation %+v", c)
		}
		m := c.Metrics
		// Opened 09:00:00, offered at once, accepted at +10 s, first reply
		// at +40 s, transferred at +1m40s, customer at +2m40s, reply at
		// +3m, closed then.
		if m.TTA != 180 || m.QueueWait != 10 || m.TM1R != 40 || m.TMR != 30 || m.Responses != 2 || len(m.Handling) != 2 {
			t.Fatalf("metrics %+v", m)
		}
		for _, h := range m.Handling {
			if (h.AgentID == caioID && h.Seconds != 90) || (h.AgentID == biaID && h.Seconds != 80) {
				t.Fatalf("handling %+v", m.Handling)
			}
		}
		// The transfer note is an internal note of the conversation.
		bia.do("GET", conv+"/messages", nil).want(http.StatusOK).decode(&page)
		var notes []string
		for _, msg := range page.Messages {
			if msg.Direction == "note" {
				notes = append(notes, msg.Body)
			}
		}
		if !slices.Equal(notes, []string{"Bia cuida de orçamentos", "Cliente antigo, dar desconto"}) {
			t.Fatalf("notes newest first: %v", notes)
		}
		// Both agents are free again; the slot accounting holds.
		bia.do("GET", "/api/v1/presence", nil).want(http.StatusOK).decode(&st)
		if st.Load != 0 {
			t.Fatalf("Bia's load after closing: %d", st.Load)
		}
		d.invariants(account)
	})
}
