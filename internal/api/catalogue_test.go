package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// Pause reasons and presence: administrators keep the catalogue, everybody
// reads it, a deactivated reason can no longer be chosen.
func TestPresenceAndPauseReasons(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		_, ana := d.staff("acme", "Ana", "admin")
		_, caio := d.staff("acme", "Caio", "agent")

		var st struct {
			Presence    string
			Since       *string
			PauseReason *struct {
				ID   int64
				Name string
			} `json:"pause_reason"`
			Capacity int
		}
		caio.do("GET", "/api/v1/presence", nil).want(http.StatusOK).decode(&st)
		if st.Presence != "offline" || st.Since != nil || st.Capacity != 5 {
			t.Fatalf("a new agent's presence: %+v", st)
		}
		caio.do("POST", "/api/v1/pause-reasons", map[string]string{"name": "Almoço"}).wantError(http.StatusForbidden, "forbidden")
		var lunch, training struct {
			ID     int64
			Name   string
			Active bool
		}
		ana.do("POST", "/api/v1/pause-reasons", map[string]string{"name": " Almoço "}).want(http.StatusCreated).decode(&lunch)
		ana.do("POST", "/api/v1/pause-reasons", map[string]string{"name": "Treinamento"}).want(http.StatusCreated).decode(&training)
		if lunch.Name != "Almoço" || !lunch.Active {
			t.Fatalf("pause reason %+v", lunch)
		}
		ana.do("POST", "/api/v1/pause-reasons", map[string]string{"name": ""}).wantError(http.StatusUnprocessableEntity, "invalid")
		ana.do("PATCH", "/api/v1/pause-reasons/"+itoa(lunch.ID), map[string]any{"name": "Almoço longo"}).want(http.StatusOK).decode(&lunch)
		if lunch.Name != "Almoço longo" || !lunch.Active {
			t.Fatalf("renamed %+v", lunch)
		}
		caio.do("PATCH", "/api/v1/pause-reasons/"+itoa(lunch.ID), map[string]any{"name": "x"}).wantError(http.StatusForbidden, "forbidden")

		caio.do("POST", "/api/v1/presence", map[string]any{"presence": "paused"}).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.do("POST", "/api/v1/presence", map[string]any{"presence": "ready", "pause_reason_id": lunch.ID}).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.do("POST", "/api/v1/presence", map[string]any{"presence": "asleep"}).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.do("POST", "/api/v1/presence", map[string]any{"presence": "paused", "pause_reason_id": "lunch"}).wantError(http.StatusBadRequest, "wrong_type")
		caio.do("POST", "/api/v1/presence", map[string]any{"presence": "paused", "pause_reason_id": lunch.ID}).want(http.StatusOK).decode(&st)
		if st.Presence != "paused" || st.PauseReason == nil || st.PauseReason.Name != "Almoço longo" || st.Since == nil {
			t.Fatalf("paused: %+v", st)
		}

		ana.do("DELETE", "/api/v1/pause-reasons/"+itoa(training.ID), nil).want(http.StatusNoContent)
		ana.do("DELETE", "/api/v1/pause-reasons/999999", nil).wantError(http.StatusNotFound, "not_found")
		caio.do("POST", "/api/v1/presence", map[string]any{"presence": "paused", "pause_reason_id": training.ID}).wantError(http.StatusUnprocessableEntity, "invalid")
		var list struct {
			PauseReasons []struct {
				Name   string
				Active bool
			} `json:"pause_reasons"`
		}
		caio.do("GET", "/api/v1/pause-reasons", nil).want(http.StatusOK).decode(&list)
		if len(list.PauseReasons) != 2 || list.PauseReasons[0].Name != "Almoço longo" || list.PauseReasons[1].Active {
			t.Fatalf("pause reasons %+v", list)
		}
	})
}

// Close reasons, routing settings, bindings and account settings.
func TestCloseReasonsSettingsAndBindings(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		silviaID, silvia := d.staff("acme", "Silvia", "supervisor")
		_, otto := d.staff("other", "Otto", "admin")
		vendas := d.department(ana, "Vendas", offerRouting, caioID, silviaID)
		suporte := d.department(ana, "Suporte", offerRouting)
		var otherDep struct{ ID int64 }
		otto.do("POST", "/api/v1/departments", map[string]string{"name": "Deles"}).want(http.StatusCreated).decode(&otherDep)

		// Close reasons for a department or all of them.
		type reason struct {
			ID           int64
			Name         string
			DepartmentID *int64 `json:"department_id"`
			Active       bool
		}
		var sale, general reason
		ana.do("POST", "/api/v1/close-reasons", map[string]any{"name": "Venda", "department_id": vendas}).want(http.StatusCreated).decode(&sale)
		ana.do("POST", "/api/v1/close-reasons", map[string]any{"name": "Dúvida"}).want(http.StatusCreated).decode(&general)
		ana.do("POST", "/api/v1/close-reasons", map[string]any{"name": "Deles", "department_id": otherDep.ID}).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.do("POST", "/api/v1/close-reasons", map[string]any{"name": "Minha"}).wantError(http.StatusForbidden, "forbidden")
		if sale.DepartmentID == nil || *sale.DepartmentID != vendas || general.DepartmentID != nil {
			t.Fatalf("reasons %+v %+v", sale, general)
		}
		var reasons struct {
			CloseReasons []reason `json:"close_reasons"`
		}
		caio.do("GET", "/api/v1/close-reasons?department_id="+itoa(suporte), nil).want(http.StatusOK).decode(&reasons)
		if len(reasons.CloseReasons) != 1 || reasons.CloseReasons[0].ID != general.ID {
			t.Fatalf("Suporte's close reasons %+v", reasons)
		}
		ana.do("PATCH", "/api/v1/close-reasons/"+itoa(sale.ID), map[string]any{"department_id": 0, "name": "Venda feita"}).want(http.StatusOK).decode(&sale)
		if sale.DepartmentID != nil || sale.Name != "Venda feita" {
			t.Fatalf("moved to every department: %+v", sale)
		}
		ana.do("DELETE", "/api/v1/close-reasons/"+itoa(sale.ID), nil).want(http.StatusNoContent)
		caio.do("GET", "/api/v1/close-reasons", nil).want(http.StatusOK).decode(&reasons)
		if len(reasons.CloseReasons) != 2 || reasons.CloseReasons[1].Active {
			t.Fatalf("after deactivating: %+v", reasons)
		}
		otto.do("PATCH", "/api/v1/close-reasons/"+itoa(general.ID), map[string]any{"name": "x"}).wantError(http.StatusNotFound, "not_found")
		caio.do("GET", "/api/v1/close-reasons?department_id=x", nil).wantError(http.StatusBadRequest, "invalid_query")

		// Department routing: supervisors of the department and admins.
		var rs routing.Settings
		caio.do("GET", "/api/v1/departments/"+itoa(vendas)+"/routing", nil).want(http.StatusOK).decode(&rs)
		if rs != offerRouting {
			t.Fatalf("routing %+v", rs)
		}
		changed := offerRouting
		changed.Policy, changed.OfferTimeoutS, changed.CloseReasonRequired = routing.RoundRobin, 45, true
		silvia.do("PUT", "/api/v1/departments/"+itoa(vendas)+"/routing", changed).want(http.StatusOK).decode(&rs)
		if rs != changed {
			t.Fatalf("routing after PUT %+v", rs)
		}
		silvia.do("PUT", "/api/v1/departments/"+itoa(suporte)+"/routing", changed).wantError(http.StatusForbidden, "forbidden")
		caio.do("PUT", "/api/v1/departments/"+itoa(vendas)+"/routing", changed).wantError(http.StatusForbidden, "forbidden")
		res := ana.do("PUT", "/api/v1/departments/"+itoa(vendas)+"/routing", map[string]any{"distribution": "auto"}).wantError(http.StatusUnprocessableEntity, "invalid")
		if !strings.Contains(string(res.body), `"field":"policy"`) {
			t.Fatalf("incomplete settings: %s", res.body)
		}
		res = ana.do("PUT", "/api/v1/departments/"+itoa(vendas)+"/routing", map[string]any{"offer_timeout_s": "30"}).wantError(http.StatusBadRequest, "wrong_type")
		if !strings.Contains(string(res.body), `"field":"offer_timeout_s"`) {
			t.Fatalf("wrong type answer does not name the field: %s", res.body)
		}

		// Agent routing: the form reads one person's with GET and saves it
		// with PUT. Someone never configured has the defaults.
		type agentRouting struct {
			Capacity         int
			AutoDistribution bool `json:"auto_distribution"`
		}
		var ar agentRouting
		ana.do("GET", "/api/v1/users/"+itoa(caioID)+"/routing", nil).want(http.StatusOK).decode(&ar)
		if ar != (agentRouting{Capacity: 5, AutoDistribution: true}) {
			t.Fatalf("Caio's routing before any is set: %+v", ar)
		}
		silvia.do("PUT", "/api/v1/users/"+itoa(caioID)+"/routing", map[string]any{"capacity": 3, "auto_distribution": false}).want(http.StatusOK)
		for who, cl := range map[string]*client{"Ana": ana, "Silvia": silvia, "Caio himself": caio} {
			ar = agentRouting{}
			cl.do("GET", "/api/v1/users/"+itoa(caioID)+"/routing", nil).want(http.StatusOK).decode(&ar)
			if ar != (agentRouting{Capacity: 3, AutoDistribution: false}) {
				t.Fatalf("Caio's routing as %s reads it: %+v", who, ar)
			}
		}
		caio.do("GET", "/api/v1/users/"+itoa(silviaID)+"/routing", nil).wantError(http.StatusForbidden, "forbidden")
		silvia.do("GET", "/api/v1/users/"+itoa(anaID)+"/routing", nil).wantError(http.StatusForbidden, "forbidden") // no shared department
		otto.do("GET", "/api/v1/users/"+itoa(caioID)+"/routing", nil).wantError(http.StatusNotFound, "not_found")
		ana.do("GET", "/api/v1/users/999999/routing", nil).wantError(http.StatusNotFound, "not_found")
		caio.do("PUT", "/api/v1/users/"+itoa(caioID)+"/routing", map[string]any{"capacity": 9, "auto_distribution": true}).wantError(http.StatusForbidden, "forbidden")
		ana.do("PUT", "/api/v1/users/"+itoa(caioID)+"/routing", map[string]any{"capacity": 3}).wantError(http.StatusUnprocessableEntity, "invalid")
		ana.do("PUT", "/api/v1/users/"+itoa(caioID)+"/routing", map[string]any{"capacity": 0, "auto_distribution": true}).wantError(http.StatusUnprocessableEntity, "invalid")
		var st struct {
			Capacity         int
			AutoDistribution bool `json:"auto_distribution"`
		}
		caio.do("GET", "/api/v1/presence", nil).want(http.StatusOK).decode(&st)
		if st.Capacity != 3 || st.AutoDistribution {
			t.Fatalf("Caio's routing %+v", st)
		}

		// Account settings.
		var acc struct {
			ExternalProtocolRequired bool `json:"external_protocol_required"`
		}
		ana.do("PATCH", "/api/v1/account/settings", map[string]any{"external_protocol_required": true}).want(http.StatusOK).decode(&acc)
		caio.do("GET", "/api/v1/account/settings", nil).want(http.StatusOK).decode(&acc)
		if !acc.ExternalProtocolRequired {
			t.Fatal("external protocol not required after PATCH")
		}
		silvia.do("PATCH", "/api/v1/account/settings", map[string]any{"external_protocol_required": false}).wantError(http.StatusForbidden, "forbidden")
		silvia.do("PATCH", "/api/v1/account/settings", map[string]any{}).wantError(http.StatusForbidden, "forbidden")
		otto.do("GET", "/api/v1/account/settings", nil).want(http.StatusOK).decode(&acc)
		if acc.ExternalProtocolRequired {
			t.Fatal("another account's setting changed")
		}

		// Bindings.
		var contact struct{ ID int64 }
		caio.do("POST", "/api/v1/contacts", map[string]any{"name": "Maria", "emails": []string{"Maria@Cliente.test"}}).want(http.StatusCreated).decode(&contact)
		bind := "/api/v1/bindings/" + itoa(vendas) + "/" + itoa(contact.ID)
		caio.do("PUT", bind, map[string]any{"agent_id": caioID}).wantError(http.StatusForbidden, "forbidden")
		silvia.do("PUT", bind, map[string]any{"agent_id": anaID}).wantError(http.StatusUnprocessableEntity, "invalid") // not a member
		silvia.do("PUT", bind, map[string]any{}).wantError(http.StatusUnprocessableEntity, "invalid")
		silvia.do("PUT", bind, map[string]any{"agent_id": caioID}).want(http.StatusNoContent)
		var bl struct {
			Bindings []struct {
				ContactID   int64  `json:"contact_id"`
				AgentName   string `json:"agent_name"`
				ContactName string `json:"contact_name"`
			}
		}
		ana.do("GET", "/api/v1/bindings?contact_email=maria@cliente.test", nil).want(http.StatusOK).decode(&bl)
		if len(bl.Bindings) != 1 || bl.Bindings[0].ContactID != contact.ID || bl.Bindings[0].AgentName != "Caio" || bl.Bindings[0].ContactName != "Maria" {
			t.Fatalf("bindings %+v", bl)
		}
		ana.do("GET", "/api/v1/bindings?agent_id="+itoa(anaID), nil).want(http.StatusOK).decode(&bl)
		if len(bl.Bindings) != 0 {
			t.Fatalf("Ana's bindings %+v", bl)
		}
		caio.do("GET", "/api/v1/bindings", nil).wantError(http.StatusForbidden, "forbidden")
		ana.do("GET", "/api/v1/bindings?agent_id=-1", nil).wantError(http.StatusBadRequest, "invalid_query")
		silvia.do("DELETE", bind, nil).want(http.StatusNoContent)
		silvia.do("DELETE", bind, nil).wantError(http.StatusNotFound, "not_found")

		// Every administrative change is in the audit log.
		var log struct{ Entries []struct{ Action string } }
		ana.do("GET", "/api/v1/audit-log?limit=200", nil).want(http.StatusOK).decode(&log)
		seen := map[string]int{}
		for _, e := range log.Entries {
			seen[e.Action]++
		}
		for action, n := range map[string]int{"close_reason.create": 2, "close_reason.update": 2, "department.routing": 3,
			"user.routing": 1, "account.settings": 1, "binding.set": 1, "binding.delete": 1} {
			if seen[action] != n {
				t.Errorf("audit log has %d %s entries, want %d (all: %v)", seen[action], action, n, seen)
			}
		}
	})
}

// Contacts: create, search, edit, merge; a merged id answers the kept one.
func TestContactsThroughTheAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		_, caio := d.staff("acme", "Caio", "agent")
		type contactView struct {
			ID     int64
			Name   string
			Emails []string
			Phones []string
		}
		var joao, jb contactView
		caio.do("POST", "/api/v1/contacts", map[string]any{"name": "João Batista", "phones": []string{"(11) 98765-4321"}}).want(http.StatusCreated).decode(&joao)
		caio.do("POST", "/api/v1/contacts", map[string]any{"name": "", "emails": []string{"jb@cliente.test"}}).want(http.StatusCreated).decode(&jb)
		if len(joao.Phones) != 1 || joao.Phones[0] != "+5511987654321" || jb.Name != "jb@cliente.test" {
			t.Fatalf("created %+v %+v", joao, jb)
		}
		caio.do("POST", "/api/v1/contacts", map[string]any{"name": "X", "document": "123"}).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.do("POST", "/api/v1/contacts", map[string]any{"name": "X", "nickname": "x"}).wantError(http.StatusBadRequest, "unknown_field")

		var found struct{ Contacts []contactView }
		caio.do("GET", "/api/v1/contacts?q=joao", nil).want(http.StatusOK).decode(&found)
		if len(found.Contacts) != 1 || found.Contacts[0].ID != joao.ID {
			t.Fatalf("search joao: %+v", found)
		}
		caio.do("GET", "/api/v1/contacts?q="+"8765-4321", nil).want(http.StatusOK).decode(&found)
		if len(found.Contacts) != 1 || found.Contacts[0].ID != joao.ID {
			t.Fatalf("search by phone: %+v", found)
		}
		caio.do("GET", "/api/v1/contacts?limit=500", nil).wantError(http.StatusBadRequest, "invalid_query")

		name := "João B."
		caio.do("PATCH", "/api/v1/contacts/"+itoa(jb.ID), map[string]any{"name": name}).want(http.StatusOK).decode(&jb)
		if jb.Name != name {
			t.Fatalf("renamed %+v", jb)
		}
		var kept contactView
		caio.do("POST", "/api/v1/contacts/"+itoa(joao.ID)+"/merge", map[string]any{"merge_id": jb.ID}).want(http.StatusOK).decode(&kept)
		if kept.ID != joao.ID || len(kept.Emails) != 1 || kept.Emails[0] != "jb@cliente.test" {
			t.Fatalf("merged %+v", kept)
		}
		caio.do("POST", "/api/v1/contacts/"+itoa(joao.ID)+"/merge", map[string]any{}).wantError(http.StatusUnprocessableEntity, "invalid")
		var again contactView
		caio.do("GET", "/api/v1/contacts/"+itoa(jb.ID), nil).want(http.StatusOK).decode(&again)
		if again.ID != joao.ID {
			t.Fatalf("the merged id answers %+v", again)
		}
		var hist struct{ Conversations []any }
		caio.do("GET", "/api/v1/contacts/"+itoa(jb.ID)+"/conversations", nil).want(http.StatusOK).decode(&hist)
		if hist.Conversations == nil || len(hist.Conversations) != 0 {
			t.Fatalf("history of a contact without conversations: %+v", hist)
		}
		caio.do("GET", "/api/v1/contacts/999999", nil).wantError(http.StatusNotFound, "not_found")
	})
}
