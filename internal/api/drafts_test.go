package api_test

import (
	"net/http"
	"testing"

	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// Drafts follow their writer and show in their tabs; read marks count the
// customer messages they have not read; sending drops the draft and reads
// up to the message sent.
func TestDraftsAndReadMarks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		biaID, bia := d.staff("acme", "Bia", "agent")
		silviaID, silvia := d.staff("acme", "Silvia", "supervisor")
		s := offerRouting
		s.OfferMode = routing.DirectMode
		vendas := d.department(ana, "Vendas", s, caioID, silviaID)
		d.department(ana, "Suporte", s, biaID)
		ch := d.channel(d.accountOf(anaID), vendas, "WhatsApp")
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		r := d.writes(ch, "+5511955554444", "Paula", "Bom dia")
		conv := "/api/v1/conversations/" + itoa(r.ConversationID)

		type draft struct {
			Body      string
			UpdatedAt *string `json:"updated_at"`
		}
		var dr draft
		caio.do("GET", conv+"/draft", nil).want(http.StatusOK).decode(&dr)
		if dr.Body != "" || dr.UpdatedAt != nil {
			t.Fatalf("no draft yet: %+v", dr)
		}
		caio.do("PUT", conv+"/draft", map[string]string{"body": "Bom dia, Paula! Vou verific"}).want(http.StatusOK).decode(&dr)
		if dr.Body != "Bom dia, Paula! Vou verific" || dr.UpdatedAt == nil {
			t.Fatalf("saved draft %+v", dr)
		}
		silvia.do("PUT", conv+"/draft", map[string]string{"body": "nota da supervisora"}).want(http.StatusOK)
		bia.do("PUT", conv+"/draft", map[string]string{"body": "intrusa"}).wantError(http.StatusForbidden, "forbidden")
		bia.do("GET", conv+"/draft", nil).wantError(http.StatusForbidden, "forbidden")
		caio.do("PUT", conv+"/draft", map[string]any{"body": 7}).wantError(http.StatusBadRequest, "wrong_type")

		type tabs struct {
			Conversations []struct {
				ID     int64
				Draft  string
				Unread *int64
			}
		}
		var tab tabs
		d.writes(ch, "+5511955554444", "Paula", "Preciso de ajuda")
		caio.do("GET", "/api/v1/conversations?tab=active", nil).want(http.StatusOK).decode(&tab)
		if len(tab.Conversations) != 1 || tab.Conversations[0].Draft != "Bom dia, Paula! Vou verific" || tab.Conversations[0].Unread == nil || *tab.Conversations[0].Unread != 2 {
			t.Fatalf("Caio's tab: %+v", tab)
		}
		type details struct {
			Draft       string
			Unread      int64
			LastReadSeq int64 `json:"last_read_seq"`
		}
		var det details
		silvia.do("GET", conv, nil).want(http.StatusOK).decode(&det)
		if det.Draft != "nota da supervisora" || det.Unread != 2 {
			t.Fatalf("Silvia's details: %+v", det)
		}

		type readState struct {
			LastReadSeq int64 `json:"last_read_seq"`
			Unread      int64
		}
		var rs readState
		caio.do("POST", conv+"/read", nil).want(http.StatusOK).decode(&rs)
		if rs.LastReadSeq != 2 || rs.Unread != 0 {
			t.Fatalf("read everything: %+v", rs)
		}
		caio.do("POST", conv+"/unread", nil).want(http.StatusOK).decode(&rs)
		if rs.LastReadSeq != 1 || rs.Unread != 1 {
			t.Fatalf("last message unread: %+v", rs)
		}
		caio.do("POST", conv+"/read", map[string]any{"seq": 99}).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.do("POST", conv+"/read", map[string]any{"sequence": 1}).wantError(http.StatusBadRequest, "unknown_field")
		bia.do("POST", conv+"/read", nil).wantError(http.StatusForbidden, "forbidden")
		// Caio's other tabs and devices hear of both marks, nobody else does.
		if n := d.count("SELECT count(*) FROM events WHERE kind = 'read.marked' AND scope = 'user' AND agent_id = $1", caioID); n != 2 {
			t.Fatalf("%d read.marked events for Caio only, want 2", n)
		}
		caio.do("GET", conv, nil).want(http.StatusOK).decode(&det)
		if det.LastReadSeq != 1 || det.Unread != 1 || det.Draft != "Bom dia, Paula! Vou verific" {
			t.Fatalf("Caio's details: %+v", det)
		}

		// Sending drops the sender's draft (not Silvia's) and reads up to it.
		caio.do("POST", conv+"/messages", map[string]string{"body": "Bom dia, Paula! Vou verificar."}).want(http.StatusCreated)
		caio.do("GET", conv+"/draft", nil).want(http.StatusOK).decode(&dr)
		if dr.Body != "" || dr.UpdatedAt != nil {
			t.Fatalf("draft after sending: %+v", dr)
		}
		caio.do("GET", conv, nil).want(http.StatusOK).decode(&det)
		if det.LastReadSeq != 3 || det.Unread != 0 {
			t.Fatalf("after replying: %+v", det)
		}
		silvia.do("GET", conv+"/draft", nil).want(http.StatusOK).decode(&dr)
		if dr.Body != "nota da supervisora" {
			t.Fatalf("Silvia's draft: %+v", dr)
		}
		silvia.do("PUT", conv+"/draft", map[string]string{"body": ""}).want(http.StatusOK).decode(&dr)
		if dr.Body != "" || dr.UpdatedAt != nil || d.count("SELECT count(*) FROM drafts") != 0 {
			t.Fatalf("dropped draft: %+v", dr)
		}
		// The writer's other sessions hear of it.
		if n := d.count("SELECT count(*) FROM events WHERE kind = 'draft.saved'"); n != 4 {
			t.Fatalf("%d draft.saved events, want 4 (two saves, the drop on sending, the emptying)", n)
		}
	})
}
