package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

type queuePage struct {
	Conversations []conversationView
	NextCursor    string `json:"next_cursor"`
}

// walk reads a queue page by page ("show more") and returns the ids in
// order and the page sizes.
func walk(t *testing.T, c *client, path string) (ids []int64, sizes []int) {
	t.Helper()
	cursor := ""
	for range 20 {
		p := path
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		var page queuePage
		c.do("GET", p, nil).want(http.StatusOK).decode(&page)
		sizes = append(sizes, len(page.Conversations))
		for _, cv := range page.Conversations {
			ids = append(ids, cv.ID)
		}
		if page.NextCursor == "" {
			return ids, sizes
		}
		cursor = page.NextCursor
	}
	t.Fatal("the queue never ends")
	return nil, nil
}

func TestQueueCountsFiltersPagesAndPull(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		account := d.accountOf(anaID)
		vendas := d.department(ana, "Vendas", manualRouting, caioID)
		d.department(ana, "Suporte", manualRouting)
		whatsapp := d.channel(account, vendas, "WhatsApp")
		site := d.channel(account, vendas, "Site")

		// 23 customers on WhatsApp and 2 on the site, a minute apart from
		// 09:00.
		var all []int64
		for i := 1; i <= 25; i++ {
			ch, name := whatsapp, fmt.Sprintf("Cliente %02d", i)
			if i > 23 {
				ch = site
			}
			if i == 7 {
				name = "João da Silva"
			}
			r := d.writes(ch, fmt.Sprintf("+55 11 98700-%04d", i), name, "olá")
			all = append(all, r.ConversationID)
			d.clock.Advance(time.Minute)
		}
		_, w := db.SQL()
		if _, err := w.Exec("UPDATE conversations SET subject = $1 WHERE id = $2", "Orçamento de GELADEIRA", all[11]); err != nil {
			t.Fatal(err)
		}

		// Live counts, per channel.
		var qs struct {
			Queues []struct {
				Department struct {
					ID   int64
					Name string
				}
				Queued, Offered int64
				OldestQueuedAt  *time.Time `json:"oldest_queued_at"`
				Channels        []struct {
					Channel *struct{ ID int64 }
					Queued  int64
				}
			}
		}
		caio.do("GET", "/api/v1/queues", nil).want(http.StatusOK).decode(&qs)
		if len(qs.Queues) != 1 || qs.Queues[0].Department.ID != vendas || qs.Queues[0].Queued != 25 || qs.Queues[0].Offered != 0 ||
			len(qs.Queues[0].Channels) != 2 || qs.Queues[0].Channels[0].Channel.ID != whatsapp || qs.Queues[0].Channels[0].Queued != 23 ||
			qs.Queues[0].Channels[1].Queued != 2 || qs.Queues[0].OldestQueuedAt == nil || qs.Queues[0].OldestQueuedAt.Format("15:04") != "09:00" {
			t.Fatalf("Caio's queues: %+v", qs)
		}
		ana.do("GET", "/api/v1/queues", nil).want(http.StatusOK).decode(&qs)
		if len(qs.Queues) != 2 { // the administrator sees every department
			t.Fatalf("Ana's queues: %+v", qs)
		}

		// Pages of ten, oldest first; a customer who writes meanwhile shows
		// up once, at the end.
		queue := "/api/v1/queues/" + itoa(vendas) + "/conversations?"
		var first queuePage
		caio.do("GET", queue, nil).want(http.StatusOK).decode(&first)
		if len(first.Conversations) != 10 || first.NextCursor == "" || first.Conversations[0].ID != all[0] {
			t.Fatalf("first page: %d conversations, cursor %q", len(first.Conversations), first.NextCursor)
		}
		late := d.writes(whatsapp, "+5511987009999", "Atrasado", "oi")
		ids, sizes := walk(t, caio, queue+"order=oldest")
		if !slices.Equal(ids, append(slices.Clone(all), late.ConversationID)) || !slices.Equal(sizes, []int{10, 10, 6}) {
			t.Fatalf("oldest first: %v in pages %v; want %v", ids, sizes, all)
		}
		ids, _ = walk(t, caio, queue+"order=newest")
		want := append(slices.Clone(all), late.ConversationID)
		slices.Reverse(want)
		if !slices.Equal(ids, want) {
			t.Fatalf("newest first: %v", ids)
		}

		// Filters.
		for _, f := range []struct {
			query string
			want  []int64
		}{
			{"channel_id=" + itoa(site), all[23:]},
			{"phone=" + url.QueryEscape("(11) 98700-0012"), all[11:12]},
			{"phone=" + url.QueryEscape("0-0012"), all[11:12]},
			{"contact=joao", all[6:7]},
			{"contact=" + url.QueryEscape("JOÃO DA"), all[6:7]},
			{"subject=geladeira", all[11:12]},
			{"queued_from=2026-11-21T09:20:00Z&channel_id=" + itoa(whatsapp), append(slices.Clone(all[20:23]), late.ConversationID)},
			{"queued_from=2026-11-21T09:03:00Z&queued_to=2026-11-21T09:05:00Z", all[3:5]},
			{"queued_from=2026-11-21&queued_to=2026-11-21&channel_id=" + itoa(site), all[23:]},
			{"queued_to=2026-11-20", nil},
			{"contact=ninguém", nil},
		} {
			ids, _ := walk(t, caio, queue+f.query)
			if !slices.Equal(ids, f.want) {
				t.Errorf("filter %s: %v, want %v", f.query, ids, f.want)
			}
		}

		// Malformed parameters are refused, naming the parameter.
		for _, bad := range []struct {
			query  string
			status int
			field  string
		}{
			{"channel_id=abc", http.StatusBadRequest, "channel_id"},
			{"queued_from=ontem", http.StatusBadRequest, "queued_from"},
			{"order=sideways", http.StatusUnprocessableEntity, "order"},
			{"cursor=bm9wZQ", http.StatusUnprocessableEntity, "cursor"},
			{"phone=abc", http.StatusUnprocessableEntity, "phone"},
			{"queued_from=2026-11-22&queued_to=2026-11-21", http.StatusUnprocessableEntity, "queued_to"},
		} {
			res := caio.do("GET", queue+bad.query, nil)
			if res.status != bad.status || !strings.Contains(string(res.body), `"field":"`+bad.field+`"`) {
				t.Errorf("%s: %d %s; want %d naming %s", bad.query, res.status, res.body, bad.status, bad.field)
			}
		}
		caio.do("GET", "/api/v1/queues/999999/conversations", nil).wantError(http.StatusNotFound, "not_found")

		// Pulling: at work (ready or not ready) with a free slot.
		pull := "/api/v1/conversations/" + itoa(all[0]) + "/pull"
		caio.do("POST", pull, nil).wantError(http.StatusConflict, "agent_unavailable") // offline
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "not_ready"}).want(http.StatusOK)
		caio.do("POST", pull, nil).want(http.StatusNoContent)
		caio.do("POST", pull, nil).wantError(http.StatusConflict, "not_allowed")
		var c conversationView
		caio.do("GET", "/api/v1/conversations/"+itoa(all[0]), nil).want(http.StatusOK).decode(&c)
		if c.Status != "active" || c.Agent == nil || c.Agent.ID != caioID || c.Metrics.QueueWait != 25*60 {
			t.Fatalf("pulled conversation: %+v", c)
		}
		caio.do("GET", "/api/v1/queues", nil).want(http.StatusOK).decode(&qs)
		if qs.Queues[0].Queued != 25 {
			t.Fatalf("after pulling one of 26: %d queued", qs.Queues[0].Queued)
		}
		ids, _ = walk(t, caio, queue+"order=oldest")
		if len(ids) != 25 || ids[0] != all[1] {
			t.Fatalf("queue after pulling: %v", ids)
		}
		d.invariants(account)
	})
}
