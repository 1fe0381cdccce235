package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/atende/atende/internal/audit"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// CreateUserInAccount is the operator's way in (`atende user create`): it
// creates the account named accountName when there is none and adds the user
// to it. It needs no principal because it runs from the server's shell.
func (s *Service) CreateUserInAccount(ctx context.Context, accountName string, n NewUser) (User, error) {
	accountName, err := validate.Name("account", accountName, 100)
	if err != nil {
		return User{}, err
	}
	if n, err = n.check(); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(n.Password)
	if err != nil {
		return User{}, err
	}
	var u store.User
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		now := s.clock.Now()
		acc, err := q.GetAccountByName(ctx, accountName)
		if errors.Is(store.Translate(err), store.ErrNotFound) {
			if acc, err = q.CreateAccount(ctx, store.CreateAccountParams{Name: accountName, CreatedAt: now}); err != nil {
				return fmt.Errorf("create account %q: %w", accountName, err)
			}
			err = audit.Record(ctx, q, now, audit.Entry{AccountID: acc.ID, Action: "account.create", TargetType: "account", TargetID: acc.ID,
				Detail: map[string]any{"name": accountName, "via": "cli"}, IP: "local"})
		}
		if err != nil {
			return fmt.Errorf("account %q: %w", accountName, err)
		}
		u, err = q.CreateUser(ctx, store.CreateUserParams{
			AccountID: acc.ID, Name: n.Name, Email: n.Email, Role: n.Role, PasswordHash: hash, CreatedAt: now,
		})
		if err != nil {
			return emailTaken(err)
		}
		return audit.Record(ctx, q, now, audit.Entry{AccountID: acc.ID, Action: "user.create", TargetType: "user", TargetID: u.ID,
			Detail: map[string]any{"name": u.Name, "email": u.Email, "role": u.Role, "via": "cli"}, IP: "local"})
	})
	if err != nil {
		return User{}, err
	}
	return userOf(u), nil
}

// HasUsers reports whether anybody can sign in yet; a fresh install has no
// one and `atende serve` says how to create the first administrator.
func (s *Service) HasUsers(ctx context.Context) (bool, error) {
	n, err := s.db.Read().CountUsers(ctx)
	return n > 0, err
}
