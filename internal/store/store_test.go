package store_test

import (
	"context"
	"errors"
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplates()
	os.Exit(code)
}

var t0 = time.Date(2026, 11, 21, 9, 30, 0, 123456000, time.UTC)

func newAccount(t *testing.T, db *store.DB, name string) store.Account {
	t.Helper()
	var acc store.Account
	err := db.Tx(context.Background(), func(q *store.Queries) error {
		var err error
		acc, err = q.CreateAccount(context.Background(), store.CreateAccountParams{Name: name, CreatedAt: t0})
		return err
	})
	if err != nil {
		t.Fatalf("create account %q: %v", name, err)
	}
	return acc
}

func newUser(t *testing.T, db *store.DB, accountID int64, email string) store.User {
	t.Helper()
	var u store.User
	err := db.Tx(context.Background(), func(q *store.Queries) error {
		var err error
		u, err = q.CreateUser(context.Background(), store.CreateUserParams{
			AccountID: accountID, Name: "Ana", Email: email, Role: "admin", PasswordHash: "x", CreatedAt: t0,
		})
		return err
	})
	if err != nil {
		t.Fatalf("create user %q: %v", email, err)
	}
	return u
}

func TestTimestampsRoundTripInUTC(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		acc := newAccount(t, db, "Acme")
		got, err := db.Read().GetAccount(context.Background(), acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(t0) {
			t.Fatalf("created_at = %v, want %v", got.CreatedAt, t0)
		}
	})
}

func TestUniqueViolationIsConflict(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		acc := newAccount(t, db, "Acme")
		newUser(t, db, acc.ID, "ana@acme.test")
		err := db.Tx(context.Background(), func(q *store.Queries) error {
			_, err := q.CreateUser(context.Background(), store.CreateUserParams{
				AccountID: acc.ID, Name: "Other", Email: "ana@acme.test", Role: "agent", PasswordHash: "x", CreatedAt: t0,
			})
			return err
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second user with the same e-mail: err = %v, want ErrConflict", err)
		}
	})
}

func TestDeletedUserFreesEmail(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		acc := newAccount(t, db, "Acme")
		u := newUser(t, db, acc.ID, "ana@acme.test")
		if n, err := db.Write().DeleteUser(context.Background(), store.DeleteUserParams{AccountID: acc.ID, ID: u.ID, DeletedAt: store.Null(t0)}); err != nil || n != 1 {
			t.Fatalf("delete user: n=%d err=%v", n, err)
		}
		newUser(t, db, acc.ID, "ana@acme.test")
	})
}

func TestAccountScopedReadsIgnoreOtherAccounts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		acme := newAccount(t, db, "Acme")
		other := newAccount(t, db, "Other")
		u := newUser(t, db, acme.ID, "ana@acme.test")
		_, err := db.Read().GetUser(context.Background(), store.GetUserParams{AccountID: other.ID, ID: u.ID})
		if !errors.Is(store.Translate(err), store.ErrNotFound) {
			t.Fatalf("user of Acme read as Other: err = %v, want ErrNotFound", err)
		}
	})
}

// The throttle counter is one upsert, so parallel failures are all counted.
func TestLoginFailuresCountedUnderRace(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		const n = 25
		var wg sync.WaitGroup
		counts := make(chan int32, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.Tx(context.Background(), func(q *store.Queries) error {
					row, err := q.RecordLoginFailure(context.Background(), store.RecordLoginFailureParams{
						Key: "email:ana@acme.test", Now: t0, WindowFloor: t0.Add(-15 * time.Minute),
					})
					counts <- row.Failures
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		close(counts)
		seen := map[int32]bool{}
		for c := range counts {
			if seen[c] {
				t.Fatalf("count %d handed out twice", c)
			}
			seen[c] = true
		}
		if len(seen) != n {
			t.Fatalf("got %d distinct counts, want %d", len(seen), n)
		}
		// A window older than the floor starts over.
		err := db.Tx(context.Background(), func(q *store.Queries) error {
			row, err := q.RecordLoginFailure(context.Background(), store.RecordLoginFailureParams{
				Key: "email:ana@acme.test", Now: t0.Add(20 * time.Minute), WindowFloor: t0.Add(5 * time.Minute),
			})
			if row.Failures != 1 || !row.WindowStart.Equal(t0.Add(20*time.Minute)) {
				t.Errorf("after the window: failures=%d start=%v, want 1 and the new time", row.Failures, row.WindowStart)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestAuditListPagesBackwards(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		acc := newAccount(t, db, "Acme")
		for i := range 5 {
			err := db.Write().InsertAuditEntry(context.Background(), store.InsertAuditEntryParams{
				AccountID: store.NullID(acc.ID), Action: "test", TargetType: "x", Detail: "{}", IP: "127.0.0.1",
				CreatedAt: t0.Add(time.Duration(i) * time.Second),
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		page, err := db.Read().ListAuditEntries(context.Background(), store.ListAuditEntriesParams{
			AccountID: store.NullID(acc.ID), BeforeID: math.MaxInt64, MaxRows: 3,
		})
		if err != nil || len(page) != 3 {
			t.Fatalf("first page: %d rows, err %v", len(page), err)
		}
		rest, err := db.Read().ListAuditEntries(context.Background(), store.ListAuditEntriesParams{
			AccountID: store.NullID(acc.ID), BeforeID: page[2].ID, MaxRows: 3,
		})
		if err != nil || len(rest) != 2 {
			t.Fatalf("second page: %d rows, err %v", len(rest), err)
		}
	})
}
