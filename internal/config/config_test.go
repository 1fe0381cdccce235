package config

import (
	"io"
	"log/slog"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	f := NewFlagSet("serve", io.Discard)
	f.Storage()
	f.Server()
	c, err := f.Parse(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./atende-data" || c.DatabaseURL != "" || c.NATSURL != "" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestEnvironmentSetsAndFlagsWin(t *testing.T) {
	f := NewFlagSet("serve", io.Discard)
	f.Storage()
	f.Server()
	c, err := f.Parse([]string{"--addr", "127.0.0.1:9999"}, env(map[string]string{
		"ATENDE_ADDR":             "0.0.0.0:1",
		"ATENDE_DATABASE_URL":     "postgres://x@db/atende",
		"ATENDE_NATS_URL":         "nats://127.0.0.1:4222",
		"ATENDE_LOG_LEVEL":        "debug",
		"ATENDE_BEHIND_PROXY":     "true",
		"ATENDE_SHUTDOWN_TIMEOUT": "3s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" {
		t.Errorf("flag should win over ATENDE_ADDR: %q", c.Addr)
	}
	if c.DatabaseURL != "postgres://x@db/atende" || c.NATSURL != "nats://127.0.0.1:4222" || c.LogLevel != slog.LevelDebug || !c.BehindProxy || c.ShutdownTimeout != 3*time.Second {
		t.Errorf("environment not applied: %+v", c)
	}
}

func TestRejectsBadSettings(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		"mysql URL":      {"ATENDE_DATABASE_URL": "mysql://x"},
		"bad duration":   {"ATENDE_SHUTDOWN_TIMEOUT": "soon"},
		"bad public URL": {"ATENDE_PUBLIC_URL": "atende.example.com"},
		"bad log format": {"ATENDE_LOG_FORMAT": "xml"},
		"public pprof":   {"ATENDE_PPROF_ADDR": "0.0.0.0:6060"},
		"pprof no port":  {"ATENDE_PPROF_ADDR": "127.0.0.1"},
	} {
		f := NewFlagSet("serve", io.Discard)
		f.Storage()
		f.Server()
		if _, err := f.Parse(nil, env(vars)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
