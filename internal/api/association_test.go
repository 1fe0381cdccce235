package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// A conversation moves to the contact it really is with; the account's tag
// catalogue lists the tags in use.
func TestAssociateAConversationWithAContactAndTheTagCatalogue(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		biaID, bia := d.staff("acme", "Bia", "agent")
		_, otto := d.staff("other", "Otto", "admin")
		s := offerRouting
		s.OfferMode = routing.DirectMode
		vendas := d.department(ana, "Vendas", s, caioID)
		d.department(ana, "Suporte", s, biaID)
		ch := d.channel(d.accountOf(anaID), vendas, "WhatsApp")
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		x := d.writes(ch, "+5511933330001", "", "oi, sou a Maria")
		y := d.writes(ch, "+5511933330002", "Outra", "oi")
		var known, foreign struct{ ID int64 }
		caio.do("POST", "/api/v1/contacts", map[string]any{"name": "Maria Conhecida", "emails": []string{"maria@cliente.test"}}).want(http.StatusCreated).decode(&known)
		otto.do("POST", "/api/v1/contacts", map[string]any{"name": "Deles"}).want(http.StatusCreated).decode(&foreign)

		convX := "/api/v1/conversations/" + itoa(x.ConversationID)
		caio.do("PUT", convX+"/contact", map[string]any{"contact_id": 0}).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.do("PUT", convX+"/contact", map[string]any{"contact_id": foreign.ID}).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.do("PUT", convX+"/contact", map[string]any{"id": known.ID}).wantError(http.StatusBadRequest, "unknown_field")
		bia.do("PUT", convX+"/contact", map[string]any{"contact_id": known.ID}).wantError(http.StatusForbidden, "forbidden")
		otto.do("PUT", convX+"/contact", map[string]any{"contact_id": foreign.ID}).wantError(http.StatusNotFound, "not_found")
		var kept struct {
			ID     int64
			Name   string
			Phones []string
		}
		caio.do("PUT", convX+"/contact", map[string]any{"contact_id": known.ID}).want(http.StatusOK).decode(&kept)
		if kept.ID != known.ID || kept.Name != "Maria Conhecida" || len(kept.Phones) != 1 || kept.Phones[0] != "+5511933330001" {
			t.Fatalf("the contact after associating: %+v", kept)
		}
		// Everyone watching the department sees the conversation change.
		if n := d.count("SELECT count(*) FROM events WHERE kind = 'conversation.updated' AND scope = 'department' AND payload LIKE $1",
			`%"conversation_id":`+itoa(x.ConversationID)+`,%`); n != 1 {
			t.Fatalf("%d conversation.updated events for the association, want 1", n)
		}
		var c conversationView
		caio.do("GET", convX, nil).want(http.StatusOK).decode(&c)
		if c.Contact.ID != known.ID || c.Contact.Name != "Maria Conhecida" {
			t.Fatalf("after associating: %+v", c.Contact)
		}
		// The customer's next message reaches the same conversation.
		if again := d.writes(ch, "+5511933330001", "", "ainda eu"); again.ConversationID != x.ConversationID || again.ContactID != known.ID {
			t.Fatalf("the next message went to conversation %d of contact %d", again.ConversationID, again.ContactID)
		}
		var hist struct{ Conversations []conversationView }
		caio.do("GET", "/api/v1/contacts/"+itoa(known.ID)+"/conversations", nil).want(http.StatusOK).decode(&hist)
		if len(hist.Conversations) != 1 || hist.Conversations[0].ID != x.ConversationID {
			t.Fatalf("the known contact's history: %+v", hist)
		}
		// Associating again is harmless; two unfinished conversations on one
		// channel cannot share a contact.
		caio.do("PUT", convX+"/contact", map[string]any{"contact_id": known.ID}).want(http.StatusOK)
		res := caio.do("PUT", "/api/v1/conversations/"+itoa(y.ConversationID)+"/contact", map[string]any{"contact_id": known.ID}).
			wantError(http.StatusUnprocessableEntity, "invalid")
		if !strings.Contains(string(res.body), `"field":"merge"`) {
			t.Fatalf("clash answer %s", res.body)
		}

		// Tag catalogue.
		for _, tag := range []string{"VIP", "urgente"} {
			caio.do("PUT", "/api/v1/conversations/"+itoa(y.ConversationID)+"/tags/"+tag, nil).want(http.StatusNoContent)
		}
		caio.do("PUT", convX+"/tags/vip", nil).want(http.StatusNoContent)
		var cat struct {
			Tags []struct {
				Tag           string
				Conversations int64
			}
		}
		bia.do("GET", "/api/v1/tags", nil).want(http.StatusOK).decode(&cat)
		if len(cat.Tags) != 2 || cat.Tags[0].Tag != "urgente" || cat.Tags[0].Conversations != 1 || cat.Tags[1].Tag != "vip" || cat.Tags[1].Conversations != 2 {
			t.Fatalf("catalogue %+v", cat)
		}
		caio.do("GET", "/api/v1/tags?q=V", nil).want(http.StatusOK).decode(&cat)
		if len(cat.Tags) != 1 || cat.Tags[0].Tag != "vip" {
			t.Fatalf("catalogue from v: %+v", cat)
		}
		otto.do("GET", "/api/v1/tags", nil).want(http.StatusOK).decode(&cat)
		if len(cat.Tags) != 0 {
			t.Fatalf("another account's catalogue: %+v", cat)
		}
	})
}
