package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/atende/atende/internal/api"
	"github.com/atende/atende/internal/attachment"
	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/canned"
	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/channel/webchat"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/config"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/department"
	"github.com/atende/atende/internal/events"
	"github.com/atende/atende/internal/messaging"
	"github.com/atende/atende/internal/realtime"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
)

// eventsKept is how long events stay replayable for reconnecting clients.
const eventsKept = 7 * 24 * time.Hour

// sweepEvery is how often expired sessions, old sign-in counters and old
// idempotency keys go.
const sweepEvery = 10 * time.Minute

func serve(ctx context.Context, args []string, stdio IO) error {
	start := time.Now()
	fs := config.NewFlagSet("atende serve", stdio.Stderr)
	fs.Storage()
	fs.Server()
	cfg, err := fs.Parse(args, stdio.Getenv)
	if err != nil {
		return err
	}
	log := cfg.Logger(stdio.Stderr)

	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	bus, err := realtime.Connect(cfg.NATSURL, log)
	if err != nil {
		return err
	}
	defer bus.Close()

	clk := clock.System{}
	authService := auth.New(db, clk, auth.DefaultLimits, log)
	// Events are numbered after each change commits and published on NATS;
	// every node's hub forwards them to its own sockets.
	sequencer := events.NewSequencer(db, bus.PublishEvents, log)
	routingOptions := routing.DefaultOptions
	routingOptions.Log = log
	routingOptions.Events = sequencer
	// A reply wakes the outbox relay as soon as it commits; the relay's
	// tick still catches what another node queued or a crash left behind.
	outbox := clock.NewSignal()
	routingOptions.Outbox = outbox
	engine := routing.New(db, clk, routingOptions)
	hub, err := realtime.NewHub(db, bus, engine, log)
	if err != nil {
		return err
	}
	defer hub.Close()
	messages := messaging.New(db, clk, engine)
	files := attachment.New(db, clk, attachment.Dir(cfg.Attachments()), int64(cfg.MaxAttachmentMB)<<20, log)
	registry := api.NewRegistry()
	if db.Engine == store.SQLite {
		api.RegisterWriter(registry, db.WriterStats, db.WriterBacklog)
	}
	widgets := webchat.NewGateway(db, clk, engine, channel.NewReceiver(db, clk, engine), hub, files, webchat.DefaultLimits, log)
	handler := api.New(api.Deps{
		Auth:          authService,
		Departments:   department.New(db, clk),
		Engine:        engine,
		Contacts:      contact.New(db, clk),
		Messaging:     messages,
		Canned:        canned.New(db, clk),
		Attachments:   files,
		Hub:           hub,
		Webchat:       webchat.NewService(db, clk),
		Visitors:      webchat.NewVisitors(db, clk, engine),
		Widget:        widgets,
		PublicURL:     cfg.PublicURL,
		Ready:         map[string]api.Pinger{"database": db, "nats": bus},
		Registry:      registry,
		Log:           log,
		SecureCookies: cfg.SecureCookies(),
		BehindProxy:   cfg.BehindProxy,
	})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	natsMode := "embedded"
	if cfg.NATSURL != "" {
		natsMode = cfg.NATSURL
	}
	log.Info("Atende is ready", "addr", "http://"+ln.Addr().String(), "database", string(db.Engine), "nats", natsMode,
		"version", Version, "startup", time.Since(start).Round(time.Millisecond))
	if has, err := authService.HasUsers(ctx); err != nil {
		log.Warn("count users", "err", err)
	} else if !has {
		fmt.Fprint(stdio.Stderr, firstAdminHint(cfg))
	}
	// Serve only after everything above is said: whoever waits for /readyz
	// (a supervisor script, a test) then sees the whole start-up message.
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if cfg.PprofAddr != "" {
		stopProfiler, err := serveProfiler(cfg.PprofAddr, log)
		if err != nil {
			return err
		}
		defer stopProfiler()
	}

	// Background work: expired sessions, the lifecycle timers (offers,
	// disconnects, inactivity, abandonment) and the outbox relay. Every node
	// runs them; claims in the database make each item run once.
	sweepCtx, stopSweeping := context.WithCancel(context.Background())
	defer stopSweeping()
	go sweep(sweepCtx, authService, messages, files, log)
	go engine.Run(sweepCtx, time.Second)
	go hub.Run(sweepCtx)
	go widgets.Run(sweepCtx)
	// New messages reach SQLite's search index in batches (a search
	// catches up first, so it misses none).
	go clock.Every(sweepCtx, time.Second, func(ctx context.Context) {
		if _, err := db.IndexMessages(ctx); err != nil && ctx.Err() == nil {
			log.Warn("index messages for search", "err", err)
		}
	})
	go clock.Every(sweepCtx, 5*time.Second, func(ctx context.Context) {
		if err := sequencer.Sweep(ctx); err != nil && ctx.Err() == nil {
			log.Warn("number leftover events", "err", err)
		}
	})
	go clock.Every(sweepCtx, time.Hour, func(ctx context.Context) {
		// Clients further behind than this reload instead of replaying.
		if _, err := db.Write().DeleteEventsBefore(ctx, clk.Now().Add(-eventsKept)); err != nil && ctx.Err() == nil {
			log.Warn("prune events", "err", err)
		}
	})
	relayOptions := channel.DefaultRelayOptions
	relayOptions.Log = log
	// Adapters register here as channels arrive (WhatsApp, …).
	adapters := map[string]channel.Adapter{webchat.Kind: webchat.Adapter{}}
	go channel.NewRelay(db, clk, engine, adapters, relayOptions).Run(sweepCtx, time.Second, outbox)

	select {
	case err := <-served:
		return fmt.Errorf("serve HTTP: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown", "err", err)
	}
	stopSweeping()
	log.Info("stopped")
	return nil
}

// serveProfiler serves Go's profiler on addr (a loopback address, checked
// by config) for `atende bench --profile` and people chasing a slowdown.
// It has a mux of its own: nothing of it shows on the main listener.
func serveProfiler(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for the profiler on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Warn("the profiler is on: do not leave it running in production", "addr", "http://"+ln.Addr().String()+"/debug/pprof/")
	return func() { srv.Close() }, nil
}

func sweep(ctx context.Context, a *auth.Service, m *messaging.Service, files *attachment.Service, log *slog.Logger) {
	clock.Every(ctx, sweepEvery, func(ctx context.Context) {
		if err := a.Sweep(ctx); err != nil && ctx.Err() == nil {
			log.Warn("sweep sessions", "err", err)
		}
		if _, err := m.ForgetKeys(ctx); err != nil && ctx.Err() == nil {
			log.Warn("sweep idempotency keys", "err", err)
		}
		if _, err := files.Sweep(ctx); err != nil && ctx.Err() == nil {
			log.Warn("sweep unclaimed attachments", "err", err)
		}
	})
}

func firstAdminHint(cfg *config.Config) string {
	where := "--data " + shellQuote(cfg.DataDir)
	if cfg.DatabaseURL != "" {
		where = "--database-url '<your database URL>'"
	}
	return fmt.Sprintf(`
Nobody can sign in yet. Create the first administrator (and the account) with:

  printf '%%s\n' 'a long password' | atende user create %s \
      --account 'Your company' --name 'Your name' --email you@example.com --role admin --password-stdin

`, where)
}

func shellQuote(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '/' || r == '.' || r == '-' || r == '_') {
			return "'" + s + "'"
		}
	}
	return s
}
