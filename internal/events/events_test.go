package events_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/events"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplates()
	os.Exit(code)
}

var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func account(t *testing.T, db *store.DB, name string) int64 {
	t.Helper()
	var id int64
	err := db.Tx(context.Background(), func(q *store.Queries) error {
		a, err := q.CreateAccount(context.Background(), store.CreateAccountParams{Name: name, CreatedAt: now})
		id = a.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func record(t *testing.T, db *store.DB, acc int64, evs ...events.Event) {
	t.Helper()
	err := db.Tx(context.Background(), func(q *store.Queries) error { return events.Record(context.Background(), q, now, acc, evs) })
	if err != nil {
		t.Fatal(err)
	}
}

// Many writers record events concurrently and several sequencers number
// them: every event gets exactly one number, numbers have no gaps, and each
// writer's events keep their order.
func TestSequencingIsGapFreeAndOrderedUnderConcurrency(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		acc := account(t, db, "Acme")
		var mu sync.Mutex
		var published []events.Stored
		seqs := []*events.Sequencer{}
		for range 3 {
			seqs = append(seqs, events.NewSequencer(db, func(_ context.Context, s []events.Stored) {
				mu.Lock()
				published = append(published, s...)
				mu.Unlock()
			}, nil))
		}
		const writers, each = 8, 25
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					record(t, db, acc, events.Event{Kind: "agent.presence", AgentID: int64(w + 1), Status: string(rune('a' + i%26)), MessageID: int64(i)})
					seqs[(w+i)%3].Kick(context.Background(), acc)
				}
			}()
		}
		wg.Wait()
		for _, s := range seqs {
			s.Kick(context.Background(), acc)
		}
		got, err := events.After(context.Background(), db.Read(), events.Viewer{AccountID: acc, Role: auth.Admin}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != writers*each {
			t.Fatalf("%d events numbered, want %d", len(got), writers*each)
		}
		last := map[int64]int{}
		for i, s := range got {
			if s.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d: gap or duplicate", i, s.Seq)
			}
			var e events.Event
			mustJSON(t, s.Data, &e)
			if prev, ok := last[e.AgentID]; ok && int(e.MessageID) <= prev {
				t.Fatalf("writer %d's events out of order", e.AgentID)
			}
			last[e.AgentID] = int(e.MessageID)
		}
		if len(published) != writers*each {
			t.Fatalf("%d events published, want %d (each once)", len(published), writers*each)
		}
	})
}

func TestViewersSeeOnlyTheirEvents(t *testing.T) {
	acc := int64(7)
	ev := func(scope string, dept, agent int64) events.Stored {
		return events.Stored{AccountID: acc, Scope: scope, DepartmentID: dept, AgentID: agent}
	}
	admin := events.Viewer{UserID: 1, AccountID: acc, Role: auth.Admin}
	sup := events.Viewer{UserID: 2, AccountID: acc, Role: auth.Supervisor, Departments: map[int64]bool{10: true}}
	ana := events.Viewer{UserID: 3, AccountID: acc, Role: auth.Agent, Departments: map[int64]bool{10: true}}
	bob := events.Viewer{UserID: 4, AccountID: acc, Role: auth.Agent, Departments: map[int64]bool{20: true}}
	stranger := events.Viewer{UserID: 5, AccountID: 8, Role: auth.Admin}
	for _, tc := range []struct {
		name string
		ev   events.Stored
		want map[string]bool
	}{
		{"queue of dept 10", ev("department", 10, 0), map[string]bool{"admin": true, "sup": true, "ana": true}},
		{"Ana's conversation", ev("agent", 10, 3), map[string]bool{"admin": true, "sup": true, "ana": true}},
		{"Bob's conversation in dept 20", ev("agent", 20, 4), map[string]bool{"admin": true, "bob": true}},
		{"Ana's presence", ev("agent", 0, 3), map[string]bool{"admin": true, "sup": true, "ana": true}},
		{"Ana's notification", ev("user", 0, 3), map[string]bool{"ana": true}},
		{"account setting", ev("account", 0, 0), map[string]bool{"admin": true, "sup": true, "ana": true, "bob": true}},
	} {
		for name, v := range map[string]events.Viewer{"admin": admin, "sup": sup, "ana": ana, "bob": bob, "stranger": stranger} {
			if got := v.Visible(tc.ev); got != tc.want[name] {
				t.Errorf("%s visible to %s = %v", tc.name, name, got)
			}
		}
	}
}

func TestReplayAfterASequenceAndTooOld(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		acc := account(t, db, "Acme")
		seq := events.NewSequencer(db, nil, nil)
		for i := range 5 {
			record(t, db, acc, events.Event{Kind: "agent.presence", AgentID: 1, MessageID: int64(i)})
		}
		seq.Kick(context.Background(), acc)
		admin := events.Viewer{AccountID: acc, Role: auth.Admin}
		got, err := events.After(context.Background(), db.Read(), admin, 3)
		if err != nil || len(got) != 2 || got[0].Seq != 4 || got[1].Seq != 5 {
			t.Fatalf("after 3: %+v %v", got, err)
		}
		// Events older than what is kept cannot be replayed: reload.
		if _, err := db.Write().DeleteEventsBefore(context.Background(), now.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		record(t, db, acc, events.Event{Kind: "agent.presence", AgentID: 1})
		seq.Kick(context.Background(), acc)
		if _, err := events.After(context.Background(), db.Read(), admin, 2); !errors.Is(err, events.ErrTooOld) {
			t.Fatalf("after pruning: %v, want ErrTooOld", err)
		}
		if got, err := events.After(context.Background(), db.Read(), admin, 5); err != nil || len(got) != 1 || got[0].Seq != 6 {
			t.Fatalf("after 5: %+v %v", got, err)
		}
	})
}

// A notification about a conversation goes to the user it is for, not to
// whoever serves the conversation.
func TestNotificationsGoToTheirUserOnly(t *testing.T) {
	db := storetest.SQLite(t)
	acc := account(t, db, "Acme")
	var conv, dept int64
	err := db.Tx(context.Background(), func(q *store.Queries) error {
		d, err := q.CreateDepartment(context.Background(), store.CreateDepartmentParams{AccountID: acc, Name: "Vendas", CreatedAt: now})
		if err != nil {
			return err
		}
		users := []int64{}
		for _, email := range []string{"a@x.test", "b@x.test"} {
			u, err := q.CreateUser(context.Background(), store.CreateUserParams{AccountID: acc, Name: email, Email: email, Role: "agent", PasswordHash: "-", CreatedAt: now})
			if err != nil {
				return err
			}
			users = append(users, u.ID)
		}
		c, err := q.ContactCreate(context.Background(), store.ContactCreateParams{AccountID: acc, Name: "Maria", CustomFields: "{}", CreatedAt: now})
		if err != nil {
			return err
		}
		cv, err := q.CreateConversation(context.Background(), store.CreateConversationParams{AccountID: acc, Protocol: "1", DepartmentID: d.ID, ContactID: c.ID, Status: "queued", OpenedAt: now})
		if err != nil {
			return err
		}
		conv, dept = cv.ID, d.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	record(t, db, acc, events.Event{Kind: "notification.created", AgentID: 1, ConversationID: conv})
	events.NewSequencer(db, nil, nil).Kick(context.Background(), acc)
	for user, want := range map[int64]int{1: 1, 2: 0} {
		got, err := events.After(context.Background(), db.Read(), events.Viewer{UserID: user, AccountID: acc, Role: auth.Agent, Departments: map[int64]bool{dept: true}}, 0)
		if err != nil || len(got) != want {
			t.Fatalf("user %d sees %d notifications (%v), want %d", user, len(got), err, want)
		}
	}
}
