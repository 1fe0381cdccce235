package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/atende/atende/internal/channel/webchat"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// Every route in the OpenAPI document, walked with another account's items
// (404, byte for byte the answer for a missing item, and nothing changes)
// and, for what belongs to a department or a conversation, as an agent of
// another department (403 or 404). Lists never show another account's data,
// and never another department's conversations.
func TestEveryDocumentedRouteKeepsToItsAccountAndDepartment(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		biaID, bia := d.staff("acme", "Bia", "agent")
		silviaID, _ := d.staff("acme", "Silvia", "supervisor")
		ottoID, otto := d.staff("other", "Otto", "admin")
		s := offerRouting
		s.OfferMode = routing.DirectMode
		vendas := d.department(ana, "Vendas-ACME", s, caioID, silviaID)
		d.department(ana, "Suporte-ACME", s, biaID)
		ch := d.channel(d.accountOf(anaID), vendas, "WhatsApp-ACME")
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		r := d.writes(ch, "+5511977776666", "Zé Marcador", "segredo-do-cliente")
		conv := "/api/v1/conversations/" + itoa(r.ConversationID)
		caio.do("PUT", conv+"/tags/marcador", nil).want(http.StatusNoContent)
		caio.do("POST", conv+"/notes", map[string]string{"body": "nota-secreta-ACME"}).want(http.StatusCreated)
		var file attachmentView
		caio.upload(conv+"/attachments", "file", "segredo-do-cliente.png", pngBytes).want(http.StatusCreated).decode(&file)
		caio.do("POST", conv+"/messages", map[string]any{"attachment_ids": []string{file.ID}}).want(http.StatusCreated)
		var c conversationView
		caio.do("GET", conv, nil).want(http.StatusOK).decode(&c)
		var catalogue struct{ Tags []struct{ ID int64 } }
		caio.do("GET", "/api/v1/tags", nil).want(http.StatusOK).decode(&catalogue)
		if len(catalogue.Tags) != 1 {
			t.Fatalf("the tag catalogue: %+v", catalogue)
		}
		var token, pause, reason, canned struct{ ID int64 }
		ana.do("POST", "/api/v1/tokens", map[string]string{"name": "token-ACME"}).want(http.StatusCreated).decode(&token)
		ana.do("POST", "/api/v1/pause-reasons", map[string]string{"name": "Pausa-ACME"}).want(http.StatusCreated).decode(&pause)
		ana.do("POST", "/api/v1/close-reasons", map[string]any{"name": "Motivo-ACME", "department_id": vendas}).want(http.StatusCreated).decode(&reason)
		ana.do("POST", "/api/v1/canned-responses", map[string]any{"scope": "department", "department_id": vendas, "shortcut": "acme", "body": "texto-ACME"}).
			want(http.StatusCreated).decode(&canned)
		ana.do("PUT", "/api/v1/bindings/"+itoa(vendas)+"/"+itoa(r.ContactID), map[string]any{"agent_id": caioID}).want(http.StatusNoContent)
		var site struct{ ID int64 }
		ana.do("POST", "/api/v1/webchat/channels", map[string]any{"name": "Site-ACME", "department_id": vendas,
			"allowed_origins": []string{"https://acme.example"}}).want(http.StatusCreated).decode(&site)
		visitor, err := d.db.Write().CreateVisitor(context.Background(), store.CreateVisitorParams{AccountID: d.accountOf(anaID),
			ChannelID: site.ID, VisitorKey: webchat.NewVisitorKey(), Now: d.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		var ottoContact struct{ ID int64 }
		otto.do("POST", "/api/v1/contacts", map[string]any{"name": "Contato do Otto"}).want(http.StatusCreated).decode(&ottoContact)
		// What must never leak: to another account, any of it; to another
		// department, the conversation's content.
		accountMarkers := []string{"ACME", "Marcador", "segredo-do-cliente", c.Protocol, "caio.", "ana."}
		conversationMarkers := []string{"segredo-do-cliente", "nota-secreta-ACME", c.Protocol}

		var doc struct {
			Paths map[string]map[string]struct {
				OperationID string `json:"operationId"`
				Security    *[]any `json:"security"`
			} `json:"paths"`
		}
		caio.do("GET", "/api/v1/openapi.json", nil).want(http.StatusOK).decode(&doc)
		ids := map[string]int64{
			"/users/{id}": caioID, "/departments/{id}": vendas, "/tokens/{id}": token.ID, "/pause-reasons/{id}": pause.ID,
			"/close-reasons/{id}": reason.ID, "/conversations/{id}": r.ConversationID, "/contacts/{id}": r.ContactID,
			"/canned-responses/{id}": canned.ID, "/channels/{id}": site.ID, "/visitors/{id}": visitor.ID, "/tags/{id}": catalogue.Tags[0].ID, "{user_id}": caioID, "{department_id}": vendas, "{contact_id}": r.ContactID,
		}
		param := regexp.MustCompile(`\{[a-z_]+\}`)
		fill := func(path string) (string, bool) {
			ok := true
			out := param.ReplaceAllStringFunc(path, func(p string) string {
				if p == "{tag}" {
					return "marcador"
				}
				if strings.HasSuffix(path, "/attachments/{id}") {
					return file.ID
				}
				if id, found := ids[p]; found {
					return itoa(id)
				}
				for prefix, id := range ids {
					if strings.HasPrefix(prefix, "/") && strings.HasSuffix(path[:strings.Index(path, p)+len(p)], prefix) {
						return itoa(id)
					}
				}
				ok = false
				return p
			})
			return out, ok
		}
		settings := offerRouting
		bodies := map[string]any{
			"updateUser": map[string]any{"name": "Hacked"}, "updateDepartment": map[string]any{"name": "Hacked"},
			"updatePauseReason": map[string]any{"name": "Hacked"}, "updateCloseReason": map[string]any{"name": "Hacked"},
			"sendMessage": map[string]any{"body": "intruso"}, "addNote": map[string]any{"body": "intruso"},
			"saveDraft": map[string]any{"body": "intruso"}, "transferConversation": map[string]any{"agent_id": ottoID},
			"closeConversation": map[string]any{}, "setConversationContact": map[string]any{"contact_id": ottoContact.ID},
			"updateCannedResponse": map[string]any{"body": "intruso"}, "updateContact": map[string]any{"name": "Hacked"},
			"mergeContact": map[string]any{"merge_id": ottoContact.ID}, "setBinding": map[string]any{"agent_id": ottoID},
			"setDepartmentRouting": settings, "setUserRouting": map[string]any{"capacity": 3, "auto_distribution": true},
			"updateWebchatChannel": map[string]any{"name": "Hacked"}, "inviteVisitor": map[string]any{"message": "intruso"},
			"renameTag": map[string]any{"tag": "hacked"},
			"addTag":    nil, "addDepartmentMember": nil, // no body
		}
		type route struct{ method, path, op string }
		var routes []route
		for path, ops := range doc.Paths {
			for method, op := range ops {
				if op.Security != nil && len(*op.Security) == 0 {
					continue // public
				}
				routes = append(routes, route{strings.ToUpper(method), path, op.OperationID})
			}
		}
		sort.Slice(routes, func(i, j int) bool { return routes[i].path+routes[i].method < routes[j].path+routes[j].method })
		missing := otto.do("GET", "/api/v1/conversations/99999999", nil).wantError(http.StatusNotFound, "not_found")

		walked := 0
		for _, rt := range routes {
			switch {
			case rt.path == "/api/v1/ws" || rt.path == "/api/v1/auth/logout":
				continue // the event stream has its own tests; logging out ends the walker's session
			case !strings.Contains(rt.path, "{"):
				if rt.method != "GET" {
					continue // creates in the caller's own account
				}
				for who, cl := range map[string]*client{"another account": otto, "an agent of another department": bia} {
					markers := accountMarkers
					if cl == bia {
						markers = conversationMarkers
					}
					res := cl.do("GET", rt.path, nil)
					for _, m := range markers {
						if bytes.Contains(res.body, []byte(m)) {
							t.Errorf("GET %s as %s shows %q: %s", rt.path, who, m, res.body)
						}
					}
				}
				continue
			}
			path, ok := fill(rt.path)
			if !ok {
				t.Errorf("%s %s: the walk does not know an item for its parameters; teach it", rt.method, rt.path)
				continue
			}
			var body any
			if rt.method != "GET" && rt.method != "DELETE" {
				b, known := bodies[rt.op]
				if !known && rt.method != "POST" {
					t.Errorf("%s %s (%s): the walk has no request body for it; teach it", rt.method, rt.path, rt.op)
					continue
				}
				body = b
			}
			walked++
			res := otto.do(rt.method, path, body)
			if res.status != http.StatusNotFound || !bytes.Equal(res.body, missing.body) {
				t.Errorf("%s %s as another account: %d %s; want exactly %s", rt.method, path, res.status, res.body, missing.body)
			}
			departmental := strings.HasPrefix(rt.path, "/api/v1/conversations/") || strings.HasPrefix(rt.path, "/api/v1/queues/") ||
				strings.HasPrefix(rt.path, "/api/v1/canned-responses/") || strings.HasPrefix(rt.path, "/api/v1/bindings/") ||
				strings.HasPrefix(rt.path, "/api/v1/webchat/") || strings.HasPrefix(rt.path, "/api/v1/visitors/") ||
				strings.HasPrefix(rt.path, "/api/v1/tags/") || rt.path == "/api/v1/users/{id}/routing" ||
				(rt.method != "GET" && (strings.HasPrefix(rt.path, "/api/v1/departments/") || strings.HasPrefix(rt.path, "/api/v1/users/") ||
					strings.HasPrefix(rt.path, "/api/v1/pause-reasons/") || strings.HasPrefix(rt.path, "/api/v1/close-reasons/") ||
					strings.HasPrefix(rt.path, "/api/v1/tokens/")))
			if !departmental {
				continue // the account's contacts, users and departments are everybody's to read (and contacts to edit)
			}
			res = bia.do(rt.method, path, body)
			if res.status != http.StatusForbidden && res.status != http.StatusNotFound {
				t.Errorf("%s %s as an agent of another department: %d %s; want 403 or 404", rt.method, path, res.status, res.body)
			}
		}
		if walked < 40 {
			t.Fatalf("walked only %d routes with items", walked)
		}

		// Nothing changed for Acme.
		var after conversationView
		caio.do("GET", conv, nil).want(http.StatusOK).decode(&after)
		if after.Status != "active" || after.Agent == nil || after.Agent.ID != caioID || after.Contact.ID != r.ContactID ||
			len(after.Tags) != 1 || after.Department.ID != vendas {
			t.Fatalf("the conversation after the walk: %+v", after)
		}
		var msgs struct{ Messages []messageView }
		caio.do("GET", conv+"/messages", nil).want(http.StatusOK).decode(&msgs)
		if len(msgs.Messages) != 3 {
			t.Fatalf("messages after the walk: %+v", msgs)
		}
		var u struct{ Name string }
		ana.do("GET", "/api/v1/users/"+itoa(caioID), nil).want(http.StatusOK).decode(&u)
		var rs routing.Settings
		ana.do("GET", "/api/v1/departments/"+itoa(vendas)+"/routing", nil).want(http.StatusOK).decode(&rs)
		var contact struct{ Name string }
		ana.do("GET", "/api/v1/contacts/"+itoa(r.ContactID), nil).want(http.StatusOK).decode(&contact)
		if u.Name != "Caio" || rs != s || contact.Name != "Zé Marcador" {
			t.Fatalf("after the walk: user %q, routing %+v, contact %q", u.Name, rs, contact.Name)
		}
		var b struct{ Bindings []json.RawMessage }
		ana.do("GET", "/api/v1/bindings", nil).want(http.StatusOK).decode(&b)
		if len(b.Bindings) != 1 {
			t.Fatalf("bindings after the walk: %d", len(b.Bindings))
		}
		var tags struct {
			Tags []struct {
				Tag           string
				Conversations int
			}
		}
		ana.do("GET", "/api/v1/tags", nil).want(http.StatusOK).decode(&tags)
		if len(tags.Tags) != 1 || tags.Tags[0].Tag != "marcador" || tags.Tags[0].Conversations != 1 {
			t.Fatalf("tags after the walk: %+v", tags)
		}
		d.invariants(d.accountOf(anaID))
	})
}
