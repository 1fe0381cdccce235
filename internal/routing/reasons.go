package routing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atende/atende/internal/audit"
	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// PauseReason is why an agent pauses ("Almoço", "Treinamento").
// Deactivated reasons stay, so the presence log still names them.
type PauseReason struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

func pauseReasonOf(r store.PauseReason) PauseReason {
	return PauseReason{ID: r.ID, Name: r.Name, Active: r.Active, CreatedAt: r.CreatedAt}
}

// PauseReasons lists the account's pause reasons, active or not. Everybody
// in the account may read them.
func (e *Engine) PauseReasons(ctx context.Context, p auth.Principal) ([]PauseReason, error) {
	rows, err := e.db.Read().ListPauseReasons(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	out := make([]PauseReason, len(rows))
	for i, r := range rows {
		out[i] = pauseReasonOf(r)
	}
	return out, nil
}

// PauseReason returns one of the account's pause reasons.
func (e *Engine) PauseReason(ctx context.Context, p auth.Principal, id int64) (PauseReason, error) {
	r, err := e.db.Read().GetPauseReasonAny(ctx, store.GetPauseReasonAnyParams{AccountID: p.AccountID, ID: id})
	if err != nil {
		return PauseReason{}, fmt.Errorf("pause reason %d: %w", id, store.Translate(err))
	}
	return pauseReasonOf(r), nil
}

// ReasonChanges edits a pause or close reason; nil fields stay.
type ReasonChanges struct {
	Name   *string
	Active *bool
	// DepartmentID (close reasons only): 0 makes it a reason of every
	// department.
	DepartmentID *int64
}

// UpdatePauseReason renames, deactivates or reactivates a pause reason
// (administrators). Agents paused for it stay paused.
func (e *Engine) UpdatePauseReason(ctx context.Context, p auth.Principal, id int64, ch ReasonChanges) (PauseReason, error) {
	if !p.IsAdmin() {
		return PauseReason{}, fmt.Errorf("%w: only administrators manage pause reasons", auth.ErrForbidden)
	}
	if ch.DepartmentID != nil {
		return PauseReason{}, validate.Errorf("department_id", "pause reasons belong to the whole account")
	}
	var out store.PauseReason
	err := e.db.Tx(ctx, func(q *store.Queries) error {
		r, err := q.GetPauseReasonAny(ctx, store.GetPauseReasonAnyParams{AccountID: p.AccountID, ID: id})
		if err != nil {
			return fmt.Errorf("pause reason %d: %w", id, err)
		}
		if ch.Name != nil {
			if r.Name, err = validate.Name("name", *ch.Name, 60); err != nil {
				return err
			}
		}
		if ch.Active != nil {
			r.Active = *ch.Active
		}
		if out, err = q.UpdatePauseReason(ctx, store.UpdatePauseReasonParams{AccountID: p.AccountID, ID: id, Name: r.Name, Active: r.Active}); err != nil {
			return err
		}
		return e.audit(ctx, q, p, "pause_reason.update", "pause_reason", id, map[string]any{"name": r.Name, "active": r.Active})
	})
	return pauseReasonOf(out), err
}

// CloseReason is a tabulation an agent closes a conversation with, for one
// department or (DepartmentID nil) every department.
type CloseReason struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	DepartmentID *int64    `json:"department_id"`
	Active       bool      `json:"active"`
	CreatedAt    time.Time `json:"created_at"`
}

func closeReasonOf(r store.CloseReason) CloseReason {
	return CloseReason{ID: r.ID, Name: r.Name, DepartmentID: idPtr(r.DepartmentID), Active: r.Active, CreatedAt: r.CreatedAt}
}

// CloseReasons lists the account's close reasons, active or not; with a
// department, only those that apply to it (its own and the account-wide
// ones). Everybody in the account may read them.
func (e *Engine) CloseReasons(ctx context.Context, p auth.Principal, departmentID int64) ([]CloseReason, error) {
	rows, err := e.db.Read().ListCloseReasons(ctx, store.ListCloseReasonsParams{AccountID: p.AccountID, DepartmentID: departmentID})
	if err != nil {
		return nil, err
	}
	out := make([]CloseReason, len(rows))
	for i, r := range rows {
		out[i] = closeReasonOf(r)
	}
	return out, nil
}

// CloseReason returns one of the account's close reasons.
func (e *Engine) CloseReason(ctx context.Context, p auth.Principal, id int64) (CloseReason, error) {
	r, err := e.db.Read().GetCloseReason(ctx, store.GetCloseReasonParams{AccountID: p.AccountID, ID: id})
	if err != nil {
		return CloseReason{}, fmt.Errorf("close reason %d: %w", id, store.Translate(err))
	}
	return closeReasonOf(r), nil
}

// checkReasonDepartment: a close reason's department must be one of the
// account's.
func checkReasonDepartment(ctx context.Context, q *store.Queries, accountID, departmentID int64) error {
	if departmentID == 0 {
		return nil
	}
	if _, err := q.GetDepartment(ctx, store.GetDepartmentParams{AccountID: accountID, ID: departmentID}); err != nil {
		if errors.Is(store.Translate(err), store.ErrNotFound) {
			return validate.Errorf("department_id", "is not one of the account's departments")
		}
		return err
	}
	return nil
}

// UpdateCloseReason renames, moves, deactivates or reactivates a close
// reason (administrators). Closed conversations keep naming it.
func (e *Engine) UpdateCloseReason(ctx context.Context, p auth.Principal, id int64, ch ReasonChanges) (CloseReason, error) {
	if !p.IsAdmin() {
		return CloseReason{}, fmt.Errorf("%w: only administrators manage close reasons", auth.ErrForbidden)
	}
	var out store.CloseReason
	err := e.db.Tx(ctx, func(q *store.Queries) error {
		r, err := q.GetCloseReason(ctx, store.GetCloseReasonParams{AccountID: p.AccountID, ID: id})
		if err != nil {
			return fmt.Errorf("close reason %d: %w", id, err)
		}
		if ch.Name != nil {
			if r.Name, err = validate.Name("name", *ch.Name, 100); err != nil {
				return err
			}
		}
		if ch.Active != nil {
			r.Active = *ch.Active
		}
		if ch.DepartmentID != nil {
			if err := checkReasonDepartment(ctx, q, p.AccountID, *ch.DepartmentID); err != nil {
				return err
			}
			r.DepartmentID = store.NullID(*ch.DepartmentID)
		}
		if out, err = q.UpdateCloseReason(ctx, store.UpdateCloseReasonParams{AccountID: p.AccountID, ID: id, Name: r.Name, Active: r.Active, DepartmentID: r.DepartmentID}); err != nil {
			return err
		}
		return e.audit(ctx, q, p, "close_reason.update", "close_reason", id, map[string]any{"name": r.Name, "active": r.Active, "department_id": r.DepartmentID.Int64})
	})
	return closeReasonOf(out), err
}

// audit records an administrative change in the audit log, in the change's
// transaction.
func (e *Engine) audit(ctx context.Context, q *store.Queries, p auth.Principal, action, targetType string, targetID int64, detail map[string]any) error {
	return audit.Record(ctx, q, e.clock.Now(), audit.Entry{AccountID: p.AccountID, ActorID: p.UserID, Action: action,
		TargetType: targetType, TargetID: targetID, Detail: detail, IP: p.IP})
}

// AccountSettings are the account-wide conversation settings.
type AccountSettings struct {
	ExternalProtocolRequired bool `json:"external_protocol_required"`
}

// AccountSettings returns the account's settings; everybody in the account
// may read them (agents need them to close).
func (e *Engine) AccountSettings(ctx context.Context, p auth.Principal) (AccountSettings, error) {
	a, err := e.db.Read().GetAccountSettings(ctx, p.AccountID)
	if err != nil {
		return AccountSettings{}, fmt.Errorf("account %d: %w", p.AccountID, store.Translate(err))
	}
	return AccountSettings{ExternalProtocolRequired: a.ExternalProtocolRequired}, nil
}

// AccountChanges edits the account's settings; nil fields stay.
type AccountChanges struct {
	ExternalProtocolRequired *bool
}

// UpdateAccountSettings changes the account's settings (administrators)
// and returns them.
func (e *Engine) UpdateAccountSettings(ctx context.Context, p auth.Principal, ch AccountChanges) (AccountSettings, error) {
	if !p.IsAdmin() {
		return AccountSettings{}, fmt.Errorf("%w: only administrators change account settings", auth.ErrForbidden)
	}
	if ch.ExternalProtocolRequired != nil {
		if err := e.SetExternalProtocolRequired(ctx, p, *ch.ExternalProtocolRequired); err != nil {
			return AccountSettings{}, err
		}
	}
	return e.AccountSettings(ctx, p)
}

// AgentStatus is an agent's own routing state.
type AgentStatus struct {
	Presence Presence `json:"presence"`
	// Since is when the presence last changed; nil for an agent who never
	// set one.
	Since            *time.Time `json:"since"`
	PauseReason      *Ref       `json:"pause_reason"`
	Load             int32      `json:"load"`
	Capacity         int32      `json:"capacity"`
	AutoDistribution bool       `json:"auto_distribution"`
}

// Status returns the caller's presence, pause reason, load and capacity.
func (e *Engine) Status(ctx context.Context, p auth.Principal) (AgentStatus, error) {
	q := e.db.Read()
	st, err := q.GetAgentState(ctx, p.UserID)
	if errors.Is(store.Translate(err), store.ErrNotFound) {
		return AgentStatus{Presence: Offline, Capacity: e.opts.DefaultCapacity, AutoDistribution: true}, nil
	}
	if err != nil {
		return AgentStatus{}, err
	}
	out := AgentStatus{Presence: Presence(st.Presence), Since: &st.PresenceSince, Load: st.Load, Capacity: st.Capacity, AutoDistribution: st.AutoDistribution}
	if st.PauseReasonID.Valid {
		r, err := q.GetPauseReasonAny(ctx, store.GetPauseReasonAnyParams{AccountID: p.AccountID, ID: st.PauseReasonID.Int64})
		if err != nil {
			return AgentStatus{}, fmt.Errorf("pause reason %d: %w", st.PauseReasonID.Int64, store.Translate(err))
		}
		out.PauseReason = &Ref{ID: r.ID, Name: r.Name}
	}
	return out, nil
}
