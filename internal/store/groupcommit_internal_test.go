package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openSQLite(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func accountNames(t *testing.T, db *DB) map[string]bool {
	t.Helper()
	rows, err := db.SQLRead().Query("SELECT name FROM accounts")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names[n] = true
	}
	return names
}

func addAccount(ctx context.Context, q *Queries, name string) error {
	_, err := q.CreateAccount(ctx, CreateAccountParams{Name: name, CreatedAt: time.Now()})
	return err
}

// holdWriter runs a transaction that keeps the writer busy until release is
// closed, so that the callers started meanwhile queue behind it.
func holdWriter(t *testing.T, db *DB) (release func(), done <-chan error) {
	t.Helper()
	started, hold, out := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		out <- db.Tx(context.Background(), func(q *Queries) error {
			close(started)
			<-hold
			return addAccount(context.Background(), q, "holder")
		})
	}()
	<-started
	return func() { close(hold) }, out
}

// queued starts n callers and waits until they are all about to hand their
// transaction to the writer.
func queued(n int, call func(i int)) *sync.WaitGroup {
	var wg sync.WaitGroup
	var entered atomic.Int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			entered.Add(1)
			call(i)
		}()
	}
	for entered.Load() < int64(n) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // from entered to the channel send
	return &wg
}

func TestConcurrentTransactionsShareACommitAndFailAlone(t *testing.T) {
	db := openSQLite(t)
	db.group.span = time.Minute // the group takes everyone queued, however slow the machine
	_, commitsBefore := db.WriterStats()

	release, holder := holdWriter(t, db)
	const n = 30
	errs := make([]error, n)
	wg := queued(n, func(i int) {
		errs[i] = db.Tx(context.Background(), func(q *Queries) error {
			if err := addAccount(context.Background(), q, fmt.Sprintf("acc-%02d", i)); err != nil {
				return err
			}
			if i%3 == 0 {
				return fmt.Errorf("caller %d changed its mind", i)
			}
			return nil
		})
	})
	release()
	wg.Wait()
	if err := <-holder; err != nil {
		t.Fatal(err)
	}

	names := accountNames(t, db)
	for i := range n {
		name := fmt.Sprintf("acc-%02d", i)
		if i%3 == 0 {
			if errs[i] == nil || names[name] {
				t.Errorf("caller %d: err %v, row kept %v; want its error and no row", i, errs[i], names[name])
			}
			continue
		}
		if errs[i] != nil || !names[name] {
			t.Errorf("caller %d: err %v, row kept %v; want no error and its row", i, errs[i], names[name])
		}
	}
	txs, commits := db.WriterStats()
	if commits-commitsBefore > 3 {
		t.Errorf("%d commits for 1 + %d concurrent transactions; want them grouped (≤ 3)", commits-commitsBefore, n)
	}
	t.Logf("%d transactions in %d commits", txs, commits)
}

func TestAConflictUndoesOnlyItsOwnPart(t *testing.T) {
	db := openSQLite(t)
	db.group.span = time.Minute
	if err := db.Tx(context.Background(), func(q *Queries) error { return addAccount(context.Background(), q, "taken") }); err != nil {
		t.Fatal(err)
	}
	release, holder := holdWriter(t, db)
	errs := make([]error, 3)
	wg := queued(3, func(i int) {
		errs[i] = db.Tx(context.Background(), func(q *Queries) error {
			if err := addAccount(context.Background(), q, fmt.Sprintf("first-%d", i)); err != nil {
				return err
			}
			if i == 1 {
				if err := addAccount(context.Background(), q, "taken"); err != nil {
					return err
				}
			}
			return nil
		})
	})
	release()
	wg.Wait()
	<-holder
	names := accountNames(t, db)
	if !errors.Is(errs[1], ErrConflict) || names["first-1"] {
		t.Errorf("the conflicting caller: err %v, its first row kept %v; want ErrConflict and nothing kept", errs[1], names["first-1"])
	}
	if errs[0] != nil || errs[2] != nil || !names["first-0"] || !names["first-2"] {
		t.Errorf("the others: errs %v, %v, rows %v; want both committed", errs[0], errs[2], names)
	}
}

func TestAPanicReachesItsCallerAndSparesTheOthers(t *testing.T) {
	db := openSQLite(t)
	db.group.span = time.Minute
	release, holder := holdWriter(t, db)
	var panicked any
	var otherErr error
	wg := queued(2, func(i int) {
		if i == 0 {
			defer func() { panicked = recover() }()
			db.Tx(context.Background(), func(q *Queries) error {
				addAccount(context.Background(), q, "panicker")
				panic("boom")
			})
			return
		}
		otherErr = db.Tx(context.Background(), func(q *Queries) error { return addAccount(context.Background(), q, "calm") })
	})
	release()
	wg.Wait()
	<-holder
	names := accountNames(t, db)
	if panicked != "boom" || names["panicker"] {
		t.Errorf("recovered %v, panicker's row kept %v; want the panic re-raised and nothing kept", panicked, names["panicker"])
	}
	if otherErr != nil || !names["calm"] {
		t.Errorf("the other caller: %v, row %v; want it committed", otherErr, names["calm"])
	}
}

func TestACallerThatGivesUpBeforeItsTurnWritesNothing(t *testing.T) {
	db := openSQLite(t)
	release, holder := holdWriter(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ran := false
	err := db.Tx(ctx, func(q *Queries) error { ran = true; return addAccount(ctx, q, "late") })
	release()
	<-holder
	if !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Fatalf("err %v, ran %v; want the deadline and fn never run", err, ran)
	}
}

func TestACallerCancelledMidwayDoesNotInterruptTheGroup(t *testing.T) {
	db := openSQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	err := db.Tx(ctx, func(q *Queries) error {
		if err := addAccount(ctx, q, "before"); err != nil {
			return err
		}
		cancel() // the caller gives up while its transaction runs
		return addAccount(ctx, q, "after")
	})
	if err != nil {
		t.Fatalf("a transaction taken by the writer runs to its end: %v", err)
	}
	if names := accountNames(t, db); !names["before"] || !names["after"] {
		t.Fatalf("rows %v, want both", names)
	}
}

func TestTransactionsAfterCloseFail(t *testing.T) {
	db, err := Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := db.Tx(context.Background(), func(q *Queries) error { return nil }); !errors.Is(err, errClosed) {
		t.Fatalf("Tx after Close: %v, want errClosed", err)
	}
}

func TestTxFirstGoesAheadOfTheWaitingTransactions(t *testing.T) {
	db := openSQLite(t)
	db.group.span = time.Minute
	release, holder := holdWriter(t, db)
	var mu sync.Mutex
	var order []string
	ran := func(who string) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, who)
	}
	wg := queued(20, func(i int) {
		db.Tx(context.Background(), func(q *Queries) error { ran("queued"); return nil })
	})
	firstDone := queued(1, func(int) {
		db.TxFirst(context.Background(), func(q *Queries) error { ran("first"); return nil })
	})
	release()
	wg.Wait()
	firstDone.Wait()
	<-holder
	if len(order) != 21 || order[0] != "first" {
		t.Fatalf("ran in order %v; want the TxFirst transaction before the 20 queued ones", order)
	}
}
