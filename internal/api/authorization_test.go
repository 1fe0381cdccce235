package api_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

type call struct {
	method, path string
	body         any
}

// conversationCalls are every conversation route, on one conversation.
func conversationCalls(id, otherDepartment int64) []call {
	conv := "/api/v1/conversations/" + itoa(id)
	return []call{
		{"GET", conv, nil},
		{"GET", conv + "/messages", nil},
		{"POST", conv + "/messages", map[string]any{"body": "intruso"}},
		{"POST", conv + "/notes", map[string]any{"body": "intruso"}},
		{"POST", conv + "/pull", nil},
		{"POST", conv + "/accept", nil},
		{"POST", conv + "/decline", nil},
		{"POST", conv + "/transfer", map[string]any{"department_id": otherDepartment}},
		{"POST", conv + "/close", map[string]any{}},
		{"POST", conv + "/park", nil},
		{"POST", conv + "/resume", nil},
		{"PUT", conv + "/tags/intruso", nil},
		{"DELETE", conv + "/tags/intruso", nil},
	}
}

// Agents see their own conversations and their departments' queues;
// supervisors their departments; admins the account; another account sees
// nothing at all, not even that the conversation exists.
func TestWhoMaySeeAndTouchAConversation(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		daniID, dani := d.staff("acme", "Dani", "agent")
		biaID, bia := d.staff("acme", "Bia", "agent")
		silviaID, silvia := d.staff("acme", "Silvia", "supervisor")
		sergioID, sergio := d.staff("acme", "Sergio", "supervisor")
		_, otto := d.staff("other", "Otto", "admin")
		account := d.accountOf(anaID)
		s := offerRouting
		s.OfferMode = routing.DirectMode
		vendas := d.department(ana, "Vendas", s, caioID, daniID, silviaID)
		suporte := d.department(ana, "Suporte", s, biaID, sergioID)
		ch := d.channel(account, vendas, "WhatsApp Vendas")
		ana.do("PUT", "/api/v1/users/"+itoa(caioID)+"/routing", map[string]any{"capacity": 1, "auto_distribution": true}).want(http.StatusOK)
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		served := d.writes(ch, "+5511911110001", "Cliente Um", "oi")   // assigned to Caio
		queued := d.writes(ch, "+5511911110002", "Cliente Dois", "oi") // Caio is full: it waits
		var c conversationView
		caio.do("GET", "/api/v1/conversations/"+itoa(served.ConversationID), nil).want(http.StatusOK).decode(&c)
		if c.Status != "active" || c.Agent == nil || c.Agent.ID != caioID {
			t.Fatalf("setup: %+v", c)
		}
		messagesBefore := d.count("SELECT count(*) FROM messages")

		// An agent and a supervisor of another department: 403, never data.
		for who, cl := range map[string]*client{"agent of Suporte": bia, "supervisor of Suporte": sergio} {
			for _, cl2 := range conversationCalls(served.ConversationID, suporte) {
				res := cl.do(cl2.method, cl2.path, cl2.body)
				if res.status != http.StatusForbidden {
					t.Errorf("%s: %s %s answered %d %s, want 403", who, cl2.method, cl2.path, res.status, res.body)
				}
			}
			cl.do("GET", "/api/v1/queues/"+itoa(vendas)+"/conversations", nil).wantError(http.StatusForbidden, "forbidden")
			cl.do("GET", "/api/v1/conversations/"+itoa(queued.ConversationID), nil).wantError(http.StatusForbidden, "forbidden")
		}

		// Another account: 404, byte for byte the answer for a missing one.
		missing := otto.do("GET", "/api/v1/conversations/99999999", nil).wantError(http.StatusNotFound, "not_found")
		others := conversationCalls(served.ConversationID, suporte)
		others = append(others,
			call{"GET", "/api/v1/queues/" + itoa(vendas) + "/conversations", nil},
			call{"GET", "/api/v1/contacts/" + itoa(served.ContactID), nil},
			call{"PATCH", "/api/v1/contacts/" + itoa(served.ContactID), map[string]any{"name": "Hacked"}},
			call{"GET", "/api/v1/contacts/" + itoa(served.ContactID) + "/conversations", nil},
			call{"POST", "/api/v1/contacts/" + itoa(served.ContactID) + "/merge", map[string]any{"merge_id": queued.ContactID}},
			call{"GET", "/api/v1/departments/" + itoa(vendas) + "/routing", nil},
			call{"PUT", "/api/v1/departments/" + itoa(vendas) + "/routing", manualRouting},
			call{"PUT", "/api/v1/users/" + itoa(caioID) + "/routing", map[string]any{"capacity": 9, "auto_distribution": false}},
			call{"PUT", "/api/v1/bindings/" + itoa(vendas) + "/" + itoa(served.ContactID), map[string]any{"agent_id": caioID}},
			call{"DELETE", "/api/v1/bindings/" + itoa(vendas) + "/" + itoa(served.ContactID), nil},
		)
		for _, cl := range others {
			res := otto.do(cl.method, cl.path, cl.body)
			if res.status != http.StatusNotFound || !bytes.Equal(res.body, missing.body) {
				t.Errorf("another account: %s %s answered %d %s; want exactly %s", cl.method, cl.path, res.status, res.body, missing.body)
			}
		}
		var list struct{ Conversations []conversationView }
		otto.do("GET", "/api/v1/conversations?tab=active", nil).want(http.StatusOK).decode(&list)
		var queues struct{ Queues []struct{ Queued int } }
		otto.do("GET", "/api/v1/queues", nil).want(http.StatusOK).decode(&queues)
		if len(list.Conversations) != 0 || len(queues.Queues) != 0 {
			t.Fatalf("another account lists %+v and queues %+v", list, queues)
		}

		// A colleague of the same department sees the queue, not Caio's
		// conversation; acting on a queued one needs pulling it first.
		dani.do("GET", "/api/v1/conversations/"+itoa(served.ConversationID), nil).wantError(http.StatusForbidden, "forbidden")
		dani.do("GET", "/api/v1/conversations/"+itoa(served.ConversationID)+"/messages", nil).wantError(http.StatusForbidden, "forbidden")
		dani.do("GET", "/api/v1/conversations/"+itoa(queued.ConversationID), nil).want(http.StatusOK)
		dani.do("GET", "/api/v1/conversations/"+itoa(queued.ConversationID)+"/messages", nil).want(http.StatusOK)
		dani.do("POST", "/api/v1/conversations/"+itoa(queued.ConversationID)+"/messages", map[string]any{"body": "x"}).wantError(http.StatusForbidden, "forbidden")
		dani.do("GET", "/api/v1/queues/"+itoa(vendas)+"/conversations", nil).want(http.StatusOK)

		// The department's supervisor and the administrator see and act.
		silvia.do("GET", "/api/v1/conversations/"+itoa(served.ConversationID), nil).want(http.StatusOK)
		ana.do("GET", "/api/v1/conversations/"+itoa(served.ConversationID)+"/messages", nil).want(http.StatusOK)
		if n := d.count("SELECT count(*) FROM messages"); n != messagesBefore {
			t.Fatalf("refused requests wrote %d messages", n-messagesBefore)
		}
		silvia.do("POST", "/api/v1/conversations/"+itoa(served.ConversationID)+"/notes", map[string]any{"body": "Supervisão"}).want(http.StatusCreated)

		// History: serving a contact shows their conversations; others see
		// only what they may see.
		var hist struct{ Conversations []conversationView }
		caio.do("GET", "/api/v1/contacts/"+itoa(served.ContactID)+"/conversations", nil).want(http.StatusOK).decode(&hist)
		if len(hist.Conversations) != 1 || hist.Conversations[0].ID != served.ConversationID {
			t.Fatalf("Caio's view of his customer's history: %+v", hist)
		}
		bia.do("GET", "/api/v1/contacts/"+itoa(served.ContactID)+"/conversations", nil).want(http.StatusOK).decode(&hist)
		if len(hist.Conversations) != 0 {
			t.Fatalf("Bia sees another department's conversations: %+v", hist)
		}

		// Nothing changed.
		caio.do("GET", "/api/v1/conversations/"+itoa(served.ConversationID), nil).want(http.StatusOK).decode(&c)
		if c.Status != "active" || c.Agent == nil || c.Agent.ID != caioID || c.Department.ID != vendas || len(c.Tags) != 0 {
			t.Fatalf("after the refused requests: %+v", c)
		}
		d.invariants(account)
	})
}
