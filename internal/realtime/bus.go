// Package realtime carries events between the nodes of an Atende cluster and
// out to clients' WebSockets. The code always talks NATS: the embedded
// default runs a NATS server inside the process with no listening port, and
// scale-out points every node at a NATS cluster. Only the URL changes.
package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Bus is a connection to NATS, and the embedded server when there is one.
type Bus struct {
	conn     *nats.Conn
	embedded *server.Server
	log      *slog.Logger
}

// Connect connects to the NATS server at url, or starts an embedded one
// reachable only from this process when url is empty.
func Connect(url string, log *slog.Logger) (*Bus, error) {
	opts := []nats.Option{
		nats.Name("atende"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS connection lost", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS connection restored", "url", c.ConnectedUrlRedacted()) }),
	}
	if url != "" {
		conn, err := nats.Connect(url, opts...)
		if err != nil {
			return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
		}
		return &Bus{conn: conn, log: log}, nil
	}

	ns, err := server.NewServer(&server.Options{
		ServerName: "atende-embedded",
		DontListen: true,
		NoSigs:     true,
		NoLog:      true,
		MaxPayload: 8 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded NATS: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(5 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("start embedded NATS: not ready after 5s")
	}
	conn, err := nats.Connect("", append(opts, nats.InProcessServer(ns))...)
	if err != nil {
		ns.Shutdown()
		return nil, fmt.Errorf("connect to embedded NATS: %w", err)
	}
	return &Bus{conn: conn, embedded: ns, log: log}, nil
}

// Conn is the NATS connection, for publishing and subscribing.
func (b *Bus) Conn() *nats.Conn { return b.conn }

// Ping round-trips to the NATS server; /readyz uses it.
func (b *Bus) Ping(ctx context.Context) error {
	if !b.conn.IsConnected() {
		return fmt.Errorf("NATS is %s", b.conn.Status())
	}
	return b.conn.FlushWithContext(ctx)
}

// Close drains the connection, then stops the embedded server.
func (b *Bus) Close() {
	if err := b.conn.Drain(); err != nil {
		b.conn.Close()
	}
	for i := 0; i < 50 && !b.conn.IsClosed(); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if b.embedded != nil {
		b.embedded.Shutdown()
		b.embedded.WaitForShutdown()
	}
}
