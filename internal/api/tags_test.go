package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// The tag catalogue: administrators and supervisors create, rename and
// remove tags; a rename follows the tag onto every conversation carrying it
// (finished ones too) and a removal takes it off them; a name the account
// has already is refused on the field; agents only read it (and add words
// by tagging); everything is audited and announced.
func TestTheTagCatalogueIsAdministered(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		silviaID, silvia := d.staff("acme", "Silvia", "supervisor")
		_, otto := d.staff("other", "Otto", "admin")
		account := d.accountOf(anaID)
		s := offerRouting
		s.OfferMode = routing.DirectMode
		vendas := d.department(ana, "Vendas", s, caioID, silviaID)
		ch := d.channel(account, vendas, "WhatsApp")
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		done := d.writes(ch, "+5511900000201", "Alice", "oi").ConversationID
		open := d.writes(ch, "+5511900000202", "Bruno", "oi").ConversationID
		tag := func(id int64, tag string) {
			t.Helper()
			caio.do("PUT", "/api/v1/conversations/"+itoa(id)+"/tags/"+url.PathEscape(tag), nil).want(http.StatusNoContent)
		}
		tag(done, "VIP")
		tag(open, "vip")
		tag(open, "urgente")
		caio.do("POST", "/api/v1/conversations/"+itoa(done)+"/close", map[string]any{}).want(http.StatusNoContent)

		type tagView struct {
			ID            int64
			Tag           string
			Conversations int
		}
		catalogue := func() []tagView {
			t.Helper()
			var c struct{ Tags []tagView }
			caio.do("GET", "/api/v1/tags", nil).want(http.StatusOK).decode(&c)
			return c.Tags
		}
		byName := func(name string) tagView {
			t.Helper()
			for _, tv := range catalogue() {
				if tv.Tag == name {
					return tv
				}
			}
			t.Fatalf("no tag %q in %+v", name, catalogue())
			return tagView{}
		}
		tagsOf := func(id int64) []string {
			t.Helper()
			var c conversationView
			ana.do("GET", "/api/v1/conversations/"+itoa(id), nil).want(http.StatusOK).decode(&c)
			return c.Tags
		}
		finishedWith := func(tag string) int {
			t.Helper()
			var page struct{ Conversations []conversationView }
			ana.do("GET", "/api/v1/conversations/finished?tag="+url.QueryEscape(tag), nil).want(http.StatusOK).decode(&page)
			return len(page.Conversations)
		}
		vip, urgente := byName("vip"), byName("urgente")
		if vip.Conversations != 2 || urgente.Conversations != 1 {
			t.Fatalf("tags from tagging: %+v", catalogue())
		}

		// Agents read it and nothing more.
		caio.do("POST", "/api/v1/tags", map[string]any{"tag": "minha"}).wantError(http.StatusForbidden, "forbidden")
		caio.do("PATCH", "/api/v1/tags/"+itoa(vip.ID), map[string]any{"tag": "minha"}).wantError(http.StatusForbidden, "forbidden")
		caio.do("DELETE", "/api/v1/tags/"+itoa(vip.ID), nil).wantError(http.StatusForbidden, "forbidden")

		// A supervisor adds one; names are trimmed and lower-cased, and one
		// the account has already is refused on the field.
		var reclamacao tagView
		silvia.do("POST", "/api/v1/tags", map[string]any{"tag": "  Reclamação "}).want(http.StatusCreated).decode(&reclamacao)
		if reclamacao.ID == 0 || reclamacao.Tag != "reclamação" || reclamacao.Conversations != 0 {
			t.Fatalf("created %+v", reclamacao)
		}
		res := silvia.do("POST", "/api/v1/tags", map[string]any{"tag": "VIP"}).wantError(http.StatusUnprocessableEntity, "invalid")
		if !strings.Contains(string(res.body), `"field":"tag"`) {
			t.Fatalf("a taken name: %s", res.body)
		}
		ana.do("POST", "/api/v1/tags", map[string]any{"tag": " "}).wantError(http.StatusUnprocessableEntity, "invalid")
		ana.do("POST", "/api/v1/tags", map[string]any{"tag": strings.Repeat("x", 51)}).wantError(http.StatusUnprocessableEntity, "invalid")
		ana.do("POST", "/api/v1/tags", map[string]any{"name": "x"}).wantError(http.StatusBadRequest, "unknown_field")

		// Renaming follows the tag onto its conversations, finished ones too.
		var renamed tagView
		ana.do("PATCH", "/api/v1/tags/"+itoa(vip.ID), map[string]any{"tag": "Cliente VIP"}).want(http.StatusOK).decode(&renamed)
		if renamed != (tagView{ID: vip.ID, Tag: "cliente vip", Conversations: 2}) {
			t.Fatalf("renamed %+v", renamed)
		}
		if got := tagsOf(open); !slices.Equal(got, []string{"cliente vip", "urgente"}) {
			t.Fatalf("the open conversation's tags: %v", got)
		}
		if got := tagsOf(done); !slices.Equal(got, []string{"cliente vip"}) {
			t.Fatalf("the finished conversation's tags: %v", got)
		}
		if finishedWith("cliente vip") != 1 || finishedWith("vip") != 0 {
			t.Fatal("the finished filter does not follow the rename")
		}
		res = silvia.do("PATCH", "/api/v1/tags/"+itoa(urgente.ID), map[string]any{"tag": "cliente vip"}).wantError(http.StatusUnprocessableEntity, "invalid")
		if !strings.Contains(string(res.body), `"field":"tag"`) {
			t.Fatalf("renaming onto another tag: %s", res.body)
		}
		ana.do("PATCH", "/api/v1/tags/"+itoa(vip.ID), map[string]any{"tag": "cliente vip"}).want(http.StatusOK) // unchanged
		ana.do("PATCH", "/api/v1/tags/"+itoa(vip.ID), map[string]any{"tag": ""}).wantError(http.StatusUnprocessableEntity, "invalid")
		if got := tagsOf(open); !slices.Equal(got, []string{"cliente vip", "urgente"}) {
			t.Fatalf("refused renames changed the tags: %v", got)
		}

		// Another account's tag does not exist for Otto.
		missing := otto.do("GET", "/api/v1/conversations/99999999", nil).wantError(http.StatusNotFound, "not_found")
		for _, r := range []*response{
			otto.do("PATCH", "/api/v1/tags/"+itoa(vip.ID), map[string]any{"tag": "deles"}),
			otto.do("DELETE", "/api/v1/tags/"+itoa(vip.ID), nil),
		} {
			if r.status != http.StatusNotFound || string(r.body) != string(missing.body) {
				t.Fatalf("another account's tag: %d %s", r.status, r.body)
			}
		}
		var others struct{ Tags []tagView }
		otto.do("GET", "/api/v1/tags", nil).want(http.StatusOK).decode(&others)
		if len(others.Tags) != 0 {
			t.Fatalf("Otto sees %+v", others.Tags)
		}

		// Removing a tag takes it off its conversations.
		silvia.do("DELETE", "/api/v1/tags/"+itoa(urgente.ID), nil).want(http.StatusNoContent)
		silvia.do("DELETE", "/api/v1/tags/"+itoa(urgente.ID), nil).wantError(http.StatusNotFound, "not_found")
		if got := tagsOf(open); !slices.Equal(got, []string{"cliente vip"}) {
			t.Fatalf("tags after removing urgente: %v", got)
		}
		var names []string
		for _, tv := range catalogue() {
			names = append(names, tv.Tag)
		}
		if !slices.Equal(names, []string{"cliente vip", "reclamação"}) {
			t.Fatalf("the catalogue at the end: %v", names)
		}
		// Tagging with a word the catalogue lost brings it back.
		tag(open, "urgente")
		if byName("urgente").Conversations != 1 {
			t.Fatal("tagging did not add the word to the catalogue")
		}

		var log struct{ Entries []struct{ Action string } }
		ana.do("GET", "/api/v1/audit-log?limit=200", nil).want(http.StatusOK).decode(&log)
		var audited []string
		for _, e := range log.Entries {
			if strings.HasPrefix(e.Action, "tag.") {
				audited = append(audited, e.Action)
			}
		}
		if strings.Join(audited, ",") != "tag.delete,tag.rename,tag.create" {
			t.Fatalf("audited tag changes (newest first): %v", audited)
		}
		if n := d.count("SELECT count(*) FROM events WHERE account_id = $1 AND kind = 'tag.changed' AND scope = 'account'", account); n != 3 {
			t.Fatalf("%d tag.changed events, want 3", n)
		}
	})
}
