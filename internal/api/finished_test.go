package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// Finished conversations: each sees what they may (agents their own,
// supervisors their departments', admins all), with filters and pages; and
// the supervisor's live view of agents.
func TestFinishedConversationsAndTheLiveViewOfAgents(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		biaID, bia := d.staff("acme", "Bia", "agent")
		silviaID, silvia := d.staff("acme", "Silvia", "supervisor")
		_, otto := d.staff("other", "Otto", "admin")
		account := d.accountOf(anaID)
		s := offerRouting
		s.OfferMode = routing.DirectMode
		vendas := d.department(ana, "Vendas", s, caioID, silviaID)
		suporte := d.department(ana, "Suporte", s, biaID)
		chV, chS := d.channelOfKind(account, vendas, "WhatsApp Vendas", "whatsapp"), d.channelOfKind(account, suporte, "Telegram Suporte", "telegram")
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		bia.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		closeBy := func(c *client, id int64) {
			t.Helper()
			c.do("POST", "/api/v1/conversations/"+itoa(id)+"/close", map[string]any{}).want(http.StatusNoContent)
		}

		a := d.writes(chV, "+5511900000001", "Alice", "oi")
		caio.do("PUT", "/api/v1/conversations/"+itoa(a.ConversationID)+"/tags/VIP", nil).want(http.StatusNoContent)
		d.clock.Advance(5 * time.Minute)
		closeBy(caio, a.ConversationID)
		d.clock.Advance(12 * 24 * time.Hour)
		d.signInAgain(ana, caio, bia, silvia, otto)
		b := d.writes(chV, "+5511900000002", "Bruno", "oi")
		c := d.writes(chS, "+5511900000003", "Carla Suporte", "oi")
		d.clock.Advance(time.Minute)
		closeBy(caio, b.ConversationID)
		closeBy(bia, c.ConversationID)
		d.clock.Advance(24 * time.Hour)
		d.signInAgain(ana, caio, bia, silvia, otto)
		dd := d.writes(chV, "+5511900000004", "Dora", "oi")
		_, w := db.SQL()
		if _, err := w.Exec("UPDATE conversations SET out_of_hours = $1 WHERE id = $2", true, dd.ConversationID); err != nil {
			t.Fatal(err)
		}

		// The live view while Caio serves Dora.
		type live struct {
			ID          int64
			Presence    string
			Load        int
			Serving     int
			Capacity    int
			PauseReason *struct{ Name string } `json:"pause_reason"`
		}
		var view struct{ Agents []live }
		silvia.do("GET", "/api/v1/agents", nil).want(http.StatusOK).decode(&view)
		if len(view.Agents) != 2 || view.Agents[0].ID != caioID || view.Agents[0].Presence != "ready" ||
			view.Agents[0].Serving != 1 || view.Agents[0].Load != 1 || view.Agents[0].Capacity != 5 || view.Agents[1].ID != silviaID {
			t.Fatalf("Silvia's view: %+v", view.Agents)
		}
		ana.do("GET", "/api/v1/agents", nil).want(http.StatusOK).decode(&view)
		if len(view.Agents) != 4 {
			t.Fatalf("Ana's view: %+v", view.Agents)
		}
		ana.do("GET", "/api/v1/agents?department_id="+itoa(suporte), nil).want(http.StatusOK).decode(&view)
		if len(view.Agents) != 1 || view.Agents[0].ID != biaID {
			t.Fatalf("Suporte's agents: %+v", view.Agents)
		}
		caio.do("GET", "/api/v1/agents", nil).wantError(http.StatusForbidden, "forbidden")
		silvia.do("GET", "/api/v1/agents?department_id="+itoa(suporte), nil).wantError(http.StatusForbidden, "forbidden")
		otto.do("GET", "/api/v1/agents?department_id="+itoa(vendas), nil).wantError(http.StatusNotFound, "not_found")
		otto.do("GET", "/api/v1/agents", nil).want(http.StatusOK).decode(&view)
		if len(view.Agents) != 1 {
			t.Fatalf("another account sees %+v", view.Agents)
		}

		d.clock.Advance(time.Minute)
		closeBy(caio, dd.ConversationID)

		finished := func(cl *client, query string) []int64 {
			t.Helper()
			var ids []int64
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
					if cv.Status != "closed" {
						t.Fatalf("%s lists a %s conversation", query, cv.Status)
					}
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
		A, B, C, D := a.ConversationID, b.ConversationID, c.ConversationID, dd.ConversationID
		var protoA conversationView
		caio.do("GET", "/api/v1/conversations/"+itoa(A), nil).want(http.StatusOK).decode(&protoA)
		for _, tc := range []struct {
			who   string
			cl    *client
			query string
			want  []int64
		}{
			{"Caio", caio, "", []int64{D, B, A}},
			{"Bia", bia, "", []int64{C}},
			{"Silvia", silvia, "", []int64{D, B, A}},
			{"Ana", ana, "", []int64{D, C, B, A}},
			{"Ana", ana, "limit=1", []int64{D, C, B, A}},
			{"Ana", ana, "period=today", []int64{D}},
			{"Ana", ana, "period=last_10_days", []int64{D, C, B}},
			{"Ana", ana, "period=last_30_days", []int64{D, C, B, A}},
			{"Ana", ana, "closed_from=2026-11-21&closed_to=2026-11-21", []int64{A}},
			{"Ana", ana, "tag=vip", []int64{A}},
			{"Ana", ana, "out_of_hours=true", []int64{D}},
			{"Ana", ana, "out_of_hours=false", []int64{C, B, A}},
			{"Ana", ana, "protocol=" + protoA.Protocol, []int64{A}},
			{"Ana", ana, "contact=carla", []int64{C}},
			{"Ana", ana, "department_id=" + itoa(suporte), []int64{C}},
			{"Ana", ana, "channel_id=" + itoa(chV) + "&agent_id=" + itoa(caioID), []int64{D, B, A}},
			{"Ana", ana, "channel_kind=whatsapp", []int64{D, B, A}},
			{"Ana", ana, "channel_kind=telegram&period=last_10_days", []int64{C}},
			{"Ana", ana, "channel_kind=email", nil},
			{"Ana", ana, "channel_kind=in_person", nil},
			{"Bia", bia, "channel_kind=telegram", []int64{C}},
			{"Bia", bia, "channel_kind=whatsapp", nil},
			{"Caio", caio, "channel_kind=telegram", nil},
			{"Ana", ana, "status=abandoned", nil},
			{"Caio", caio, "department_id=" + itoa(suporte), nil},
			{"Otto", otto, "", nil},
		} {
			if got := finished(tc.cl, tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("%s, %q: %v, want %v", tc.who, tc.query, got, tc.want)
			}
		}
		ana.do("GET", "/api/v1/conversations/finished?status=open", nil).wantError(http.StatusUnprocessableEntity, "invalid")
		ana.do("GET", "/api/v1/conversations/finished?period=today&closed_from=2026-11-21", nil).wantError(http.StatusUnprocessableEntity, "invalid")
		ana.do("GET", "/api/v1/conversations/finished?period=yesterday", nil).wantError(http.StatusUnprocessableEntity, "invalid")
		ana.do("GET", "/api/v1/conversations/finished?out_of_hours=maybe", nil).wantError(http.StatusBadRequest, "invalid_query")
		ana.do("GET", "/api/v1/conversations/finished?limit="+strconv.Itoa(1000), nil).wantError(http.StatusBadRequest, "invalid_query")
		ana.do("GET", "/api/v1/conversations/finished?cursor=zzz", nil).wantError(http.StatusUnprocessableEntity, "invalid")
		if res := ana.do("GET", "/api/v1/conversations/finished?channel_kind=fax", nil).wantError(http.StatusUnprocessableEntity, "invalid"); !strings.Contains(string(res.body), `"field":"channel_kind"`) {
			t.Fatalf("an unknown channel kind: %s", res.body)
		}
	})
}
