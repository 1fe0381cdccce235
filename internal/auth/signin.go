package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atende/atende/internal/audit"
	"github.com/atende/atende/internal/store"
)

// Client describes where a request comes from.
type Client struct {
	IP        string
	UserAgent string
}

// Session is a new sign-in: Token goes in the cookie, never in the database.
type Session struct {
	Token     string
	ExpiresAt time.Time
}

// sessionTouchEvery limits writes: a session's expiry moves forward at most
// this often, not on every request.
const sessionTouchEvery = 5 * time.Minute

// Login checks an e-mail and password and opens a new session. Wrong
// credentials give ErrUnauthenticated; too many failures for the e-mail or
// the address give *ThrottledError, even with the right password.
//
// The failure counters are raised before the password is checked, in one
// statement each, and lowered again on success: parallel attempts each see a
// distinct count, so none can slip past the limit.
func (s *Service) Login(ctx context.Context, email, password string, c Client) (Session, Principal, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	now := s.clock.Now()
	keys := []string{"email:" + email, "ip:" + c.IP}
	limits := []int{s.limits.FailuresPerEmail, s.limits.FailuresPerIP}

	var throttled *ThrottledError
	var user store.User
	userErr := store.ErrNotFound
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		for i, key := range keys {
			row, err := q.RecordLoginFailure(ctx, store.RecordLoginFailureParams{
				Key: key, Now: now, WindowFloor: now.Add(-s.limits.FailureWindow),
			})
			if err != nil {
				return fmt.Errorf("count sign-in attempt for %s: %w", key, err)
			}
			if int(row.Failures) > limits[i] {
				wait := row.WindowStart.Add(s.limits.FailureWindow).Sub(now)
				if throttled == nil || wait > throttled.RetryAfter {
					throttled = &ThrottledError{RetryAfter: max(wait, time.Second)}
				}
			}
		}
		var err error
		user, err = q.GetUserByEmail(ctx, email)
		userErr = store.Translate(err)
		if userErr != nil && !errors.Is(userErr, store.ErrNotFound) {
			return userErr
		}
		if throttled != nil {
			return audit.Record(ctx, q, now, audit.Entry{
				AccountID: user.AccountID, Action: "auth.login_throttled", TargetType: "user", TargetID: user.ID,
				Detail: map[string]any{"email": email}, IP: c.IP,
			})
		}
		return nil
	})
	if err != nil {
		return Session{}, Principal{}, err
	}
	if throttled != nil {
		return Session{}, Principal{}, throttled
	}

	hash := dummyHash()
	if userErr == nil {
		hash = user.PasswordHash
	}
	ok, err := CheckPassword(hash, password)
	if err != nil {
		return Session{}, Principal{}, fmt.Errorf("check password of %s: %w", email, err)
	}
	if !ok || userErr != nil {
		err := s.db.Tx(ctx, func(q *store.Queries) error {
			return audit.Record(ctx, q, now, audit.Entry{
				AccountID: user.AccountID, Action: "auth.login_failed", TargetType: "user", TargetID: user.ID,
				Detail: map[string]any{"email": email}, IP: c.IP,
			})
		})
		if err != nil {
			return Session{}, Principal{}, err
		}
		return Session{}, Principal{}, ErrUnauthenticated
	}

	sess := Session{Token: newSecret(""), ExpiresAt: now.Add(s.limits.SessionIdle)}
	p := principalOf(user.ID, user.AccountID, user.Role, user.Name, user.Email)
	p.SessionHash, p.IP = hashSecret(sess.Token), c.IP
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		for _, key := range keys {
			if err := q.ForgiveLoginAttempt(ctx, key); err != nil {
				return err
			}
		}
		if err := q.CreateSession(ctx, store.CreateSessionParams{
			IDHash: p.SessionHash, AccountID: user.AccountID, UserID: user.ID, CreatedAt: now,
			ExpiresAt: sess.ExpiresAt, IP: c.IP, UserAgent: truncate(c.UserAgent, 512),
		}); err != nil {
			return err
		}
		return audit.Record(ctx, q, now, audit.Entry{
			AccountID: user.AccountID, ActorID: user.ID, Action: "auth.login", TargetType: "user", TargetID: user.ID, IP: c.IP,
		})
	})
	if err != nil {
		return Session{}, Principal{}, fmt.Errorf("open session for user %d: %w", user.ID, err)
	}
	return sess, p, nil
}

// Logout ends the session p came with.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	if p.SessionHash == "" {
		return nil // an API token has no session to end
	}
	return s.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.DeleteSession(ctx, p.SessionHash); err != nil {
			return err
		}
		return audit.Record(ctx, q, s.clock.Now(), audit.Entry{
			AccountID: p.AccountID, ActorID: p.UserID, Action: "auth.logout", TargetType: "user", TargetID: p.UserID, IP: p.IP,
		})
	})
}

// SessionPrincipal returns who holds the session token, or
// ErrUnauthenticated when it is unknown or expired.
func (s *Service) SessionPrincipal(ctx context.Context, token string, c Client) (Principal, error) {
	if token == "" {
		return Principal{}, ErrUnauthenticated
	}
	now := s.clock.Now()
	hash := hashSecret(token)
	row, err := s.db.Read().GetSessionUser(ctx, store.GetSessionUserParams{IDHash: hash, ExpiresAt: now})
	if err != nil {
		if errors.Is(store.Translate(err), store.ErrNotFound) {
			return Principal{}, ErrUnauthenticated
		}
		return Principal{}, fmt.Errorf("look up session: %w", err)
	}
	if now.Sub(row.LastSeenAt) > sessionTouchEvery {
		err := s.db.Write().TouchSession(ctx, store.TouchSessionParams{IDHash: hash, LastSeenAt: now, ExpiresAt: now.Add(s.limits.SessionIdle)})
		if err != nil {
			return Principal{}, fmt.Errorf("extend session: %w", err)
		}
	}
	p := principalOf(row.ID, row.AccountID, row.Role, row.Name, row.Email)
	p.SessionHash, p.IP = hash, c.IP
	return p, nil
}

// TokenPrincipal returns who owns the API token, or ErrUnauthenticated.
func (s *Service) TokenPrincipal(ctx context.Context, token string, c Client) (Principal, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return Principal{}, ErrUnauthenticated
	}
	now := s.clock.Now()
	row, err := s.db.Read().GetAPITokenUser(ctx, store.GetAPITokenUserParams{TokenHash: hashSecret(token), ExpiresAt: store.Null(now)})
	if err != nil {
		if errors.Is(store.Translate(err), store.ErrNotFound) {
			return Principal{}, ErrUnauthenticated
		}
		return Principal{}, fmt.Errorf("look up API token: %w", err)
	}
	if !row.LastUsedAt.Valid || now.Sub(row.LastUsedAt.Time) > sessionTouchEvery {
		if err := s.db.Write().TouchAPIToken(ctx, store.TouchAPITokenParams{ID: row.TokenID, LastUsedAt: store.Null(now)}); err != nil {
			return Principal{}, fmt.Errorf("record API token use: %w", err)
		}
	}
	p := principalOf(row.ID, row.AccountID, row.Role, row.Name, row.Email)
	p.TokenID, p.IP = row.TokenID, c.IP
	return p, nil
}

// Sweep deletes expired sessions and forgotten sign-in counters.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.clock.Now()
	if _, err := s.db.Write().DeleteExpiredSessions(ctx, now); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	if err := s.db.Write().DeleteStaleLoginThrottles(ctx, now.Add(-s.limits.FailureWindow)); err != nil {
		return fmt.Errorf("delete stale sign-in counters: %w", err)
	}
	return nil
}

func principalOf(userID, accountID int64, role, name, email string) Principal {
	return Principal{UserID: userID, AccountID: accountID, Role: Role(role), Name: name, Email: email}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
