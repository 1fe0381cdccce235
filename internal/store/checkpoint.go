package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// checkpointEvery is how often the checkpointer copies SQLite's write-ahead
// log back into the database file.
const checkpointEvery = time.Second

// checkpointer runs SQLite's WAL checkpoints on a connection of its own.
// Left to itself, SQLite runs one inside the commit that takes the log past
// 1,000 pages: the single writer, and every transaction queued behind it,
// then waits for the copy and its fsync. A passive checkpoint from another
// connection does the same work beside the writer (it waits for no reader
// or writer), and the writer still starts the log over once it has all
// been copied.
type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func newCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			// A failure (the disk, say) shows in the writer's own commits;
			// the next tick tries again.
			c.checkpoint(context.Background())
		}
	}
}

// checkpoint copies what it can of the log into the database file and says
// how many pages the log holds and how many of them are copied.
func (c *checkpointer) checkpoint(ctx context.Context) (logged, copied int, err error) {
	var busy int
	err = c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logged, &copied)
	return logged, copied, err
}

func (c *checkpointer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
	c.db.Close()
}
