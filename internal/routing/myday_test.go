package routing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
	"github.com/atende/atende/internal/validate"
)

// An agent's day is read from the conversation events, in São Paulo's
// day: a conversation Ana started and transferred away still counts as
// started by her (and as transferred away), the colleague who closed it
// concluded it, and a conversation held overnight is concluded on the day it
// was closed with all of Ana's time on it.
func TestMyDayCountsFromTheEventsInSaoPaulosDay(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		w := newWorld(t, db, s)
		suporte := w.department("Suporte", s)
		ana, bruno := w.agent("Ana"), w.agent("Bruno")
		// The world starts at 08:00 UTC on 23 November: 05:00 in São Paulo.
		w.ready(ana)
		c1 := w.writes("+5511900000101", "oi").ConversationID // 05:00, Ana
		w.advance(10 * time.Minute)
		w.must(w.engine.Close(w.ctx, ana, c1, routing.CloseInput{})) // 05:10
		w.advance(50 * time.Minute)
		c2 := w.writes("+5511900000102", "oi").ConversationID // 06:00, Ana
		w.advance(20 * time.Minute)
		w.ready(bruno)
		w.must(w.engine.TransferToAgent(w.ctx, ana, c2, bruno.UserID, "")) // 06:20
		w.advance(30 * time.Minute)
		w.must(w.engine.Close(w.ctx, bruno, c2, routing.CloseInput{})) // 06:50, by Bruno
		w.must(w.engine.SetPresence(w.ctx, bruno, routing.NotReady, 0))
		w.advance(10 * time.Minute)
		c3 := w.writes("+5511900000103", "oi").ConversationID // 07:00, Ana, held overnight
		w.advance(30 * time.Minute)
		c4 := w.writes("+5511900000104", "oi").ConversationID // 07:30, Ana
		w.wantWith(c4, conversation.Active, ana)
		w.advance(10 * time.Minute)
		w.must(w.engine.TransferToDepartment(w.ctx, ana, c4, suporte, "")) // 07:40

		hours := func(d routing.Day, pick func(routing.HourCounts) int) map[int]int {
			out := map[int]int{}
			for _, h := range d.ByHour {
				if n := pick(h); n > 0 {
					out[h.Hour] = n
				}
			}
			return out
		}
		started := func(h routing.HourCounts) int { return h.Started }
		concluded := func(h routing.HourCounts) int { return h.Concluded }
		transferred := func(h routing.HourCounts) int { return h.TransferredAway }
		same := func(what string, got, want map[int]int) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s by hour: %v, want %v", what, got, want)
				return
			}
			for h, n := range want {
				if got[h] != n {
					t.Errorf("%s by hour: %v, want %v", what, got, want)
					return
				}
			}
		}

		day, err := w.engine.MyDay(w.ctx, ana, "")
		w.must(err)
		if day.Date != "2026-11-23" || day.TimeZone != "America/Sao_Paulo" || len(day.ByHour) != 24 {
			t.Fatalf("Ana's today: %+v", day)
		}
		// c1 (10 min), c2 (20 min, transferred) and c4 (10 min, to Suporte)
		// left her; c3 is still hers.
		if day.Started != 4 || day.Received != 0 || day.Concluded != 1 || day.TransferredAway != 2 || day.Handled != 3 || day.AverageHandling != 40*60/3 {
			t.Fatalf("Ana's day: %+v", day)
		}
		same("Ana's started", hours(day, started), map[int]int{5: 1, 6: 1, 7: 2})
		same("Ana's concluded", hours(day, concluded), map[int]int{5: 1})
		same("Ana's transfers", hours(day, transferred), map[int]int{6: 1, 7: 1})

		day, err = w.engine.MyDay(w.ctx, bruno, "")
		w.must(err)
		if day.Started != 0 || day.Received != 1 || day.Concluded != 1 || day.TransferredAway != 0 || day.Handled != 1 || day.AverageHandling != 30*60 {
			t.Fatalf("Bruno's day: %+v", day)
		}
		same("Bruno's concluded", hours(day, concluded), map[int]int{6: 1})

		// 01:00 the next day in São Paulo (04:00 UTC): Ana closes c3, which
		// she held for 18 hours.
		w.advance(17*time.Hour + 20*time.Minute)
		w.must(w.engine.Close(w.ctx, ana, c3, routing.CloseInput{}))
		day, err = w.engine.MyDay(w.ctx, ana, "")
		w.must(err)
		if day.Date != "2026-11-24" || day.Started != 0 || day.Concluded != 1 || day.Handled != 1 || day.AverageHandling != 18*3600 {
			t.Fatalf("Ana's next day: %+v", day)
		}
		same("Ana's concluded the next day", hours(day, concluded), map[int]int{1: 1})
		before, err := w.engine.MyDay(w.ctx, ana, "2026-11-23")
		w.must(err)
		if before.Started != 4 || before.Concluded != 1 || before.Handled != 3 {
			t.Fatalf("Ana's day before, asked by date: %+v", before)
		}
		if none, err := w.engine.MyDay(w.ctx, ana, "2026-11-22"); err != nil || none.Started+none.Concluded+none.Handled != 0 {
			t.Fatalf("a day without work: %+v, %v", none, err)
		}

		// The admin, who served nothing, has an empty day; dates are checked.
		if day, err := w.engine.MyDay(w.ctx, w.admin, ""); err != nil || day.Started+day.Received+day.Concluded+day.TransferredAway+day.Handled != 0 {
			t.Fatalf("the admin's day: %+v, %v", day, err)
		}
		for _, bad := range []string{"2026-11-25", "24/11/2026", "2026-13-01"} {
			var invalid *validate.Error
			if _, err := w.engine.MyDay(w.ctx, ana, bad); !errors.As(err, &invalid) || invalid.Field != "date" {
				t.Errorf("date %q: %v", bad, err)
			}
		}
	})
}
