package conversation

import (
	"context"
	"fmt"
	"time"

	"github.com/atende/atende/internal/store"
)

// Metrics are one conversation's times, derived from its event and message
// rows so they agree with reports.
type Metrics struct {
	// TTA, total time: from opening until closing (or now). It never resets
	// on transfer.
	TTA time.Duration `json:"tta"`
	// QueueWait is the time spent queued before the first assignment.
	QueueWait time.Duration `json:"queue_wait"`
	// TM1R, first response: from the customer's first message to the first
	// agent reply after it.
	TM1R time.Duration `json:"tm1r"`
	// TMR, average response: the mean time from a customer message that was
	// waiting for an answer to the agent reply that answered it.
	TMR time.Duration `json:"tmr"`
	// Responses is how many replies TMR averages.
	Responses int `json:"responses"`
	// Handling is how long each agent held the conversation.
	Handling map[int64]time.Duration `json:"handling"`
}

// Measure computes the metrics of conversation c as of now.
func Measure(ctx context.Context, q *store.Queries, now time.Time, c store.Conversation) (Metrics, error) {
	events, err := q.ListConversationEvents(ctx, c.ID)
	if err != nil {
		return Metrics{}, fmt.Errorf("events of conversation %d: %w", c.ID, err)
	}
	msgs, err := q.ListMessages(ctx, c.ID)
	if err != nil {
		return Metrics{}, fmt.Errorf("messages of conversation %d: %w", c.ID, err)
	}
	return compute(now, c, events, msgs), nil
}

func compute(now time.Time, c store.Conversation, events []store.ConversationEvent, msgs []store.Message) Metrics {
	m := Metrics{Handling: map[int64]time.Duration{}}
	end := now
	if c.ClosedAt.Valid {
		end = c.ClosedAt.Time
	}
	m.TTA = end.Sub(c.OpenedAt)

	// Queue wait and handling: walk the events, tracking who holds it.
	var firstQueued, firstAssigned, heldSince time.Time
	var holder int64
	for _, e := range events {
		if firstQueued.IsZero() && Status(e.ToStatus) == Queued {
			firstQueued = e.At
		}
		to := int64(0)
		if Status(e.ToStatus).Assigned() && e.ToAgentID.Valid {
			to = e.ToAgentID.Int64
		}
		if to == holder {
			continue
		}
		if holder != 0 {
			m.Handling[holder] += e.At.Sub(heldSince)
		}
		holder, heldSince = to, e.At
		if to != 0 && firstAssigned.IsZero() {
			firstAssigned = e.At
		}
	}
	if holder != 0 {
		m.Handling[holder] += end.Sub(heldSince)
	}
	if !firstQueued.IsZero() {
		if firstAssigned.IsZero() {
			firstAssigned = end
		}
		m.QueueWait = firstAssigned.Sub(firstQueued)
	}

	// Responses: each agent reply answers the customer messages since the
	// previous reply; it is timed from the first of them.
	var waitingSince time.Time
	var total time.Duration
	for _, msg := range msgs {
		switch {
		case msg.Direction == In:
			if waitingSince.IsZero() {
				waitingSince = msg.CreatedAt
			}
		case msg.Direction == Out && msg.SenderType == "agent" && !waitingSince.IsZero():
			d := msg.CreatedAt.Sub(waitingSince)
			if m.Responses == 0 {
				m.TM1R = d
			}
			total += d
			m.Responses++
			waitingSince = time.Time{}
		}
	}
	if m.Responses > 0 {
		m.TMR = total / time.Duration(m.Responses)
	}
	return m
}
