// Package storetest gives tests a freshly migrated database on each engine.
//
// SQLite databases live in the test's temporary directory. PostgreSQL
// databases are created on the server named by ATENDE_TEST_POSTGRES_URL,
// cloned from a template migrated once per test binary, and dropped when the
// test ends, so parallel packages never share a database. Under CI=true a
// missing or unreachable PostgreSQL fails the test instead of skipping it.
//
// Each test binary leaves nothing behind: packages that use PostgreSQL call
// DropTemplates from TestMain.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/atende/atende/internal/store"
)

// Engines runs fn once per engine as a subtest, each with its own fresh
// database: the store conformance pattern.
func Engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a migrated SQLite database in a temporary directory.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Postgres returns a migrated PostgreSQL database of its own, or skips the
// test when ATENDE_TEST_POSTGRES_URL is unset (failing instead under CI).
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	u := PostgresURL(t)
	db, err := store.Open(context.Background(), u, "")
	if err != nil {
		t.Fatalf("open PostgreSQL test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresURL creates a fresh database and returns its URL; it is dropped when
// the test ends. Tests that start a whole server use it directly.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("ATENDE_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("ATENDE_TEST_POSTGRES_URL is not set; under CI the PostgreSQL tests must run")
		}
		t.Skip("ATENDE_TEST_POSTGRES_URL is not set: skipping the PostgreSQL variant")
	}
	tpl, err := template(base)
	if err != nil {
		if os.Getenv("CI") != "true" && errors.Is(err, errUnreachable) {
			t.Skipf("PostgreSQL at %s: %v: skipping the PostgreSQL variant", redacted(base), err)
		}
		t.Fatalf("PostgreSQL at %s: %v", redacted(base), err)
	}
	name := "atende_test_" + randomSuffix()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("PostgreSQL at %s: %v", redacted(base), err)
	}
	defer admin.Close()
	if _, err := admin.Exec(fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tpl)); err != nil {
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	})
	return withDatabase(base, name)
}

// errUnreachable: the server did not answer. Outside CI that skips the
// PostgreSQL variants; under CI it fails them.
var errUnreachable = errors.New("unreachable")

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// template migrates one database per test binary that later databases are
// cloned from: CREATE DATABASE … TEMPLATE is far quicker than migrating.
func template(base string) (string, error) {
	templateOnce.Do(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			templateErr = err
			return
		}
		defer admin.Close()
		if err := admin.Ping(); err != nil {
			templateErr = fmt.Errorf("%w: %w", errUnreachable, err)
			return
		}
		name := "atende_tpl_" + randomSuffix()
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			templateErr = fmt.Errorf("create template database: %w", err)
			return
		}
		db, err := store.Open(context.Background(), withDatabase(base, name), "")
		if err != nil {
			templateErr = err
			return
		}
		db.Close()
		templateName = name
		dropTemplateAtExit(base, name)
	})
	return templateName, templateErr
}

func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return fmt.Sprintf("%d_%s", os.Getpid(), hex.EncodeToString(b))
}

func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
