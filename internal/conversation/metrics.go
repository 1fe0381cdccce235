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

	// Queue wait and handling, from who held the conversation when.
	holds := Holds(events)
	for _, h := range holds {
		m.Handling[h.AgentID] += h.Duration(end)
	}
	for _, e := range events {
		if Status(e.ToStatus) != Queued {
			continue
		}
		firstAssigned := end
		if len(holds) > 0 {
			firstAssigned = holds[0].Start
		}
		m.QueueWait = firstAssigned.Sub(e.At)
		break
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

// Hold is one stretch of an agent holding a conversation (active, waiting
// or inactive in their hands): from the event that gave it to them to the
// event that took it away.
type Hold struct {
	AgentID int64
	// Start is when they got it; StartKind the event that gave it (accepted,
	// assigned, pulled, transferred, invited…) and From who held it just
	// before (0 when it came from a queue).
	Start     time.Time
	StartKind string
	From      int64
	// End is when it left them, zero while they still hold it; EndKind the
	// event that took it (transferred, returned_to_queue, closed,
	// abandoned…) and EndActor who caused it (0 for the system).
	End      time.Time
	EndKind  string
	EndActor int64
}

// Duration is how long the hold lasted, or has lasted by end when it has
// not ended.
func (h Hold) Duration(end time.Time) time.Duration {
	if !h.End.IsZero() {
		end = h.End
	}
	return end.Sub(h.Start)
}

// Holds walks a conversation's events, in order, into who held it when.
// Metrics (handling per agent) and agents' day summaries are both read from
// here, so they agree. A move that keeps the same agent (active to waiting,
// inactive to active) does not end a hold.
func Holds(events []store.ConversationEvent) []Hold {
	var holds []Hold
	var holder int64
	for _, e := range events {
		to := int64(0)
		if Status(e.ToStatus).Assigned() && e.ToAgentID.Valid {
			to = e.ToAgentID.Int64
		}
		if to == holder {
			continue
		}
		if holder != 0 {
			h := &holds[len(holds)-1]
			h.End, h.EndKind, h.EndActor = e.At, e.Kind, e.ActorID.Int64
		}
		if to != 0 {
			holds = append(holds, Hold{AgentID: to, Start: e.At, StartKind: e.Kind, From: holder})
		}
		holder = to
	}
	return holds
}
