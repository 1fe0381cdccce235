package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// Canned responses: account, department and personal ones, each managed by
// whom it belongs to, looked up by /shortcut and rendered for a
// conversation.
func TestCannedResponses(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio Prado", "agent")
		biaID, bia := d.staff("acme", "Bia", "agent")
		silviaID, silvia := d.staff("acme", "Silvia", "supervisor")
		_, otto := d.staff("other", "Otto", "admin")
		s := offerRouting
		s.OfferMode = routing.DirectMode
		vendas := d.department(ana, "Vendas", s, caioID, silviaID)
		suporte := d.department(ana, "Suporte", s, biaID)
		ch := d.channel(d.accountOf(anaID), vendas, "WhatsApp")
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		r := d.writes(ch, "+5511944443333", "Paula Souza", "oi")

		type resp struct {
			ID         int64
			Scope      string
			Shortcut   string
			Body       string
			Rendered   *string
			Department *struct{ ID int64 }
		}
		var account, frete, mine resp
		ana.do("POST", "/api/v1/canned-responses", map[string]any{"scope": "account", "shortcut": "/Saudacao", "title": "Saudação",
			"body": "Olá, {{contact.first_name}}! Aqui é {{agent.first_name}}, protocolo {{protocol}}."}).want(http.StatusCreated).decode(&account)
		if account.Shortcut != "saudacao" || account.Scope != "account" {
			t.Fatalf("account response %+v", account)
		}
		silvia.do("POST", "/api/v1/canned-responses", map[string]any{"scope": "department", "department_id": vendas, "shortcut": "frete",
			"body": "O frete para {{department.name}} é grátis."}).want(http.StatusCreated).decode(&frete)
		silvia.do("POST", "/api/v1/canned-responses", map[string]any{"scope": "department", "department_id": suporte, "shortcut": "x", "body": "x"}).
			wantError(http.StatusForbidden, "forbidden")
		caio.do("POST", "/api/v1/canned-responses", map[string]any{"scope": "personal", "shortcut": "saudacao", "body": "Oi {{contact.first_name}} :)"}).
			want(http.StatusCreated).decode(&mine)
		caio.do("POST", "/api/v1/canned-responses", map[string]any{"scope": "personal", "shortcut": "SAUDACAO", "body": "de novo"}).
			wantError(http.StatusConflict, "conflict")
		caio.do("POST", "/api/v1/canned-responses", map[string]any{"scope": "account", "shortcut": "minha", "body": "x"}).wantError(http.StatusForbidden, "forbidden")
		caio.do("POST", "/api/v1/canned-responses", map[string]any{"scope": "department", "department_id": vendas, "shortcut": "minha", "body": "x"}).
			wantError(http.StatusForbidden, "forbidden")
		caio.do("POST", "/api/v1/canned-responses", map[string]any{"scope": "personal", "shortcut": "com espaço", "body": "x"}).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.do("POST", "/api/v1/canned-responses", map[string]any{"scope": "team", "shortcut": "x", "body": "x"}).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.do("POST", "/api/v1/canned-responses", map[string]any{"scope": "personal", "shortcut": "vazio", "body": " "}).wantError(http.StatusUnprocessableEntity, "invalid")

		type list struct {
			CannedResponses []resp `json:"canned_responses"`
		}
		var l list
		caio.do("GET", "/api/v1/canned-responses?q=/sau", nil).want(http.StatusOK).decode(&l)
		if len(l.CannedResponses) != 2 || l.CannedResponses[0].ID != mine.ID || l.CannedResponses[1].ID != account.ID || l.CannedResponses[0].Rendered != nil {
			t.Fatalf("Caio's /sau: %+v", l)
		}
		bia.do("GET", "/api/v1/canned-responses", nil).want(http.StatusOK).decode(&l)
		if len(l.CannedResponses) != 1 || l.CannedResponses[0].ID != account.ID {
			t.Fatalf("Bia's responses: %+v", l)
		}
		ana.do("GET", "/api/v1/canned-responses", nil).want(http.StatusOK).decode(&l)
		if len(l.CannedResponses) != 2 { // every department's, nobody else's personal ones
			t.Fatalf("Ana's responses: %+v", l)
		}

		// Rendered for Caio's conversation.
		caio.do("GET", "/api/v1/canned-responses?conversation_id="+itoa(r.ConversationID), nil).want(http.StatusOK).decode(&l)
		var c conversationView
		caio.do("GET", "/api/v1/conversations/"+itoa(r.ConversationID), nil).want(http.StatusOK).decode(&c)
		rendered := map[int64]string{}
		for _, x := range l.CannedResponses {
			if x.Rendered == nil {
				t.Fatalf("not rendered: %+v", x)
			}
			rendered[x.ID] = *x.Rendered
		}
		if rendered[mine.ID] != "Oi Paula :)" || rendered[account.ID] != "Olá, Paula! Aqui é Caio, protocolo "+c.Protocol+"." ||
			rendered[frete.ID] != "O frete para Vendas é grátis." {
			t.Fatalf("rendered %v", rendered)
		}
		var one resp
		caio.do("GET", "/api/v1/canned-responses/"+itoa(frete.ID)+"?conversation_id="+itoa(r.ConversationID), nil).want(http.StatusOK).decode(&one)
		if one.Rendered == nil || *one.Rendered != "O frete para Vendas é grátis." {
			t.Fatalf("one rendered: %+v", one)
		}
		bia.do("GET", "/api/v1/canned-responses?conversation_id="+itoa(r.ConversationID), nil).wantError(http.StatusForbidden, "forbidden")

		// Managing: each by whom it belongs to; others' answer 404 when
		// they may not even use them.
		caio.do("PATCH", "/api/v1/canned-responses/"+itoa(frete.ID), map[string]any{"body": "x"}).wantError(http.StatusForbidden, "forbidden")
		silvia.do("PATCH", "/api/v1/canned-responses/"+itoa(frete.ID), map[string]any{"body": "Frete grátis em {{department.name}}!"}).want(http.StatusOK).decode(&one)
		if one.Body != "Frete grátis em {{department.name}}!" {
			t.Fatalf("updated %+v", one)
		}
		bia.do("GET", "/api/v1/canned-responses/"+itoa(mine.ID), nil).wantError(http.StatusNotFound, "not_found")
		bia.do("GET", "/api/v1/canned-responses/"+itoa(frete.ID), nil).wantError(http.StatusNotFound, "not_found")
		ana.do("DELETE", "/api/v1/canned-responses/"+itoa(mine.ID), nil).wantError(http.StatusNotFound, "not_found")
		missing := otto.do("GET", "/api/v1/canned-responses/999999", nil).wantError(http.StatusNotFound, "not_found")
		for _, id := range []int64{account.ID, frete.ID, mine.ID} {
			res := otto.do("PATCH", "/api/v1/canned-responses/"+itoa(id), map[string]any{"body": "x"})
			if res.status != http.StatusNotFound || string(res.body) != string(missing.body) {
				t.Errorf("another account changing response %d: %d %s", id, res.status, res.body)
			}
		}
		otto.do("GET", "/api/v1/canned-responses", nil).want(http.StatusOK).decode(&l)
		if len(l.CannedResponses) != 0 {
			t.Fatalf("another account lists %+v", l)
		}
		caio.do("DELETE", "/api/v1/canned-responses/"+itoa(mine.ID), nil).want(http.StatusNoContent)
		caio.do("GET", "/api/v1/canned-responses/"+itoa(mine.ID), nil).wantError(http.StatusNotFound, "not_found")

		var log struct{ Entries []struct{ Action string } }
		ana.do("GET", "/api/v1/audit-log?limit=200", nil).want(http.StatusOK).decode(&log)
		var canned []string
		for _, e := range log.Entries {
			if strings.HasPrefix(e.Action, "canned_response.") {
				canned = append(canned, e.Action)
			}
		}
		if strings.Join(canned, ",") != "canned_response.update,canned_response.create,canned_response.create" {
			t.Fatalf("audited canned-response changes (newest first): %v", canned)
		}
	})
}
