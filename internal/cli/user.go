package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/config"
	"github.com/atende/atende/internal/store"
)

// createUser is `atende user create`: it prints the new user's id.
func createUser(ctx context.Context, args []string, stdio IO) error {
	fs := config.NewFlagSet("atende user create", stdio.Stderr)
	fs.Storage()
	account := fs.String("account", "", "account (company) name; created if it does not exist")
	name := fs.String("name", "", "the user's full name")
	email := fs.String("email", "", "the user's e-mail, used to sign in")
	role := fs.String("role", "agent", "admin, supervisor or agent")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	cfg, err := fs.Parse(args, stdio.Getenv)
	if err != nil {
		return err
	}
	if !*fromStdin {
		return errors.New("--password-stdin is required: passwords are never taken from the command line")
	}
	line, err := bufio.NewReader(stdio.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("no password on standard input")
	}
	password := strings.TrimRight(line, "\r\n")

	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := auth.New(db, clock.System{}, auth.DefaultLimits, slog.New(slog.DiscardHandler))
	u, err := svc.CreateUserInAccount(ctx, *account, auth.NewUser{Name: *name, Email: *email, Role: *role, Password: password})
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	fmt.Fprintln(stdio.Stdout, u.ID)
	return nil
}

// migrate is `atende migrate`: it applies pending migrations and exits.
func migrate(ctx context.Context, args []string, stdio IO) error {
	fs := config.NewFlagSet("atende migrate", stdio.Stderr)
	fs.Storage()
	cfg, err := fs.Parse(args, stdio.Getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Stdout, "%s database migrated to schema version %d\n", db.Engine, v)
	return nil
}
