package store

import (
	"context"
	"database/sql"
	"sync"
)

// statements prepares each query once per pool and reuses it. On SQLite,
// parsing the SQL again for every statement took a fifth of the server's
// processor time under load (atende bench assign); PostgreSQL's driver
// (pgx) already keeps a statement cache of its own per connection.
//
// Reusing a prepared statement is safe because the generated queries read
// all their rows before returning: no statement is ever stepped by two
// callers on one connection at once.
type statements struct {
	pool   *sql.DB
	mu     sync.RWMutex
	byQ    map[string]*sql.Stmt
	wanted map[string]bool // run unprepared in a transaction
}

// maxStatements bounds the cache; the queries are sqlc's constants, a few
// hundred, so it is never reached unless someone passes built SQL.
const maxStatements = 2000

func newStatements(pool *sql.DB) *statements {
	return &statements{pool: pool, byQ: map[string]*sql.Stmt{}}
}

// prepared is the pool's statement for query, if it was prepared before.
func (s *statements) prepared(query string) *sql.Stmt {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byQ[query]
}

// prepare is the pool's statement for query, prepared now if need be; nil
// when it cannot be (the caller runs the query as is and reports its
// error). It must not be called inside a transaction on the pool: on
// SQLite's single writer connection, preparing would wait for the very
// connection the transaction holds. No lock is held while preparing.
func (s *statements) prepare(ctx context.Context, query string) *sql.Stmt {
	if st := s.prepared(query); st != nil {
		return st
	}
	st, err := s.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if have := s.byQ[query]; have != nil || len(s.byQ) >= maxStatements {
		st.Close()
		return have
	}
	s.byQ[query] = st
	return st
}

// want notes a query a transaction ran unprepared, to prepare once the
// transaction is over (prepareWanted).
func (s *statements) want(query string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wanted == nil {
		s.wanted = map[string]bool{}
	}
	s.wanted[query] = true
}

// prepareWanted prepares what transactions ran unprepared; DB.Tx calls it
// after commit or rollback, when the connection is free.
func (s *statements) prepareWanted(ctx context.Context) {
	s.mu.Lock()
	var queries []string
	for q := range s.wanted {
		queries = append(queries, q)
	}
	clear(s.wanted)
	s.mu.Unlock()
	for _, q := range queries {
		s.prepare(ctx, q)
	}
}

func (s *statements) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q, st := range s.byQ {
		st.Close()
		delete(s.byQ, q)
	}
}

// cachedPool runs queries on a pool through its prepared statements.
type cachedPool struct{ *statements }

func (c cachedPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.prepare(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.pool.ExecContext(ctx, query, args...)
}

func (c cachedPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return c.pool.PrepareContext(ctx, query)
}

func (c cachedPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.prepare(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.pool.QueryContext(ctx, query, args...)
}

func (c cachedPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.prepare(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.pool.QueryRowContext(ctx, query, args...)
}

// cachedTx runs a transaction's queries through the pool's prepared
// statements (database/sql reuses the one prepared on the transaction's
// connection).
type cachedTx struct {
	tx *sql.Tx
	*statements
	// detached: the queries ignore their context's cancellation, because
	// the transaction is shared (groupCommit) and an interrupted statement
	// would roll back the others' parts as well.
	detached bool
}

func (c cachedTx) context(ctx context.Context) context.Context {
	if c.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (c cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = c.context(ctx)
	if st := c.prepared(query); st != nil {
		return c.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	c.want(query)
	return c.tx.ExecContext(ctx, query, args...)
}

func (c cachedTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	ctx = c.context(ctx)
	return c.tx.PrepareContext(ctx, query)
}

func (c cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = c.context(ctx)
	if st := c.prepared(query); st != nil {
		return c.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	c.want(query)
	return c.tx.QueryContext(ctx, query, args...)
}

func (c cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = c.context(ctx)
	if st := c.prepared(query); st != nil {
		return c.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	c.want(query)
	return c.tx.QueryRowContext(ctx, query, args...)
}
