package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// groupCommit runs SQLite's transactions on its single writer connection,
// several to a commit. Transactions that arrive while one is running wait
// anyway; the writer takes them together, each inside its own savepoint, and
// commits once. A commit writes every changed page to the WAL, and the
// messages, events and index pages are mostly the same ones for the whole
// group, so under load one commit does the work of many (atende bench
// inbound: 22% of the server's processor time was spent committing).
//
// Each transaction still succeeds or fails on its own: an error rolls back
// to its savepoint and the others go on. Only a failed commit fails the
// whole group, and then nothing of it was written. A caller learns its
// outcome only after the commit, so nothing it does afterwards (publishing
// events, answering a client) can run ahead of the data being durable.
type groupCommit struct {
	db    *sql.DB
	stmts *statements
	queue chan *groupTx
	// first is the queue of transactions that go ahead of the others
	// (DB.TxFirst).
	first chan *groupTx
	// max and span bound a group (groupMax, groupSpan; tests change them).
	max  int
	span time.Duration
	// commits and transactions count what the writer did, for /metrics;
	// backlog is how many transactions wait for it now.
	commits, transactions, backlog atomic.Int64

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// groupTx is one caller's transaction waiting for the writer.
type groupTx struct {
	ctx      context.Context
	fn       func(q *Queries) error
	err      error
	panicked any
	done     chan struct{}
}

const (
	// groupMax bounds a group, so that the first caller in it does not wait
	// behind an unbounded number of others.
	groupMax = 64
	// groupSpan bounds how long a group keeps taking newcomers once it has
	// started; a newcomer after that waits for the next group.
	groupSpan = 5 * time.Millisecond
)

var errClosed = errors.New("database is closed")

func newGroupCommit(db *sql.DB, stmts *statements) *groupCommit {
	g := &groupCommit{db: db, stmts: stmts, queue: make(chan *groupTx), first: make(chan *groupTx), max: groupMax, span: groupSpan, stop: make(chan struct{}), done: make(chan struct{})}
	go g.run()
	return g
}

// tx hands fn to the writer and waits for its outcome. A context that ends
// before the writer takes fn gives up; once taken, fn runs to its end (its
// queries ignore the cancellation: SQLite's interrupt would roll back the
// whole group, not only fn's part).
func (g *groupCommit) tx(ctx context.Context, queue chan *groupTx, fn func(q *Queries) error) error {
	t := &groupTx{ctx: ctx, fn: fn, done: make(chan struct{})}
	g.backlog.Add(1)
	select {
	case queue <- t:
		g.backlog.Add(-1)
	case <-ctx.Done():
		g.backlog.Add(-1)
		return ctx.Err()
	case <-g.stop:
		g.backlog.Add(-1)
		return errClosed
	}
	<-t.done
	if t.panicked != nil {
		panic(t.panicked)
	}
	return t.err
}

func (g *groupCommit) close() {
	g.stopOnce.Do(func() { close(g.stop) })
	<-g.done
}

func (g *groupCommit) run() {
	defer close(g.done)
	for {
		var first *groupTx
		select {
		case first = <-g.first:
		default:
			select {
			case first = <-g.first:
			case first = <-g.queue:
			case <-g.stop:
				return
			}
		}
		g.group(first)
	}
}

// group runs first and whoever is waiting behind it in one transaction.
func (g *groupCommit) group(first *groupTx) {
	var ran []*groupTx
	defer func() {
		g.stmts.prepareWanted(context.Background()) // the connection is free again
		for _, t := range ran {
			close(t.done)
		}
	}()
	tx, err := g.db.BeginTx(context.Background(), nil)
	if err != nil {
		first.err = fmt.Errorf("begin transaction: %w", err)
		ran = append(ran, first)
		return
	}
	shared := cachedTx{tx: tx, statements: g.stmts, detached: true}
	q := New(shared)
	start := time.Now()
	// Alone, a transaction needs no savepoint: its failure rolls back the
	// whole transaction. Whoever is already waiting joins at once; later
	// arrivals join only a group that has savepoints.
	waiting := g.newcomers(first)
	if len(waiting) == 1 {
		ran = waiting
		if first.ctx.Err() != nil {
			first.err = first.ctx.Err()
			tx.Rollback()
			return
		}
		if first.err = call(first, q); first.err != nil {
			first.err = Translate(first.err)
			tx.Rollback()
			return
		}
		if err := tx.Commit(); err != nil {
			first.err = Translate(fmt.Errorf("commit: %w", err))
			return
		}
		g.commits.Add(1)
		g.transactions.Add(1)
		return
	}
	// Everyone in ran learns an outcome: those not run yet when the group
	// fails get the group's error.
	ran = waiting
	var ok []*groupTx
	for i := 0; ; i++ {
		if i == len(ran) {
			t := g.newcomer(len(ran), start)
			if t == nil {
				break
			}
			ran = append(ran, t)
		}
		t := ran[i]
		if err := t.ctx.Err(); err != nil {
			t.err = err
			continue
		}
		if _, err := shared.ExecContext(context.Background(), "SAVEPOINT grouped"); err != nil {
			g.fail(tx, ran, fmt.Errorf("savepoint: %w", err))
			return
		}
		if t.err = call(t, q); t.err == nil {
			if _, err := shared.ExecContext(context.Background(), "RELEASE grouped"); err != nil {
				g.fail(tx, ran, fmt.Errorf("release savepoint: %w", err))
				return
			}
			ok = append(ok, t)
			continue
		}
		t.err = Translate(t.err)
		// Undo fn's part only. If SQLite already ended the whole
		// transaction (some errors do), the others' parts are gone too.
		if err := rollbackTo(shared); err != nil {
			for _, o := range ok {
				o.err = nil
			}
			g.fail(tx, ran, fmt.Errorf("transaction rolled back with another that failed (%v): %w", t.err, err))
			return
		}
	}
	if len(ok) == 0 {
		tx.Rollback()
		return
	}
	if err := tx.Commit(); err != nil {
		err = Translate(fmt.Errorf("commit: %w", err))
		for _, t := range ok {
			t.err = err
		}
		return
	}
	g.commits.Add(1)
	g.transactions.Add(int64(len(ok)))
}

func rollbackTo(tx cachedTx) error {
	if _, err := tx.ExecContext(context.Background(), "ROLLBACK TO grouped"); err != nil {
		return err
	}
	_, err := tx.ExecContext(context.Background(), "RELEASE grouped")
	return err
}

// newcomers is first and whoever is waiting behind it now, up to a group.
func (g *groupCommit) newcomers(first *groupTx) []*groupTx {
	waiting := []*groupTx{first}
	for len(waiting) < g.max {
		t := g.waiting()
		if t == nil {
			break
		}
		waiting = append(waiting, t)
	}
	return waiting
}

// waiting is the next transaction waiting, those sent with TxFirst before
// the others; nil if none is.
func (g *groupCommit) waiting() *groupTx {
	select {
	case t := <-g.first:
		return t
	default:
	}
	select {
	case t := <-g.first:
		return t
	case t := <-g.queue:
		return t
	default:
		return nil
	}
}

// newcomer is the next transaction waiting, if the group may take it.
func (g *groupCommit) newcomer(n int, start time.Time) *groupTx {
	if n >= g.max || time.Since(start) > g.span {
		return nil
	}
	return g.waiting()
}

// fail ends the group without committing: every transaction in it fails.
func (g *groupCommit) fail(tx *sql.Tx, ran []*groupTx, err error) {
	tx.Rollback()
	for _, t := range ran {
		if t.err == nil && t.panicked == nil {
			t.err = err
		}
	}
}

// call runs t.fn, turning a panic into something its caller re-raises.
func call(t *groupTx, q *Queries) (err error) {
	defer func() {
		if p := recover(); p != nil {
			t.panicked = p
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return t.fn(q)
}
