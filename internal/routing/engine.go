// Package routing decides who serves each conversation and moves
// conversations through their lifecycle: agents' presence and pauses,
// department queues, offers with accept/decline, capacity, binding,
// transfers, manual pulls, closing, and the lifecycle timers.
//
// Routing is event-driven: every change that could let a conversation be
// placed (a new conversation, an agent becoming ready, a freed slot, a
// declined or expired offer, a transfer) routes the affected departments as
// soon as its transaction commits. Every state change is one transaction with
// compare-and-set updates: a slot is claimed with a conditional increment
// (load < capacity, presence ready) and a conversation moves only from the
// status and version it was read at, so two agents or two nodes can never
// both win.
package routing

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/events"
	"github.com/atende/atende/internal/store"
)

// Options tune the engine.
type Options struct {
	// DisconnectGrace is how long an agent's connection may be lost before
	// they go offline and their conversations return to the queue.
	DisconnectGrace time.Duration
	// DefaultCapacity is how many conversations an agent serves at once
	// until configured otherwise.
	DefaultCapacity int32
	// Events numbers and publishes the events a change recorded, once it
	// commits; nil leaves them unnumbered (a sweep can do it later).
	Events Kicker
	// Outbox is notified once a change that queued outbound messages
	// commits (the relay's wake-up); nil leaves them to the relay's tick.
	Outbox Notifier
	// Location is where agents' days start and end (MyDay); nil is
	// DefaultTimeZone.
	Location *time.Location
	Log      *slog.Logger

	// searchWalk is how a message search walks the finished conversations
	// (searchFinished); zero is defaultSearchWalk. Tests change it to
	// compare the walk with the index.
	searchWalk searchWalk
}

// DefaultOptions: 60 s grace, capacity 5.
var DefaultOptions = Options{DisconnectGrace: 60 * time.Second, DefaultCapacity: 5}

// Event tells clients something changed; see the events package.
type Event = events.Event

// Kicker is told which accounts have new events once a change commits (the
// events.Sequencer).
type Kicker interface {
	Kick(ctx context.Context, accountID int64)
}

// Notifier is told that something is ready to work on (a clock.Signal).
type Notifier interface {
	Notify()
}

// Engine runs routing and the lifecycle on a database.
type Engine struct {
	db    *store.DB
	clock clock.Clock
	opts  Options
	log   *slog.Logger

	mu      sync.Mutex
	routers map[[2]int64]*router // by {account, department}
}

// New returns an Engine.
func New(db *store.DB, clk clock.Clock, opts Options) *Engine {
	if opts.DisconnectGrace == 0 {
		opts.DisconnectGrace = DefaultOptions.DisconnectGrace
	}
	if opts.DefaultCapacity == 0 {
		opts.DefaultCapacity = DefaultOptions.DefaultCapacity
	}
	if opts.Location == nil {
		// The zone database is in the binary (myday.go), so this never
		// fails.
		loc, err := time.LoadLocation(DefaultTimeZone)
		if err != nil {
			panic(err)
		}
		opts.Location = loc
	}
	if opts.searchWalk == (searchWalk{}) {
		opts.searchWalk = defaultSearchWalk
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{db: db, clock: clk, opts: opts, log: log, routers: map[[2]int64]*router{}}
}

// Effects collects what must happen once a transaction commits: departments
// to route, agents whose freed slots may take work, events to publish.
type Effects struct {
	departments map[[2]int64]bool // {account, department}
	agents      map[int64]bool
	events      []accountEvent
	outbound    bool
}

type accountEvent struct {
	accountID int64
	event     Event
}

// Route asks for the department's queue to be routed after commit.
func (fx *Effects) Route(accountID, departmentID int64) {
	if fx.departments == nil {
		fx.departments = map[[2]int64]bool{}
	}
	fx.departments[[2]int64{accountID, departmentID}] = true
}

// Freed asks for the agent's departments to be routed after commit: the
// agent has room, or became ready.
func (fx *Effects) Freed(agentID int64) {
	if fx.agents == nil {
		fx.agents = map[int64]bool{}
	}
	fx.agents[agentID] = true
}

// Outbound says the transaction queued messages for a channel's outbox:
// the relay is woken once it commits.
func (fx *Effects) Outbound() { fx.outbound = true }

// Publish queues an event for after commit.
func (fx *Effects) Publish(accountID int64, e Event) {
	fx.events = append(fx.events, accountEvent{accountID, e})
}

// maxTries bounds retries of a transaction that lost a race.
const maxTries = 8

// Tx runs fn in a transaction and, once it commits, applies its effects.
// A transaction that lost a race (the conversation changed meanwhile, a
// concurrent insert won a unique key) is run again from the start, so fn
// must read what it decides on.
func (e *Engine) Tx(ctx context.Context, fn func(q *store.Queries, fx *Effects) error) error {
	var err error
	for try := 0; try < maxTries; try++ {
		fx := &Effects{}
		var accounts []int64
		err = e.db.Tx(ctx, func(q *store.Queries) error {
			if err := fn(q, fx); err != nil {
				return err
			}
			var err error
			accounts, err = fx.record(ctx, q, e.clock.Now())
			return err
		})
		if err == nil {
			if e.opts.Events != nil {
				for _, acc := range accounts {
					e.opts.Events.Kick(ctx, acc)
				}
			}
			if fx.outbound && e.opts.Outbox != nil {
				e.opts.Outbox.Notify()
			}
			e.route(ctx, fx)
			return nil
		}
		if !retryable(err) {
			return err
		}
		// Lost a race: let the winner finish before trying again.
		time.Sleep(time.Duration(rand.IntN(2<<try)) * time.Millisecond)
	}
	return err
}

// record stores the transaction's events and says which accounts have new
// ones.
func (fx *Effects) record(ctx context.Context, q *store.Queries, now time.Time) ([]int64, error) {
	byAccount := map[int64][]Event{}
	var accounts []int64
	for _, ae := range fx.events {
		if _, ok := byAccount[ae.accountID]; !ok {
			accounts = append(accounts, ae.accountID)
		}
		byAccount[ae.accountID] = append(byAccount[ae.accountID], ae.event)
	}
	for _, acc := range accounts {
		if err := events.Record(ctx, q, now, acc, byAccount[acc]); err != nil {
			return nil, err
		}
	}
	return accounts, nil
}

func retryable(err error) bool {
	return errors.Is(err, conversation.ErrChanged) || errors.Is(err, store.ErrConflict) ||
		errors.Is(err, store.ErrContention) || errors.Is(err, errPresenceChanged)
}

// route places what the committed transaction may have made placeable.
func (e *Engine) route(ctx context.Context, fx *Effects) {
	for key := range fx.departments {
		e.routeDepartment(ctx, key[0], key[1])
	}
	for agent := range fx.agents {
		deps, err := e.db.Read().ListAgentDepartments(ctx, agent)
		if err != nil {
			e.log.Warn("routing: departments of agent", "agent", agent, "err", err)
			continue
		}
		st, err := e.db.Read().GetAgentState(ctx, agent)
		if err != nil {
			continue
		}
		for _, d := range deps {
			if !fx.departments[[2]int64{st.AccountID, d}] {
				e.routeDepartment(ctx, st.AccountID, d)
			}
		}
	}
}
