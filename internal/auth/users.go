package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atende/atende/internal/audit"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// User is a person who signs in to an account.
type User struct {
	ID        int64     `json:"id"`
	AccountID int64     `json:"account_id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func userOf(u store.User) User {
	return User{ID: u.ID, AccountID: u.AccountID, Name: u.Name, Email: u.Email, Role: Role(u.Role), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// NewUser is what an administrator fills in to add a user.
type NewUser struct {
	Name     string
	Email    string
	Role     string
	Password string
}

// ErrLastAdmin refuses a change that would leave an account without an
// administrator.
var ErrLastAdmin = errors.New("the account must keep at least one administrator")

func (n NewUser) check() (NewUser, error) {
	var err error
	if n.Name, err = validate.Name("name", n.Name, 100); err != nil {
		return n, err
	}
	if n.Email, err = validate.Email("email", n.Email); err != nil {
		return n, err
	}
	if _, err := ParseRole(n.Role); err != nil {
		return n, validate.Errorf("role", "must be admin, supervisor or agent")
	}
	return n, validate.Password("password", n.Password)
}

// CreateUser adds a user to the caller's account. Only administrators may.
func (s *Service) CreateUser(ctx context.Context, p Principal, n NewUser) (User, error) {
	if err := require(p.IsAdmin(), "only administrators add users"); err != nil {
		return User{}, err
	}
	n, err := n.check()
	if err != nil {
		return User{}, err
	}
	hash, err := HashPassword(n.Password)
	if err != nil {
		return User{}, err
	}
	var u store.User
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		now := s.clock.Now()
		u, err = q.CreateUser(ctx, store.CreateUserParams{
			AccountID: p.AccountID, Name: n.Name, Email: n.Email, Role: n.Role, PasswordHash: hash, CreatedAt: now,
		})
		if err != nil {
			return emailTaken(err)
		}
		return audit.Record(ctx, q, now, audit.Entry{
			AccountID: p.AccountID, ActorID: p.UserID, Action: "user.create", TargetType: "user", TargetID: u.ID,
			Detail: map[string]any{"name": u.Name, "email": u.Email, "role": u.Role}, IP: p.IP,
		})
	})
	if err != nil {
		return User{}, err
	}
	return userOf(u), nil
}

// emailTaken turns a unique violation on e-mail into a form error.
func emailTaken(err error) error {
	if errors.Is(store.Translate(err), store.ErrConflict) {
		return fmt.Errorf("%w: %w", store.ErrConflict, validate.Errorf("email", "is already in use"))
	}
	return err
}

// Users lists the caller's account's users. Everyone in the account may see
// who their colleagues are (to transfer a conversation, for instance).
func (s *Service) Users(ctx context.Context, p Principal) ([]User, error) {
	rows, err := s.db.Read().ListUsers(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("list users of account %d: %w", p.AccountID, err)
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = userOf(r)
	}
	return out, nil
}

// User returns one user of the caller's account.
func (s *Service) User(ctx context.Context, p Principal, id int64) (User, error) {
	u, err := s.db.Read().GetUser(ctx, store.GetUserParams{AccountID: p.AccountID, ID: id})
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, store.Translate(err))
	}
	return userOf(u), nil
}

// UserChanges are the fields of a user to change; nil leaves a field alone.
type UserChanges struct {
	Name     *string
	Email    *string
	Role     *string
	Password *string
	// CurrentPassword is required when people change their own password.
	CurrentPassword *string
}

// UpdateUser changes a user. Administrators change anyone in the account;
// everybody changes their own name, e-mail and password (the password only
// with the current one). A new password ends every other session of that
// user: all of them when an administrator sets it, all but the caller's
// when people change their own.
func (s *Service) UpdateUser(ctx context.Context, p Principal, id int64, c UserChanges) (User, error) {
	self := p.UserID == id
	if err := require(p.IsAdmin() || self, "only administrators change other users"); err != nil {
		// Same-account users are visible to everyone, so 403 reveals nothing;
		// another account's user still answers 404.
		if _, err := s.User(ctx, p, id); err != nil {
			return User{}, err
		}
		return User{}, err
	}
	if c.Role != nil && !p.IsAdmin() {
		return User{}, fmt.Errorf("%w: only administrators change roles", ErrForbidden)
	}
	var newHash string
	if c.Password != nil {
		if err := validate.Password("password", *c.Password); err != nil {
			return User{}, err
		}
		if self {
			// Checked before the write transaction: hashing is slow and on
			// SQLite the transaction holds the only writer.
			if err := s.checkCurrentPassword(ctx, p, c.CurrentPassword); err != nil {
				return User{}, err
			}
		}
		var err error
		if newHash, err = HashPassword(*c.Password); err != nil {
			return User{}, err
		}
	}

	var out store.User
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		now := s.clock.Now()
		u, err := q.GetUser(ctx, store.GetUserParams{AccountID: p.AccountID, ID: id})
		if err != nil {
			return fmt.Errorf("user %d: %w", id, err)
		}
		next := store.UpdateUserProfileParams{AccountID: p.AccountID, ID: id, Name: u.Name, Email: u.Email, Role: u.Role, UpdatedAt: now}
		if c.Name != nil {
			if next.Name, err = validate.Name("name", *c.Name, 100); err != nil {
				return err
			}
		}
		if c.Email != nil {
			if next.Email, err = validate.Email("email", *c.Email); err != nil {
				return err
			}
		}
		if c.Role != nil {
			r, err := ParseRole(*c.Role)
			if err != nil {
				return validate.Errorf("role", "must be admin, supervisor or agent")
			}
			next.Role = string(r)
			if u.Role == string(Admin) && r != Admin {
				if err := keepAnAdmin(ctx, q, p.AccountID); err != nil {
					return err
				}
			}
		}
		if out, err = q.UpdateUserProfile(ctx, next); err != nil {
			return emailTaken(err)
		}
		detail := map[string]any{}
		if next.Name != u.Name {
			detail["name"] = []string{u.Name, next.Name}
		}
		if next.Email != u.Email {
			detail["email"] = []string{u.Email, next.Email}
		}
		if next.Role != u.Role {
			detail["role"] = []string{u.Role, next.Role}
		}
		if c.Password != nil {
			detail["password"] = "changed"
			if _, err := q.UpdateUserPassword(ctx, store.UpdateUserPasswordParams{AccountID: p.AccountID, ID: id, PasswordHash: newHash, PasswordChangedAt: now}); err != nil {
				return err
			}
			ended, err := endSessions(ctx, q, p, id)
			if err != nil {
				return err
			}
			detail["sessions_ended"] = ended
		}
		return audit.Record(ctx, q, now, audit.Entry{
			AccountID: p.AccountID, ActorID: p.UserID, Action: "user.update", TargetType: "user", TargetID: id, Detail: detail, IP: p.IP,
		})
	})
	if err != nil {
		return User{}, err
	}
	return userOf(out), nil
}

// endSessions ends the sessions of user id after a password change, keeping
// the caller's own session when they changed their own password.
func endSessions(ctx context.Context, q *store.Queries, p Principal, id int64) (int64, error) {
	if p.UserID == id && p.SessionHash != "" {
		return q.DeleteOtherUserSessions(ctx, store.DeleteOtherUserSessionsParams{AccountID: p.AccountID, UserID: id, IDHash: p.SessionHash})
	}
	return q.DeleteUserSessions(ctx, store.DeleteUserSessionsParams{AccountID: p.AccountID, UserID: id})
}

// keepAnAdmin refuses a change that would leave the account without an
// administrator. It locks the account first: two administrators demoting
// each other at once would otherwise both count two admins and both succeed.
func keepAnAdmin(ctx context.Context, q *store.Queries, accountID int64) error {
	if err := q.LockAccount(ctx, accountID); err != nil {
		return err
	}
	n, err := q.CountAdmins(ctx, accountID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return ErrLastAdmin
	}
	return nil
}

// DeleteUser removes a user from the account: their sessions and tokens end
// and they leave every department. The row stays so history still names them.
// Only administrators may, and not on themselves.
func (s *Service) DeleteUser(ctx context.Context, p Principal, id int64) error {
	if err := require(p.IsAdmin(), "only administrators remove users"); err != nil {
		if _, err := s.User(ctx, p, id); err != nil {
			return err
		}
		return err
	}
	if id == p.UserID {
		return fmt.Errorf("%w: you cannot remove yourself", ErrForbidden)
	}
	return s.db.Tx(ctx, func(q *store.Queries) error {
		now := s.clock.Now()
		u, err := q.GetUser(ctx, store.GetUserParams{AccountID: p.AccountID, ID: id})
		if err != nil {
			return fmt.Errorf("user %d: %w", id, err)
		}
		if u.Role == string(Admin) {
			if err := keepAnAdmin(ctx, q, p.AccountID); err != nil {
				return err
			}
		}
		if _, err := q.DeleteUser(ctx, store.DeleteUserParams{AccountID: p.AccountID, ID: id, DeletedAt: store.Null(now)}); err != nil {
			return err
		}
		if _, err := q.DeleteUserSessions(ctx, store.DeleteUserSessionsParams{AccountID: p.AccountID, UserID: id}); err != nil {
			return err
		}
		if err := q.DeleteUserAPITokens(ctx, store.DeleteUserAPITokensParams{AccountID: p.AccountID, UserID: id}); err != nil {
			return err
		}
		if err := q.RemoveUserFromAllDepartments(ctx, store.RemoveUserFromAllDepartmentsParams{AccountID: p.AccountID, UserID: id}); err != nil {
			return err
		}
		return audit.Record(ctx, q, now, audit.Entry{
			AccountID: p.AccountID, ActorID: p.UserID, Action: "user.delete", TargetType: "user", TargetID: id,
			Detail: map[string]any{"name": u.Name, "email": u.Email}, IP: p.IP,
		})
	})
}

// Me is the signed-in user with their account and departments.
type Me struct {
	User
	Account     Account      `json:"account"`
	Departments []Membership `json:"departments"`
}

// Account is a tenant.
type Account struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Membership names a department a user belongs to.
type Membership struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Me returns the caller with their account and departments.
func (s *Service) Me(ctx context.Context, p Principal) (Me, error) {
	q := s.db.Read()
	u, err := s.User(ctx, p, p.UserID)
	if err != nil {
		return Me{}, err
	}
	acc, err := q.GetAccount(ctx, p.AccountID)
	if err != nil {
		return Me{}, fmt.Errorf("account %d: %w", p.AccountID, store.Translate(err))
	}
	deps, err := q.ListUserDepartments(ctx, store.ListUserDepartmentsParams{AccountID: p.AccountID, UserID: p.UserID})
	if err != nil {
		return Me{}, fmt.Errorf("departments of user %d: %w", p.UserID, err)
	}
	me := Me{User: u, Account: Account{ID: acc.ID, Name: acc.Name}, Departments: make([]Membership, len(deps))}
	for i, d := range deps {
		me.Departments[i] = Membership{ID: d.ID, Name: d.Name}
	}
	return me, nil
}

// AuditLog returns the account's audit entries, newest first, to
// administrators.
func (s *Service) AuditLog(ctx context.Context, p Principal, beforeID int64, limit int) ([]audit.Logged, error) {
	if err := require(p.IsAdmin(), "only administrators read the audit log"); err != nil {
		return nil, err
	}
	return audit.List(ctx, s.db.Read(), p.AccountID, beforeID, limit)
}

func (s *Service) checkCurrentPassword(ctx context.Context, p Principal, current *string) error {
	if current == nil {
		return validate.Errorf("current_password", "is required to change your own password")
	}
	u, err := s.db.Read().GetUser(ctx, store.GetUserParams{AccountID: p.AccountID, ID: p.UserID})
	if err != nil {
		return fmt.Errorf("user %d: %w", p.UserID, store.Translate(err))
	}
	ok, err := CheckPassword(u.PasswordHash, *current)
	if err != nil {
		return err
	}
	if !ok {
		return validate.Errorf("current_password", "is not your current password")
	}
	return nil
}
