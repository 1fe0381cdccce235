package routing

import (
	"context"
	"fmt"
	"strings"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Settings are a department's routing settings.
type Settings struct {
	Distribution        string `json:"distribution"` // auto or manual
	Policy              string `json:"policy"`       // least_busy, round_robin, longest_idle
	OfferMode           string `json:"offer_mode"`   // offer or direct
	OfferTimeoutS       int32  `json:"offer_timeout_s"`
	Binding             bool   `json:"binding"`
	BindingNotify       bool   `json:"binding_notify"` // e-mail the bound agent who served instead
	InactivityS         int32  `json:"inactivity_s"`
	AbandonmentS        int32  `json:"abandonment_s"`
	CloseReasonRequired bool   `json:"close_reason_required"`
}

// DepartmentSettings returns a department's routing settings.
func (e *Engine) DepartmentSettings(ctx context.Context, p auth.Principal, departmentID int64) (Settings, error) {
	d, err := e.db.Read().GetDepartmentRouting(ctx, store.GetDepartmentRoutingParams{AccountID: p.AccountID, ID: departmentID})
	if err != nil {
		return Settings{}, fmt.Errorf("department %d: %w", departmentID, store.Translate(err))
	}
	return Settings{Distribution: d.Distribution, Policy: d.Policy, OfferMode: d.OfferMode, OfferTimeoutS: d.OfferTimeoutS,
		Binding: d.Binding, BindingNotify: d.BindingNotify, InactivityS: d.InactivityS, AbandonmentS: d.AbandonmentS,
		CloseReasonRequired: d.CloseReasonRequired}, nil
}

func (s Settings) check() error {
	switch {
	case s.Distribution != Auto && s.Distribution != Manual:
		return validate.Errorf("distribution", "must be auto or manual")
	case s.Policy != LeastBusy && s.Policy != RoundRobin && s.Policy != LongestIdle:
		return validate.Errorf("policy", "must be least_busy, round_robin or longest_idle")
	case s.OfferMode != OfferMode && s.OfferMode != DirectMode:
		return validate.Errorf("offer_mode", "must be offer or direct")
	case s.OfferTimeoutS < 5 || s.OfferTimeoutS > 600:
		return validate.Errorf("offer_timeout_s", "must be between 5 and 600 seconds")
	case s.InactivityS < 60:
		return validate.Errorf("inactivity_s", "must be at least 60 seconds")
	case s.AbandonmentS < 60:
		return validate.Errorf("abandonment_s", "must be at least 60 seconds")
	case s.Binding && s.Distribution != Auto:
		return validate.Errorf("binding", "works only with automatic distribution")
	}
	return nil
}

// SetDepartmentSettings changes a department's routing settings
// (administrators, or supervisors of the department), then routes its queue.
func (e *Engine) SetDepartmentSettings(ctx context.Context, p auth.Principal, departmentID int64, s Settings) error {
	if err := s.check(); err != nil {
		return err
	}
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		if _, err := q.GetDepartmentRouting(ctx, store.GetDepartmentRoutingParams{AccountID: p.AccountID, ID: departmentID}); err != nil {
			return fmt.Errorf("department %d: %w", departmentID, err)
		}
		if !p.IsAdmin() {
			ok, err := isMember(ctx, q, p.AccountID, departmentID, p.UserID)
			if err != nil {
				return err
			}
			if p.Role != auth.Supervisor || !ok {
				return fmt.Errorf("%w: only administrators and the department's supervisors change its routing", auth.ErrForbidden)
			}
		}
		fx.Route(p.AccountID, departmentID)
		if err := q.SetDepartmentRouting(ctx, store.SetDepartmentRoutingParams{
			AccountID: p.AccountID, ID: departmentID, Distribution: s.Distribution, Policy: s.Policy, OfferMode: s.OfferMode,
			OfferTimeoutS: s.OfferTimeoutS, Binding: s.Binding, BindingNotify: s.BindingNotify, InactivityS: s.InactivityS,
			AbandonmentS: s.AbandonmentS, CloseReasonRequired: s.CloseReasonRequired, UpdatedAt: e.clock.Now(),
		}); err != nil {
			return err
		}
		return e.audit(ctx, q, p, "department.routing", "department", departmentID, map[string]any{"settings": s})
	})
}

// Binding ties a contact to an agent in a department.
type Binding struct {
	DepartmentID int64  `json:"department_id"`
	ContactID    int64  `json:"contact_id"`
	ContactName  string `json:"contact_name"`
	AgentID      int64  `json:"agent_id"`
	AgentName    string `json:"agent_name"`
}

// BindingFilter narrows a list of bindings; zero values do not filter.
type BindingFilter struct {
	AgentID      int64
	DepartmentID int64
	ContactEmail string
}

// Bindings lists the account's bindings, filtered by agent, department and
// contact e-mail. Administrators and supervisors only.
func (e *Engine) Bindings(ctx context.Context, p auth.Principal, f BindingFilter) ([]Binding, error) {
	if !p.IsAdmin() && p.Role != auth.Supervisor {
		return nil, fmt.Errorf("%w: only administrators and supervisors manage bindings", auth.ErrForbidden)
	}
	rows, err := e.db.Read().ListBindings(ctx, store.ListBindingsParams{AccountID: p.AccountID, AgentID: f.AgentID, DepartmentID: f.DepartmentID,
		ContactEmail: strings.ToLower(strings.TrimSpace(f.ContactEmail))})
	if err != nil {
		return nil, err
	}
	out := make([]Binding, len(rows))
	for i, r := range rows {
		out[i] = Binding{DepartmentID: r.DepartmentID, ContactID: r.ContactID, ContactName: r.ContactName, AgentID: r.AgentID, AgentName: r.AgentName}
	}
	return out, nil
}

// SetBinding creates or changes the binding of a contact in a department.
func (e *Engine) SetBinding(ctx context.Context, p auth.Principal, departmentID, contactID, agentID int64) error {
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		if err := bindingAccess(ctx, q, p, departmentID); err != nil {
			return err
		}
		if _, err := q.ContactGet(ctx, store.ContactGetParams{AccountID: p.AccountID, ID: contactID}); err != nil {
			return fmt.Errorf("contact %d: %w", contactID, err)
		}
		member, err := isMember(ctx, q, p.AccountID, departmentID, agentID)
		if err != nil {
			return err
		}
		if !member {
			return validate.Errorf("agent_id", "is not a member of the department")
		}
		if err := q.UpsertBinding(ctx, store.UpsertBindingParams{AccountID: p.AccountID, DepartmentID: departmentID, ContactID: contactID, AgentID: agentID, CreatedAt: e.clock.Now()}); err != nil {
			return err
		}
		return e.audit(ctx, q, p, "binding.set", "contact", contactID, map[string]any{"department_id": departmentID, "agent_id": agentID})
	})
}

// DeleteBinding removes a contact's binding in a department.
func (e *Engine) DeleteBinding(ctx context.Context, p auth.Principal, departmentID, contactID int64) error {
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		if err := bindingAccess(ctx, q, p, departmentID); err != nil {
			return err
		}
		n, err := q.DeleteBinding(ctx, store.DeleteBindingParams{AccountID: p.AccountID, DepartmentID: departmentID, ContactID: contactID})
		if err == nil && n == 0 {
			err = fmt.Errorf("binding of contact %d in department %d: %w", contactID, departmentID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		return e.audit(ctx, q, p, "binding.delete", "contact", contactID, map[string]any{"department_id": departmentID})
	})
}

func bindingAccess(ctx context.Context, q *store.Queries, p auth.Principal, departmentID int64) error {
	if _, err := q.GetDepartmentRouting(ctx, store.GetDepartmentRoutingParams{AccountID: p.AccountID, ID: departmentID}); err != nil {
		return fmt.Errorf("department %d: %w", departmentID, err)
	}
	if p.IsAdmin() {
		return nil
	}
	ok, err := isMember(ctx, q, p.AccountID, departmentID, p.UserID)
	if err != nil {
		return err
	}
	if p.Role != auth.Supervisor || !ok {
		return fmt.Errorf("%w: only administrators and the department's supervisors manage its bindings", auth.ErrForbidden)
	}
	return nil
}

// CreatePauseReason adds a pause reason to the account (administrators).
func (e *Engine) CreatePauseReason(ctx context.Context, p auth.Principal, name string) (int64, error) {
	if !p.IsAdmin() {
		return 0, fmt.Errorf("%w: only administrators manage pause reasons", auth.ErrForbidden)
	}
	name, err := validate.Name("name", name, 60)
	if err != nil {
		return 0, err
	}
	var r store.PauseReason
	err = e.db.Tx(ctx, func(q *store.Queries) error {
		if r, err = q.CreatePauseReason(ctx, store.CreatePauseReasonParams{AccountID: p.AccountID, Name: name, CreatedAt: e.clock.Now()}); err != nil {
			return err
		}
		return e.audit(ctx, q, p, "pause_reason.create", "pause_reason", r.ID, map[string]any{"name": name})
	})
	return r.ID, err
}

// CreateCloseReason adds a close reason, for one department or (0) all.
func (e *Engine) CreateCloseReason(ctx context.Context, p auth.Principal, departmentID int64, name string) (int64, error) {
	if !p.IsAdmin() {
		return 0, fmt.Errorf("%w: only administrators manage close reasons", auth.ErrForbidden)
	}
	name, err := validate.Name("name", name, 100)
	if err != nil {
		return 0, err
	}
	var r store.CloseReason
	err = e.db.Tx(ctx, func(q *store.Queries) error {
		if err := checkReasonDepartment(ctx, q, p.AccountID, departmentID); err != nil {
			return err
		}
		if r, err = q.CreateCloseReason(ctx, store.CreateCloseReasonParams{AccountID: p.AccountID, DepartmentID: store.NullID(departmentID), Name: name, CreatedAt: e.clock.Now()}); err != nil {
			return err
		}
		return e.audit(ctx, q, p, "close_reason.create", "close_reason", r.ID, map[string]any{"name": name, "department_id": departmentID})
	})
	return r.ID, err
}

// SetExternalProtocolRequired sets whether closing needs an external
// protocol in the account (administrators).
func (e *Engine) SetExternalProtocolRequired(ctx context.Context, p auth.Principal, required bool) error {
	if !p.IsAdmin() {
		return fmt.Errorf("%w: only administrators change account settings", auth.ErrForbidden)
	}
	return e.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.SetExternalProtocolRequired(ctx, store.SetExternalProtocolRequiredParams{ID: p.AccountID, ExternalProtocolRequired: required}); err != nil {
			return err
		}
		return e.audit(ctx, q, p, "account.settings", "account", p.AccountID, map[string]any{"external_protocol_required": required})
	})
}
