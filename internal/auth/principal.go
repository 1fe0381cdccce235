// Package auth signs people in and says what they may do: users, roles,
// password hashes, sessions, API tokens and the sign-in throttle.
//
// Every account-scoped operation takes the caller's Principal. The queries
// behind it filter by the principal's account, so another account's item is
// indistinguishable from a missing one (store.ErrNotFound → 404); the
// principal's role decides the rest (ErrForbidden → 403).
package auth

import (
	"errors"
	"fmt"
	"time"
)

// Role is what a user may do in their account.
type Role string

const (
	// Admin manages the account: users, departments, settings.
	Admin Role = "admin"
	// Supervisor manages the departments they belong to.
	Supervisor Role = "supervisor"
	// Agent works in the departments they belong to.
	Agent Role = "agent"
)

// ParseRole accepts "admin", "supervisor" or "agent".
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Admin, Supervisor, Agent:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (want admin, supervisor or agent)", s)
}

var (
	// ErrUnauthenticated: no valid session or token, or wrong credentials.
	ErrUnauthenticated = errors.New("authentication required")
	// ErrForbidden: the caller is known but their role does not allow this.
	ErrForbidden = errors.New("not allowed")
)

// ThrottledError refuses a sign-in attempt for a while.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; try again in %s", e.RetryAfter.Round(time.Second))
}

// Principal is the caller of an operation: a signed-in user, through a
// session cookie or an API token, from an address.
type Principal struct {
	UserID    int64
	AccountID int64
	Role      Role
	Name      string
	Email     string
	// SessionHash identifies the session the request came with ("" for a token).
	SessionHash string
	// TokenID is the API token the request came with (0 for a session).
	TokenID int64
	// IP is the client's address, for the audit log and throttling.
	IP string
}

// IsAdmin reports whether the caller administers the account.
func (p Principal) IsAdmin() bool { return p.Role == Admin }

// require returns ErrForbidden unless ok.
func require(ok bool, what string) error {
	if !ok {
		return fmt.Errorf("%w: %s", ErrForbidden, what)
	}
	return nil
}
