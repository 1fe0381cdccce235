package events

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/atende/atende/internal/store"
)

// batch is how many events one numbering transaction takes.
const batch = 500

// Sequencer numbers committed events per account and hands them to publish.
// Changes kick it after they commit; one numbering runs per account on this
// node at a time (a kick during a run makes it go round again), and the
// counter row orders runs across nodes.
type Sequencer struct {
	db      *store.DB
	publish func(context.Context, []Stored)
	log     *slog.Logger

	mu      sync.Mutex
	running map[int64]*run
}

type run struct{ active, again bool }

// NewSequencer returns a Sequencer; publish may be nil.
func NewSequencer(db *store.DB, publish func(context.Context, []Stored), log *slog.Logger) *Sequencer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sequencer{db: db, publish: publish, log: log, running: map[int64]*run{}}
}

// Kick numbers and publishes the account's pending events.
func (s *Sequencer) Kick(ctx context.Context, accountID int64) {
	s.mu.Lock()
	r := s.running[accountID]
	if r == nil {
		r = &run{}
		s.running[accountID] = r
	}
	if r.active {
		r.again = true
		s.mu.Unlock()
		return
	}
	r.active = true
	s.mu.Unlock()
	for {
		if err := s.number(ctx, accountID); err != nil && ctx.Err() == nil {
			s.log.Warn("number events", "account", accountID, "err", err)
		}
		s.mu.Lock()
		if !r.again {
			r.active = false
			s.mu.Unlock()
			return
		}
		r.again = false
		s.mu.Unlock()
	}
}

// Sweep numbers whatever was left unnumbered (a node stopped between a
// commit and its kick). Every node runs it now and then.
func (s *Sequencer) Sweep(ctx context.Context) error {
	accounts, err := s.db.Read().ListAccountsWithPendingEvents(ctx)
	if err != nil {
		return fmt.Errorf("accounts with pending events: %w", err)
	}
	for _, acc := range accounts {
		s.Kick(ctx, acc)
	}
	return nil
}

func (s *Sequencer) number(ctx context.Context, accountID int64) error {
	for {
		var numbered []Stored
		err := s.db.TxFirst(ctx, func(q *store.Queries) error {
			numbered = numbered[:0]
			last, err := q.LockEventCounter(ctx, accountID)
			if err != nil {
				return err
			}
			rows, err := q.ListPendingEvents(ctx, store.ListPendingEventsParams{AccountID: accountID, Limit: batch})
			if err != nil || len(rows) == 0 {
				return err
			}
			for _, r := range rows {
				last++
				if err := q.NumberEvent(ctx, store.NumberEventParams{ID: r.ID, Seq: store.NullID(last)}); err != nil {
					return err
				}
				r.Seq = store.NullID(last)
				numbered = append(numbered, FromRow(r))
			}
			return q.SetEventCounter(ctx, store.SetEventCounterParams{AccountID: accountID, Seq: last})
		})
		if err != nil {
			return err
		}
		if len(numbered) > 0 && s.publish != nil {
			s.publish(ctx, numbered)
		}
		if len(numbered) < batch {
			return nil
		}
	}
}
