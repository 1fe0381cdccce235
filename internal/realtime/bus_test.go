package realtime

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"
)

func TestEmbeddedBusDeliversAndAnswersPing(t *testing.T) {
	bus, err := Connect("", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	checkRoundTrip(t, bus)
}

// An external NATS server is what a cluster uses; CI runs one on 4222.
func TestExternalBus(t *testing.T) {
	url := os.Getenv("ATENDE_TEST_NATS_URL")
	if url == "" {
		t.Skip("ATENDE_TEST_NATS_URL is not set")
	}
	bus, err := Connect(url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	checkRoundTrip(t, bus)
}

func checkRoundTrip(t *testing.T, bus *Bus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := bus.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	sub, err := bus.Conn().SubscribeSync("test.subject")
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Conn().Publish("test.subject", []byte("olá")); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.NextMsg(2 * time.Second)
	if err != nil {
		t.Fatalf("no message: %v", err)
	}
	if string(msg.Data) != "olá" {
		t.Fatalf("got %q", msg.Data)
	}
}
