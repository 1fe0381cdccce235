package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The write-ahead log must stay small while writes and reads go on without
// a pause: a checkpointer beside the writer once let it grow by gigabytes a
// minute, because the log can start over only when a checkpoint has copied
// all of it and nothing was committed since.
func TestTheLogStaysSmallUnderSteadyWritesAndReads(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.write.ExecContext(ctx, "CREATE TABLE filler (b TEXT)"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n int
				err := db.read.QueryRowContext(ctx, "SELECT length(b) FROM filler ORDER BY rowid DESC LIMIT 1").Scan(&n)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					t.Error(err)
					return
				}
			}
		})
	}
	row := strings.Repeat("x", 4000)
	var writers sync.WaitGroup
	for w := range 8 {
		writers.Go(func() {
			for range 400 {
				err := db.Tx(ctx, func(q *Queries) error {
					_, err := q.db.ExecContext(ctx, "INSERT INTO filler (b) VALUES (?)", row)
					return err
				})
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	// 3,200 transactions of a page or two each, some 20–40 MB of log in all
	// if it never started over; SQLite's checkpoints every 1,000 pages keep
	// it near 4 MB.
	info, err := os.Stat(filepath.Join(dir, "atende.db-wal"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > 12<<20 {
		t.Fatalf("the log is %d MB after 3,200 small transactions", info.Size()>>20)
	}
}
