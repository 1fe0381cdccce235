// Package config reads Atende's settings from flags and environment
// variables. Every flag has an ATENDE_* variable; a flag given on the command
// line wins over the variable, and the variable over the default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Config is what `atende serve` and the other commands run with.
type Config struct {
	Addr            string
	DataDir         string
	DatabaseURL     string
	NATSURL         string
	PublicURL       string
	BehindProxy     bool
	LogLevel        slog.Level
	LogFormat       string
	ShutdownTimeout time.Duration
	// AttachmentsDir keeps uploaded files; "" means DataDir/attachments.
	// Several nodes must share it (or use an object store).
	AttachmentsDir string
	// MaxAttachmentMB is the largest file anyone may upload.
	MaxAttachmentMB int
	// PprofAddr, when set, serves Go's profiler (net/http/pprof) there, on
	// a loopback address only: profiles reveal internals and cost time.
	PprofAddr string
}

// FlagSet is a command's flags; each flag has an environment variable that
// sets it when the flag is not given.
type FlagSet struct {
	*flag.FlagSet
	cfg *Config
}

// Storage registers --data and --database-url, used by every command that
// opens the database.
func (f *FlagSet) Storage() {
	f.StringVar(&f.cfg.DataDir, "data", f.cfg.DataDir, f.usage("directory for the embedded SQLite database and files", "ATENDE_DATA"))
	f.StringVar(&f.cfg.DatabaseURL, "database-url", "", f.usage("postgres://… URL to use PostgreSQL instead of the embedded SQLite", "ATENDE_DATABASE_URL"))
}

// Server registers the settings only `atende serve` uses.
func (f *FlagSet) Server() {
	f.StringVar(&f.cfg.Addr, "addr", f.cfg.Addr, f.usage("address to listen on", "ATENDE_ADDR"))
	f.StringVar(&f.cfg.NATSURL, "nats-url", "", f.usage("nats://… URL of an external NATS server (default: embedded, in-process)", "ATENDE_NATS_URL"))
	f.StringVar(&f.cfg.PublicURL, "public-url", "", f.usage("URL people reach Atende at, e.g. https://atende.example.com (https makes cookies Secure)", "ATENDE_PUBLIC_URL"))
	f.BoolVar(&f.cfg.BehindProxy, "behind-proxy", false, f.usage("trust X-Forwarded-For and X-Forwarded-Proto from a reverse proxy", "ATENDE_BEHIND_PROXY"))
	f.TextVar(&f.cfg.LogLevel, "log-level", f.cfg.LogLevel, f.usage("debug, info, warn or error", "ATENDE_LOG_LEVEL"))
	f.StringVar(&f.cfg.LogFormat, "log-format", f.cfg.LogFormat, f.usage("text or json", "ATENDE_LOG_FORMAT"))
	f.StringVar(&f.cfg.AttachmentsDir, "attachments-dir", "", f.usage("directory for uploaded files, shared by every node (default: DATA/attachments)", "ATENDE_ATTACHMENTS_DIR"))
	f.IntVar(&f.cfg.MaxAttachmentMB, "max-attachment-mb", f.cfg.MaxAttachmentMB, f.usage("largest file, in MiB, an agent or a customer may upload", "ATENDE_MAX_ATTACHMENT_MB"))
	f.StringVar(&f.cfg.PprofAddr, "pprof-addr", "", f.usage("serve Go's profiler (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060; off by default", "ATENDE_PPROF_ADDR"))
	f.DurationVar(&f.cfg.ShutdownTimeout, "shutdown-timeout", f.cfg.ShutdownTimeout, f.usage("how long in-flight requests may take to finish on SIGTERM", "ATENDE_SHUTDOWN_TIMEOUT"))
}

// NewFlagSet returns the flags of command name with Atende's defaults.
func NewFlagSet(name string, stderr io.Writer) *FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &FlagSet{FlagSet: fs, cfg: &Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "./atende-data",
		LogLevel:        slog.LevelInfo,
		LogFormat:       "text",
		ShutdownTimeout: 15 * time.Second,
		MaxAttachmentMB: 25,
	}}
}

// usage adds the environment variable to a flag's help text.
func (f *FlagSet) usage(text, env string) string {
	return fmt.Sprintf("%s (env %s)", text, env)
}

// Parse reads the environment through getenv, then args, and checks the
// result.
func (f *FlagSet) Parse(args []string, getenv func(string) string) (*Config, error) {
	var err error
	f.VisitAll(func(fl *flag.Flag) {
		env := envName(fl.Name)
		if v := getenv(env); v != "" && err == nil {
			if e := f.Set(fl.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", env, v, e)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if err := f.FlagSet.Parse(args); err != nil {
		return nil, err
	}
	if f.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", f.Arg(0))
	}
	return f.cfg, f.cfg.check()
}

// envName is the environment variable of a flag: --database-url is
// ATENDE_DATABASE_URL.
func envName(flagName string) string {
	return "ATENDE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (c *Config) check() error {
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return errors.New("database URL must start with postgres:// (leave it empty for the embedded SQLite)")
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		return errors.New("--data must name a directory")
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("public URL %q must be an http:// or https:// URL", c.PublicURL)
		}
	}
	if c.MaxAttachmentMB < 1 || c.MaxAttachmentMB > 2048 {
		return fmt.Errorf("max attachment size %d MiB: want 1 to 2048", c.MaxAttachmentMB)
	}
	if c.PprofAddr != "" {
		host, _, err := net.SplitHostPort(c.PprofAddr)
		ip := net.ParseIP(host)
		if err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return fmt.Errorf("pprof address %q must be a loopback host:port such as 127.0.0.1:6060: the profiler is not for the network", c.PprofAddr)
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
	return nil
}

// Attachments is the directory uploaded files are kept in.
func (c *Config) Attachments() string {
	if c.AttachmentsDir != "" {
		return c.AttachmentsDir
	}
	return filepath.Join(c.DataDir, "attachments")
}

// SecureCookies reports whether the public URL is https, so cookies must be
// marked Secure even when TLS ends at a proxy.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// Logger returns the slog logger the settings ask for.
func (c *Config) Logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
