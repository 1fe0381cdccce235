package routing

import (
	"context"
	"fmt"
	"time"
	// The zone database goes into the binary: a server without
	// /usr/share/zoneinfo (a scratch container) still knows what "today"
	// is in São Paulo.
	_ "time/tzdata"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// DefaultTimeZone is where an agent's day starts and ends: accounts have no
// time zone setting of their own yet, and Atende's users are Brazilian
// companies first. Options.Location overrides it.
const DefaultTimeZone = "America/Sao_Paulo"

// Day is an agent's day in numbers ("Resumo de meus atendimentos no dia"),
// read from the conversation events, so a conversation transferred away
// still counts for the agent who started it.
type Day struct {
	// Date is the day (YYYY-MM-DD) in TimeZone, from its midnight to the
	// next.
	Date     string `json:"date"`
	TimeZone string `json:"time_zone"`
	// Started: conversations the agent was the first to serve, given to
	// them that day.
	Started int `json:"started"`
	// Received: conversations that came to them after someone else had
	// served them (transferred to them, or taken up after being returned to
	// the queue).
	Received int `json:"received"`
	// Concluded: conversations they closed while serving them.
	Concluded int `json:"concluded"`
	// TransferredAway: conversations they transferred to another agent or
	// department (each once, however often).
	TransferredAway int `json:"transferred_away"`
	// Handled: conversations that left their hands that day for good
	// (concluded, transferred away, returned to the queue, abandoned);
	// AverageHandling is the mean, in seconds, of how long they held each
	// of those (every stretch of it, also before that day: the agent's
	// handling time of the conversation, as its metrics show it).
	Handled         int   `json:"handled"`
	AverageHandling int64 `json:"average_handling"`
	// ByHour has the day's 24 hours, by the hour of the day in TimeZone.
	ByHour []HourCounts `json:"by_hour"`
}

// HourCounts are one hour of a Day.
type HourCounts struct {
	Hour            int `json:"hour"`
	Started         int `json:"started"`
	Concluded       int `json:"concluded"`
	TransferredAway int `json:"transferred_away"`
}

// MyDay is the caller's Day: date is "" for today, or a past day as
// YYYY-MM-DD. Everybody has a day of their own, whatever their role.
func (e *Engine) MyDay(ctx context.Context, p auth.Principal, date string) (Day, error) {
	loc := e.opts.Location
	now := e.clock.Now().In(loc)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	if date != "" {
		d, err := time.ParseInLocation(time.DateOnly, date, loc)
		if err != nil {
			return Day{}, validate.Errorf("date", "must be a date like 2026-11-21")
		}
		if d.After(day) {
			return Day{}, validate.Errorf("date", "must not be after today (%s)", day.Format(time.DateOnly))
		}
		day = d
	}
	// The next midnight, not 24 hours on: a day can have 23 or 25 hours
	// where clocks change.
	next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
	events, err := e.db.Read().ListAgentDayEvents(ctx, store.ListAgentDayEventsParams{
		AccountID: p.AccountID, AgentID: store.NullID(p.UserID), FromAt: day.UTC(), ToAt: next.UTC(),
	})
	if err != nil {
		return Day{}, fmt.Errorf("day of user %d: %w", p.UserID, err)
	}
	out := summariseDay(p.UserID, events, day, next)
	out.Date, out.TimeZone = day.Format(time.DateOnly), loc.String()
	return out, nil
}

// summariseDay counts an agent's day [from, to) from the events of the
// conversations they were given or lost in it, ordered by conversation and
// then by id; hours are those of from's location.
func summariseDay(agent int64, events []store.ConversationEvent, from, to time.Time) Day {
	d := Day{ByHour: make([]HourCounts, 24)}
	for h := range d.ByHour {
		d.ByHour[h].Hour = h
	}
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }
	hour := func(t time.Time) *HourCounts { return &d.ByHour[t.In(from.Location()).Hour()] }
	var total time.Duration
	for len(events) > 0 {
		n := 1
		for n < len(events) && events[n].ConversationID == events[0].ConversationID {
			n++
		}
		holds := conversation.Holds(events[:n])
		events = events[n:]

		var mine []conversation.Hold
		var transferred time.Time
		for i, h := range holds {
			if h.AgentID != agent {
				continue
			}
			mine = append(mine, h)
			if i == 0 && in(h.Start) {
				d.Started++
				hour(h.Start).Started++
			}
			if i > 0 && in(h.Start) {
				d.Received++
			}
			if h.EndKind == "transferred" && in(h.End) && transferred.IsZero() {
				transferred = h.End
			}
		}
		if !transferred.IsZero() {
			d.TransferredAway++
			hour(transferred).TransferredAway++
		}
		if len(mine) == 0 {
			continue // only offered to them
		}
		last := mine[len(mine)-1]
		if !in(last.End) {
			continue // still theirs, or it left them on another day
		}
		if last.EndKind == "closed" && last.EndActor == agent {
			d.Concluded++
			hour(last.End).Concluded++
		}
		d.Handled++
		for _, h := range mine {
			total += h.Duration(h.End)
		}
	}
	if d.Handled > 0 {
		d.AverageHandling = seconds(total / time.Duration(d.Handled))
	}
	return d
}
