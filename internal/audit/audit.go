// Package audit records who did what, when and from which address: sign-ins,
// failed sign-ins and every administrative change. Entries are written in the
// same transaction as the change they describe, so neither exists without the
// other.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/atende/atende/internal/store"
)

// Entry is one audited event.
type Entry struct {
	AccountID  int64 // 0 when unknown (a failed sign-in for an unknown e-mail)
	ActorID    int64 // 0 when nobody is signed in
	Action     string
	TargetType string
	TargetID   int64
	Detail     map[string]any
	IP         string
}

// Record writes e with q, normally inside the change's transaction.
func Record(ctx context.Context, q *store.Queries, at time.Time, e Entry) error {
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("audit %s: encode detail: %w", e.Action, err)
		}
	}
	err := q.InsertAuditEntry(ctx, store.InsertAuditEntryParams{
		AccountID:   store.NullID(e.AccountID),
		ActorUserID: store.NullID(e.ActorID),
		Action:      e.Action,
		TargetType:  e.TargetType,
		TargetID:    store.NullID(e.TargetID),
		Detail:      string(detail),
		IP:          e.IP,
		CreatedAt:   at,
	})
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Logged is an entry as read back.
type Logged struct {
	ID         int64          `json:"id"`
	ActorID    *int64         `json:"actor_id"`
	ActorName  string         `json:"actor_name"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   *int64         `json:"target_id"`
	Detail     map[string]any `json:"detail"`
	IP         string         `json:"ip"`
	CreatedAt  time.Time      `json:"created_at"`
}

// List returns up to limit entries of an account, newest first, older than
// beforeID (0: from the newest). Callers check the reader may see them.
func List(ctx context.Context, q *store.Queries, accountID, beforeID int64, limit int) ([]Logged, error) {
	if beforeID <= 0 {
		beforeID = math.MaxInt64
	}
	rows, err := q.ListAuditEntries(ctx, store.ListAuditEntriesParams{
		AccountID: store.NullID(accountID), BeforeID: beforeID, MaxRows: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("list audit entries of account %d: %w", accountID, err)
	}
	out := make([]Logged, 0, len(rows))
	for _, r := range rows {
		l := Logged{ID: r.ID, ActorName: r.ActorName, Action: r.Action, TargetType: r.TargetType, IP: r.IP, CreatedAt: r.CreatedAt}
		if r.ActorUserID.Valid {
			l.ActorID = &r.ActorUserID.Int64
		}
		if r.TargetID.Valid {
			l.TargetID = &r.TargetID.Int64
		}
		if err := json.Unmarshal([]byte(r.Detail), &l.Detail); err != nil {
			return nil, fmt.Errorf("audit entry %d: decode detail: %w", r.ID, err)
		}
		out = append(out, l)
	}
	return out, nil
}
