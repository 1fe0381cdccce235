// Package department manages departments — the teams of agents that share a
// queue and routing settings — and who belongs to them.
//
// Administrators create, rename and remove departments and manage anyone's
// membership. Supervisors manage the departments they belong to: they rename
// them and add or remove agents. Everybody in the account may list
// departments and their members (transfers need them).
package department

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atende/atende/internal/audit"
	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Department is a team of agents with a queue.
type Department struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func departmentOf(d store.Department) Department {
	return Department{ID: d.ID, Name: d.Name, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// Member is a user in a department.
type Member struct {
	UserID      int64     `json:"user_id"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	Role        auth.Role `json:"role"`
	MemberSince time.Time `json:"member_since"`
}

// Service manages departments.
type Service struct {
	db    *store.DB
	clock clock.Clock
}

// New returns a Service on db.
func New(db *store.DB, clk clock.Clock) *Service { return &Service{db: db, clock: clk} }

func nameTaken(err error) error {
	if errors.Is(store.Translate(err), store.ErrConflict) {
		return fmt.Errorf("%w: %w", store.ErrConflict, validate.Errorf("name", "another department already has this name"))
	}
	return err
}

// Create adds a department. Only administrators may.
func (s *Service) Create(ctx context.Context, p auth.Principal, name string) (Department, error) {
	if !p.IsAdmin() {
		return Department{}, fmt.Errorf("%w: only administrators create departments", auth.ErrForbidden)
	}
	name, err := validate.Name("name", name, 100)
	if err != nil {
		return Department{}, err
	}
	var d store.Department
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		now := s.clock.Now()
		if d, err = q.CreateDepartment(ctx, store.CreateDepartmentParams{AccountID: p.AccountID, Name: name, CreatedAt: now}); err != nil {
			return nameTaken(err)
		}
		return audit.Record(ctx, q, now, audit.Entry{AccountID: p.AccountID, ActorID: p.UserID, Action: "department.create",
			TargetType: "department", TargetID: d.ID, Detail: map[string]any{"name": name}, IP: p.IP})
	})
	if err != nil {
		return Department{}, err
	}
	return departmentOf(d), nil
}

// List returns the account's departments.
func (s *Service) List(ctx context.Context, p auth.Principal) ([]Department, error) {
	rows, err := s.db.Read().ListDepartments(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("list departments of account %d: %w", p.AccountID, err)
	}
	out := make([]Department, len(rows))
	for i, r := range rows {
		out[i] = departmentOf(r)
	}
	return out, nil
}

// Get returns one department of the caller's account.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Department, error) {
	d, err := s.db.Read().GetDepartment(ctx, store.GetDepartmentParams{AccountID: p.AccountID, ID: id})
	if err != nil {
		return Department{}, fmt.Errorf("department %d: %w", id, store.Translate(err))
	}
	return departmentOf(d), nil
}

// mayManage loads department id for the caller and checks they manage it:
// administrators manage every department, supervisors those they belong to.
func mayManage(ctx context.Context, q *store.Queries, p auth.Principal, id int64) (store.Department, error) {
	d, err := q.GetDepartment(ctx, store.GetDepartmentParams{AccountID: p.AccountID, ID: id})
	if err != nil {
		return d, fmt.Errorf("department %d: %w", id, err)
	}
	if p.IsAdmin() {
		return d, nil
	}
	if p.Role == auth.Supervisor {
		n, err := q.IsDepartmentMember(ctx, store.IsDepartmentMemberParams{AccountID: p.AccountID, DepartmentID: id, UserID: p.UserID})
		if err != nil {
			return d, err
		}
		if n > 0 {
			return d, nil
		}
		return d, fmt.Errorf("%w: supervisors manage only their own departments", auth.ErrForbidden)
	}
	return d, fmt.Errorf("%w: agents do not manage departments", auth.ErrForbidden)
}

// Rename changes a department's name.
func (s *Service) Rename(ctx context.Context, p auth.Principal, id int64, name string) (Department, error) {
	name, err := validate.Name("name", name, 100)
	if err != nil {
		return Department{}, err
	}
	var d store.Department
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		old, err := mayManage(ctx, q, p, id)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if d, err = q.RenameDepartment(ctx, store.RenameDepartmentParams{AccountID: p.AccountID, ID: id, Name: name, UpdatedAt: now}); err != nil {
			return nameTaken(err)
		}
		return audit.Record(ctx, q, now, audit.Entry{AccountID: p.AccountID, ActorID: p.UserID, Action: "department.update",
			TargetType: "department", TargetID: id, Detail: map[string]any{"name": []string{old.Name, name}}, IP: p.IP})
	})
	if err != nil {
		return Department{}, err
	}
	return departmentOf(d), nil
}

// Delete removes a department and its memberships. Only administrators may.
// The row stays, marked deleted, so past conversations still name it.
func (s *Service) Delete(ctx context.Context, p auth.Principal, id int64) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		d, err := q.GetDepartment(ctx, store.GetDepartmentParams{AccountID: p.AccountID, ID: id})
		if err != nil {
			return fmt.Errorf("department %d: %w", id, err)
		}
		if !p.IsAdmin() {
			return fmt.Errorf("%w: only administrators remove departments", auth.ErrForbidden)
		}
		now := s.clock.Now()
		if err := q.RemoveAllDepartmentMembers(ctx, store.RemoveAllDepartmentMembersParams{AccountID: p.AccountID, DepartmentID: id}); err != nil {
			return err
		}
		if _, err := q.DeleteDepartment(ctx, store.DeleteDepartmentParams{AccountID: p.AccountID, ID: id, DeletedAt: store.Null(now)}); err != nil {
			return err
		}
		return audit.Record(ctx, q, now, audit.Entry{AccountID: p.AccountID, ActorID: p.UserID, Action: "department.delete",
			TargetType: "department", TargetID: id, Detail: map[string]any{"name": d.Name}, IP: p.IP})
	})
}

// Members lists a department's members.
func (s *Service) Members(ctx context.Context, p auth.Principal, id int64) ([]Member, error) {
	q := s.db.Read()
	if _, err := q.GetDepartment(ctx, store.GetDepartmentParams{AccountID: p.AccountID, ID: id}); err != nil {
		return nil, fmt.Errorf("department %d: %w", id, store.Translate(err))
	}
	rows, err := q.ListDepartmentMembers(ctx, store.ListDepartmentMembersParams{AccountID: p.AccountID, DepartmentID: id})
	if err != nil {
		return nil, fmt.Errorf("members of department %d: %w", id, err)
	}
	out := make([]Member, len(rows))
	for i, r := range rows {
		out[i] = Member{UserID: r.ID, Name: r.Name, Email: r.Email, Role: auth.Role(r.Role), MemberSince: r.MemberSince}
	}
	return out, nil
}

// memberChange checks that the caller may add or remove user userID in
// department id: supervisors move agents only.
func memberChange(ctx context.Context, q *store.Queries, p auth.Principal, id, userID int64) (store.Department, store.User, error) {
	d, err := mayManage(ctx, q, p, id)
	if err != nil {
		return d, store.User{}, err
	}
	u, err := q.GetUser(ctx, store.GetUserParams{AccountID: p.AccountID, ID: userID})
	if err != nil {
		return d, u, fmt.Errorf("user %d: %w", userID, err)
	}
	if !p.IsAdmin() && u.Role != string(auth.Agent) {
		return d, u, fmt.Errorf("%w: supervisors add and remove agents only", auth.ErrForbidden)
	}
	return d, u, nil
}

// AddMember puts a user in a department; adding a member twice is harmless.
func (s *Service) AddMember(ctx context.Context, p auth.Principal, id, userID int64) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		d, u, err := memberChange(ctx, q, p, id, userID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		n, err := q.AddDepartmentMember(ctx, store.AddDepartmentMemberParams{AccountID: p.AccountID, DepartmentID: id, UserID: userID, CreatedAt: now})
		if err != nil || n == 0 {
			return err
		}
		return audit.Record(ctx, q, now, audit.Entry{AccountID: p.AccountID, ActorID: p.UserID, Action: "department.member_add",
			TargetType: "department", TargetID: id, Detail: map[string]any{"department": d.Name, "user_id": userID, "user": u.Name}, IP: p.IP})
	})
}

// RemoveMember takes a user out of a department.
func (s *Service) RemoveMember(ctx context.Context, p auth.Principal, id, userID int64) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		d, u, err := memberChange(ctx, q, p, id, userID)
		if err != nil {
			return err
		}
		n, err := q.RemoveDepartmentMember(ctx, store.RemoveDepartmentMemberParams{AccountID: p.AccountID, DepartmentID: id, UserID: userID})
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("user %d in department %d: %w", userID, id, store.ErrNotFound)
		}
		return audit.Record(ctx, q, s.clock.Now(), audit.Entry{AccountID: p.AccountID, ActorID: p.UserID, Action: "department.member_remove",
			TargetType: "department", TargetID: id, Detail: map[string]any{"department": d.Name, "user_id": userID, "user": u.Name}, IP: p.IP})
	})
}
