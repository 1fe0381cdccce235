package bench

import (
	"context"
	"testing"
	"time"

	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// The loader writes what the server would have written: the engine's own
// invariants hold (loads match what agents serve, no conversation both
// assigned and offered), messages are numbered 1..n with the
// conversation's last_seq, finished conversations have closed_at, every
// contact has identities, and conversations opened afterwards number after
// the loaded ones.
func TestLoaderWritesConsistentHistory(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		_, w := db.SQL()
		var accountID, agentID int64
		if err := w.QueryRowContext(ctx, "INSERT INTO accounts (name, created_at) VALUES ('Loaded', $1) RETURNING id", now).Scan(&accountID); err != nil {
			t.Fatal(err)
		}
		if err := w.QueryRowContext(ctx, `INSERT INTO users (account_id, name, email, role, password_hash, created_at, updated_at, password_changed_at)
			VALUES ($1, 'Bench agent', 'bench@loader.test', 'agent', '!', $2, $2, $2) RETURNING id`, accountID, now).Scan(&agentID); err != nil {
			t.Fatal(err)
		}
		made, err := load(ctx, db, history{accountID: accountID, benchAgentID: agentID, benchActive: 7,
			conversations: 300, messages: 1501, agents: 4, departments: 3, span: 30 * 24 * time.Hour, seed: 1}, t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		if err := routing.CheckInvariants(ctx, db, accountID); err != nil {
			t.Fatalf("the loaded history breaks the engine's invariants: %v", err)
		}
		if made.benchActive != 7 || len(made.departmentIDs) != 3 {
			t.Fatalf("loaded %+v", made)
		}
		r := db.SQLRead()
		count := func(query string, args ...any) int64 {
			t.Helper()
			var n int64
			if err := r.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			return n
		}
		if n := count("SELECT count(*) FROM conversations WHERE account_id = $1", accountID); n != 300 {
			t.Errorf("%d conversations", n)
		}
		if n := count("SELECT count(*) FROM messages WHERE account_id = $1", accountID); n != 1501 {
			t.Errorf("%d messages", n)
		}
		if n := count(`SELECT count(*) FROM conversations c WHERE c.last_seq <> (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)
			OR c.last_seq <> (SELECT COALESCE(max(seq), 0) FROM messages m WHERE m.conversation_id = c.id)`); n != 0 {
			t.Errorf("%d conversations whose messages are not numbered 1..last_seq", n)
		}
		if n := count("SELECT count(*) FROM conversations WHERE status IN ('closed', 'abandoned') AND closed_at IS NULL"); n != 0 {
			t.Errorf("%d finished conversations without closed_at", n)
		}
		if n := count("SELECT count(*) FROM conversations WHERE status = 'active' AND agent_id = $1", agentID); n != 7 {
			t.Errorf("the bench agent serves %d conversations, want 7", n)
		}
		if n := count("SELECT count(*) FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM contact_identities i WHERE i.contact_id = c.id)"); n != 0 {
			t.Errorf("%d contacts without identities", n)
		}
		if n := count("SELECT count(*) FROM messages WHERE direction = 'out' AND sender_id IS NULL"); n != 0 {
			t.Errorf("%d agent messages without their agent", n)
		}
		// Timestamps as the server writes them: to the microsecond.
		var closed time.Time
		if err := r.QueryRowContext(ctx, "SELECT closed_at FROM conversations WHERE closed_at IS NOT NULL ORDER BY id DESC LIMIT 1").Scan(&closed); err != nil {
			t.Fatal(err)
		}
		if !closed.Equal(closed.Truncate(time.Microsecond)) {
			t.Errorf("closed_at %v has nanoseconds; the server keeps microseconds", closed)
		}
		var next int64
		if err := r.QueryRowContext(ctx, "SELECT next_protocol FROM accounts WHERE id = $1", accountID).Scan(&next); err != nil || next != 301 {
			t.Errorf("next protocol = %d (%v), want 301", next, err)
		}
		// New rows after the load get fresh ids (PostgreSQL's sequences
		// moved past the loaded ids).
		if _, err := w.ExecContext(ctx, "INSERT INTO contacts (account_id, name, created_at, updated_at) VALUES ($1, 'After', $2, $2)", accountID, now); err != nil {
			t.Errorf("a contact after the load: %v", err)
		}
	})
}
