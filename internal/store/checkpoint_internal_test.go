package store

import (
	"context"
	"strings"
	"testing"
)

func TestTheWriterLeavesCheckpointsToTheCheckpointer(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	var auto int
	if err := db.write.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil {
		t.Fatal(err)
	}
	if auto != 0 {
		t.Fatalf("the writer checkpoints every %d pages itself, inside its commits", auto)
	}

	// Well past the 1,000 pages at which SQLite would have checkpointed.
	if _, err := db.write.ExecContext(ctx, "CREATE TABLE filler (b TEXT)"); err != nil {
		t.Fatal(err)
	}
	page := strings.Repeat("x", 4000)
	write := func(rows int) {
		t.Helper()
		err := db.Tx(ctx, func(q *Queries) error {
			for range rows {
				if _, err := q.db.ExecContext(ctx, "INSERT INTO filler (b) VALUES (?)", page); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	write(1500)
	logged, copied, err := db.checkpoints.checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if logged < 1500 || copied != logged {
		t.Fatalf("log %d pages, %d copied: want every one of at least 1,500 copied", logged, copied)
	}
	// Once all of it is copied, the writer starts the log over: it does
	// not grow for ever.
	write(10)
	if logged, _, err = db.checkpoints.checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if logged > 100 {
		t.Fatalf("after a full checkpoint and a small write the log holds %d pages: it was not started over", logged)
	}
}
