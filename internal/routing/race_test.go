package routing_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// A thousand conversations, fifty agents going ready, pausing and closing
// concurrently, and several engine instances sharing one database (three
// "nodes" on PostgreSQL; one on SQLite, whose single writer is the point):
// no conversation is ever assigned twice and no agent ever holds more than
// their capacity.
func TestConcurrentEnginesNeverDoubleAssignOrOverfill(t *testing.T) {
	if testing.Short() {
		t.Skip("long race test")
	}
	t.Run("postgres", func(t *testing.T) {
		url := storetest.PostgresURL(t)
		var dbs []*store.DB
		for range 3 {
			db, err := store.Open(context.Background(), url, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			db.SetMaxConns(12) // three nodes within the server's 100, beside other test packages
			dbs = append(dbs, db)
		}
		conversations, agents := 1000, 50
		if raceDetector {
			// `make test` runs it again at full size without -race.
			conversations, agents = 400, 30
		}
		raceRun(t, dbs, conversations, agents)
	})
	t.Run("sqlite", func(t *testing.T) {
		conversations, agents := 1000, 50
		if raceDetector {
			conversations, agents = 200, 20
		}
		raceRun(t, []*store.DB{storetest.SQLite(t)}, conversations, agents)
	})
}

type node struct {
	engine *routing.Engine
	recv   *channel.Receiver
	db     *store.DB
}

func raceRun(t *testing.T, dbs []*store.DB, conversations, agents int) {
	s := offerMode
	s.OfferMode = routing.DirectMode
	w := newWorld(t, dbs[0], s)
	var nodes []node
	for _, db := range dbs {
		e := routing.New(db, w.clock, routing.DefaultOptions)
		nodes = append(nodes, node{engine: e, recv: channel.NewReceiver(db, w.clock, e), db: db})
	}
	pause, err := w.engine.CreatePauseReason(w.ctx, w.admin, "Café")
	w.must(err)
	var team []auth.Principal
	for i := range agents {
		team = append(team, w.agent(fmt.Sprintf("agente%02d", i)))
	}

	// Generous: on a shared, loaded machine slow is not wrong; what this
	// test judges is that nothing is double-assigned or overfilled and
	// that every conversation is served in the end.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var closed, violations atomic.Int64
	var failures sync.Map
	fail := func(where string, err error) {
		if err != nil && ctx.Err() == nil && !tolerated(err) {
			failures.Store(where, err)
			cancel()
		}
	}
	var wg sync.WaitGroup

	// Customers write, through every node.
	for n, nd := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := n; i < conversations; i += len(nodes) {
				_, err := nd.recv.Receive(ctx, channel.Inbound{
					ChannelID: w.channel, ProviderMessageID: fmt.Sprintf("race-%d", i),
					From: contact.Identity{Kind: contact.KindWhatsApp, Value: fmt.Sprintf("+55119%08d", 20000000+i)}, Kind: "text", Body: "oi",
				})
				fail("receive", err)
			}
		}()
	}
	// Agents work, each through a random node: ready, close, pause, ready.
	for i, p := range team {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 99))
			for ctx.Err() == nil && closed.Load() < int64(conversations) {
				nd := nodes[rng.IntN(len(nodes))]
				switch r := rng.IntN(10); {
				case r < 2:
					fail("pause", nd.engine.SetPresence(ctx, p, routing.Paused, pause))
				case r < 5:
					fail("ready", nd.engine.SetPresence(ctx, p, routing.Ready, 0))
				default:
					mine, err := nd.db.Read().ListAgentConversations(ctx, store.NullID(p.UserID))
					fail("list", err)
					if len(mine) > 0 {
						c := mine[rng.IntN(len(mine))]
						err := nd.engine.Close(ctx, p, c.ID, routing.CloseInput{})
						if err == nil {
							closed.Add(1)
						}
						fail("close", err)
					}
				}
				time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
			}
		}()
	}
	// A monitor reads, in single statements (consistent snapshots), whether
	// any agent ever holds more than their capacity.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil && closed.Load() < int64(conversations) {
			var n int64
			err := dbs[0].SQLRead().QueryRowContext(ctx, `
				SELECT count(*) FROM agent_states s
				WHERE s.account_id = $1 AND (SELECT count(*) FROM conversations c
				      WHERE c.agent_id = s.user_id AND c.status IN ('active', 'waiting', 'inactive')) > s.capacity`, w.account).Scan(&n)
			if err == nil {
				violations.Add(n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	wg.Wait()
	failures.Range(func(k, v any) bool {
		t.Errorf("%s: %v", k, v)
		return true
	})
	if got := closed.Load(); got != int64(conversations) {
		t.Fatalf("only %d of %d conversations were served and closed in time", got, conversations)
	}
	if v := violations.Load(); v != 0 {
		t.Fatalf("capacity violations seen while running: %d", v)
	}
	var doubles int
	w.must(dbs[0].SQLRead().QueryRowContext(w.ctx, `
		SELECT count(*) FROM (SELECT conversation_id FROM conversation_events
		WHERE account_id = $1 AND kind IN ('assigned', 'accepted', 'pulled') GROUP BY conversation_id HAVING count(*) > 1) twice`, w.account).Scan(&doubles))
	if doubles != 0 {
		t.Fatalf("%d conversations were assigned more than once", doubles)
	}
	var fromAgent int
	w.must(dbs[0].SQLRead().QueryRowContext(w.ctx, `
		SELECT count(*) FROM conversation_events WHERE account_id = $1 AND kind = 'assigned' AND (from_agent_id IS NOT NULL OR from_status <> 'queued')`,
		w.account).Scan(&fromAgent))
	if fromAgent != 0 {
		t.Fatalf("%d assignments took a conversation someone already had", fromAgent)
	}
	if err := routing.CheckInvariants(w.ctx, dbs[0], w.account); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d conversations on %d node(s), %d agents: 0 double assignments, 0 capacity violations", conversations, len(nodes), agents)
}
