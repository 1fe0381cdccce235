package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// Full-text search over messages: q on finished conversations, content on
// a queue. Words match whatever their case and accents; what the words are
// wrapped in is never query syntax; text with nothing to look for, or
// longer than 200 bytes, answers 422 naming the parameter.
func TestSearchingMessagesOfFinishedConversationsAndQueues(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		biaID, bia := d.staff("acme", "Bia", "agent")
		_, otto := d.staff("other", "Otto", "admin")
		account := d.accountOf(anaID)
		direct := offerRouting
		direct.OfferMode = routing.DirectMode
		vendas := d.department(ana, "Vendas", direct, caioID)
		suporte := d.department(ana, "Suporte", direct, biaID)
		chV, chS := d.channel(account, vendas, "WhatsApp Vendas"), d.channel(account, suporte, "WhatsApp Suporte")
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		bia.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)

		a := d.writes(chV, "+5511900000001", "Alice", "Minha GELADEIRA parou de gelar").ConversationID
		conv := "/api/v1/conversations/" + itoa(a)
		caio.do("POST", conv+"/messages", map[string]any{"body": "Vamos trocar o compressor amanhã"}).want(http.StatusCreated)
		caio.do("POST", conv+"/notes", map[string]any{"body": "Cliente VIP, não cobrar a visita"}).want(http.StatusCreated)
		d.clock.Advance(time.Minute)
		caio.do("POST", conv+"/close", map[string]any{}).want(http.StatusNoContent)
		b := d.writes(chS, "+5511900000002", "Bruno", "Geladeira nova não liga").ConversationID
		d.clock.Advance(time.Minute)
		bia.do("POST", "/api/v1/conversations/"+itoa(b)+"/close", map[string]any{}).want(http.StatusNoContent)

		finished := func(cl *client, query string) []int64 {
			t.Helper()
			ids := []int64{}
			cursor := ""
			for range 10 {
				p := "/api/v1/conversations/finished?" + query
				if cursor != "" {
					p += "&cursor=" + url.QueryEscape(cursor)
				}
				var page struct {
					Conversations []conversationView
					NextCursor    string `json:"next_cursor"`
				}
				cl.do("GET", p, nil).want(http.StatusOK).decode(&page)
				for _, cv := range page.Conversations {
					ids = append(ids, cv.ID)
				}
				if page.NextCursor == "" {
					return ids
				}
				cursor = page.NextCursor
			}
			t.Fatal("no last page")
			return nil
		}
		for _, tc := range []struct {
			who   string
			cl    *client
			query string
			want  []int64
		}{
			{"Ana", ana, "q=geladeira", []int64{b, a}},
			{"Ana", ana, "q=geladeira&limit=1", []int64{b, a}},
			{"Ana", ana, "q=" + url.QueryEscape("Compressor AMANHA"), []int64{a}}, // Caio's reply
			{"Ana", ana, "q=" + url.QueryEscape("nao cobrar"), []int64{a}},        // Caio's note
			{"Ana", ana, "q=" + url.QueryEscape(`"geladeira" NEAR(liga`), []int64{}},
			{"Ana", ana, "q=" + url.QueryEscape(`"geladeira*" (liga)`), []int64{b}},
			{"Ana", ana, "q=geladeira&department_id=" + itoa(vendas), []int64{a}},
			{"Ana", ana, "q=+&contact=bruno", []int64{b}},
			{"Caio", caio, "q=geladeira", []int64{a}},
			{"Bia", bia, "q=geladeira", []int64{b}},
			{"Bia", bia, "q=compressor", []int64{}},
			{"Otto", otto, "q=geladeira", []int64{}},
		} {
			if got := finished(tc.cl, tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("%s, %q: %v, want %v", tc.who, tc.query, got, tc.want)
			}
		}
		wantField := func(r *response, field string) {
			t.Helper()
			r.wantError(http.StatusUnprocessableEntity, "invalid")
			if !strings.Contains(string(r.body), `"field":"`+field+`"`) {
				t.Fatalf("%s names no field %s", r.body, field)
			}
		}
		wantField(ana.do("GET", "/api/v1/conversations/finished?q="+url.QueryEscape(`"*()`), nil), "q")
		wantField(ana.do("GET", "/api/v1/conversations/finished?q="+strings.Repeat("a", 201), nil), "q")

		// The queue's content filter, on a department where conversations wait.
		fila := d.department(ana, "Fila", manualRouting, caioID)
		chF := d.channel(account, fila, "E-mail")
		n1 := d.writes(chF, "+5511900000011", "Nina", "Segue a nota fiscal nº 1234 em anexo").ConversationID
		d.writes(chF, "+5511900000012", "Otávio", "Quero um orçamento")
		n3 := d.writes(chF, "+5511900000013", "Paula", "Não recebi a NOTA FISCAL").ConversationID
		queue := "/api/v1/queues/" + itoa(fila) + "/conversations?"
		for _, tc := range []struct {
			query string
			want  []int64
		}{
			{"content=" + url.QueryEscape("nota fiscal"), []int64{n1, n3}},
			{"content=" + url.QueryEscape("nota fiscal") + "&order=newest", []int64{n3, n1}},
			{"content=1234", []int64{n1}},
			{"content=" + url.QueryEscape("fiscal nao recebi"), []int64{n3}},
			{"content=geladeira", nil},
		} {
			if got, _ := walk(t, caio, queue+tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("queue, %q: %v, want %v", tc.query, got, tc.want)
			}
		}
		wantField(caio.do("GET", queue+"content="+url.QueryEscape("'*'"), nil), "content")
		wantField(caio.do("GET", queue+"content="+strings.Repeat("x", 201), nil), "content")
	})
}
