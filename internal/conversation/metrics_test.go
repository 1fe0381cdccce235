package conversation

import (
	"testing"
	"time"

	"github.com/atende/atende/internal/store"
)

// A conversation's holds: Ana accepts it, parks it (still hers), transfers
// it to Bruno, Bruno goes offline (back to the queue), Carla pulls it and
// closes it. Handling per agent is read from the same holds.
func TestHoldsFollowWhoHadTheConversation(t *testing.T) {
	const ana, bruno, carla = 1, 2, 3
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	ev := func(min int, kind string, from, to Status, fromAgent, toAgent, actor int64) store.ConversationEvent {
		return store.ConversationEvent{Kind: kind, FromStatus: string(from), ToStatus: string(to), At: at(min),
			FromAgentID: store.NullID(fromAgent), ToAgentID: store.NullID(toAgent), ActorID: store.NullID(actor)}
	}
	events := []store.ConversationEvent{
		ev(0, "opened", "", Queued, 0, 0, 0),
		ev(1, "offered", Queued, Queued, 0, ana, 0),
		ev(2, "accepted", Queued, Active, ana, ana, ana),
		ev(5, "parked", Active, Waiting, ana, ana, ana),
		ev(7, "resumed", Waiting, Active, ana, ana, 0),
		ev(10, "transferred", Active, Active, ana, bruno, ana),
		ev(30, "returned_to_queue", Active, Queued, bruno, 0, 0),
		ev(31, "pulled", Queued, Active, 0, carla, carla),
		ev(40, "closed", Active, Closed, carla, carla, carla),
	}
	want := []Hold{
		{AgentID: ana, Start: at(2), StartKind: "accepted", End: at(10), EndKind: "transferred", EndActor: ana},
		{AgentID: bruno, Start: at(10), StartKind: "transferred", From: ana, End: at(30), EndKind: "returned_to_queue"},
		{AgentID: carla, Start: at(31), StartKind: "pulled", End: at(40), EndKind: "closed", EndActor: carla},
	}
	got := Holds(events)
	if len(got) != len(want) {
		t.Fatalf("holds: %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("hold %d: %+v, want %+v", i, got[i], want[i])
		}
	}

	c := store.Conversation{OpenedAt: at(0), ClosedAt: store.Null(at(40))}
	m := compute(at(60), c, events, nil)
	for agent, d := range map[int64]time.Duration{ana: 8 * time.Minute, bruno: 20 * time.Minute, carla: 9 * time.Minute} {
		if m.Handling[agent] != d {
			t.Errorf("handling of agent %d: %s, want %s", agent, m.Handling[agent], d)
		}
	}
	if m.QueueWait != 2*time.Minute || m.TTA != 40*time.Minute {
		t.Errorf("queue wait %s, TTA %s", m.QueueWait, m.TTA)
	}

	// Still held: the hold has no end, and lasts until now.
	open := Holds(events[:4])
	if len(open) != 1 || !open[0].End.IsZero() || open[0].Duration(at(6)) != 4*time.Minute {
		t.Fatalf("an unfinished hold: %+v", open)
	}
}
