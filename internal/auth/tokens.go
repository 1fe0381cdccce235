package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/atende/atende/internal/audit"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// tokenPrefix marks Atende API tokens so they are recognisable in a leaked
// file and cannot be mistaken for a session id.
const tokenPrefix = "atd_"

// Token is an API token as listed: the secret itself is shown only once.
type Token struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
}

func tokenOf(t store.ApiToken) Token {
	out := Token{ID: t.ID, UserID: t.UserID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt}
	if t.LastUsedAt.Valid {
		out.LastUsedAt = &t.LastUsedAt.Time
	}
	if t.ExpiresAt.Valid {
		out.ExpiresAt = &t.ExpiresAt.Time
	}
	return out
}

// CreateToken issues an API token that acts as the caller. It returns the
// token's secret, which is not stored and cannot be shown again.
func (s *Service) CreateToken(ctx context.Context, p Principal, name string, expiresAt *time.Time) (Token, string, error) {
	name, err := validate.Name("name", name, 100)
	if err != nil {
		return Token{}, "", err
	}
	now := s.clock.Now()
	var expires store.NullTime
	if expiresAt != nil {
		if !expiresAt.After(now) {
			return Token{}, "", validate.Errorf("expires_at", "must be in the future")
		}
		expires = store.Null(expiresAt.UTC().Truncate(time.Microsecond))
	}
	secret := newSecret(tokenPrefix)
	var t store.ApiToken
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		t, err = q.CreateAPIToken(ctx, store.CreateAPITokenParams{
			AccountID: p.AccountID, UserID: p.UserID, Name: name, TokenHash: hashSecret(secret),
			Prefix: secret[:len(tokenPrefix)+6], CreatedAt: now, ExpiresAt: expires,
		})
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, now, audit.Entry{
			AccountID: p.AccountID, ActorID: p.UserID, Action: "token.create", TargetType: "api_token", TargetID: t.ID,
			Detail: map[string]any{"name": name}, IP: p.IP,
		})
	})
	if err != nil {
		return Token{}, "", err
	}
	return tokenOf(t), secret, nil
}

// Tokens lists the caller's own API tokens.
func (s *Service) Tokens(ctx context.Context, p Principal) ([]Token, error) {
	rows, err := s.db.Read().ListAPITokens(ctx, store.ListAPITokensParams{AccountID: p.AccountID, UserID: p.UserID})
	if err != nil {
		return nil, fmt.Errorf("list API tokens of user %d: %w", p.UserID, err)
	}
	out := make([]Token, len(rows))
	for i, r := range rows {
		out[i] = tokenOf(r)
	}
	return out, nil
}

// DeleteToken revokes an API token: the caller's own, or, for an
// administrator, any of the account's. Someone else's token answers not
// found, as if it did not exist.
func (s *Service) DeleteToken(ctx context.Context, p Principal, id int64) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		t, err := q.GetAPIToken(ctx, store.GetAPITokenParams{AccountID: p.AccountID, ID: id})
		if err != nil {
			return fmt.Errorf("API token %d: %w", id, err)
		}
		if t.UserID != p.UserID && !p.IsAdmin() {
			return fmt.Errorf("API token %d: %w", id, store.ErrNotFound)
		}
		if _, err := q.DeleteAPIToken(ctx, store.DeleteAPITokenParams{AccountID: p.AccountID, ID: id}); err != nil {
			return err
		}
		return audit.Record(ctx, q, s.clock.Now(), audit.Entry{
			AccountID: p.AccountID, ActorID: p.UserID, Action: "token.delete", TargetType: "api_token", TargetID: id,
			Detail: map[string]any{"name": t.Name, "owner_id": t.UserID}, IP: p.IP,
		})
	})
}
