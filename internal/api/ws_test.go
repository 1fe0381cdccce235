package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/atende/atende/internal/api"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/events"
	"github.com/atende/atende/internal/realtime"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// withRealtime gives the test server an engine whose events reach a hub.
func withRealtime(t *testing.T, db *store.DB) func(*api.Deps) {
	return func(d *api.Deps) {
		log := slog.New(slog.DiscardHandler)
		bus, err := realtime.Connect("", log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(bus.Close)
		opts := routing.DefaultOptions
		opts.Events = events.NewSequencer(db, bus.PublishEvents, log)
		d.Engine = routing.New(db, clock.System{}, opts)
		if d.Hub, err = realtime.NewHub(db, bus, d.Engine, log); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Hub.Close)
	}
}

func (c *client) dialWS(origin string) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, _ := url.Parse(c.e.srv.URL)
	h := http.Header{}
	for _, ck := range c.http.Jar.Cookies(u) {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return websocket.Dial(ctx, strings.Replace(c.e.srv.URL, "http", "ws", 1)+"/api/v1/ws?after=0", &websocket.DialOptions{HTTPHeader: h})
}

func readFrame(t *testing.T, conn *websocket.Conn, want string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %q: %v", want, err)
		}
		var f map[string]any
		json.Unmarshal(data, &f)
		if f["type"] == want || f["kind"] == want {
			return f
		}
	}
}

func TestWebSocketIsAuthenticatedOriginCheckedAndLive(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, withRealtime(t, db))
		e.user("Acme", "Ana", "ana@acme.test", "agent")
		ana := e.login("Ana", "ana@acme.test")

		if _, res, err := e.client().dialWS(""); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("anonymous WebSocket: %v %v", err, res)
		}
		if _, res, err := ana.dialWS("https://evil.example"); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
			t.Fatalf("WebSocket from another origin: %v %v", err, res)
		}
		conn, _, err := ana.dialWS(e.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseNow()
		readFrame(t, conn, "synced")
		ana.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		f := readFrame(t, conn, "agent.presence")
		if f["seq"].(float64) < 1 || !strings.Contains(string(mustMarshal(f["data"])), `"status":"ready"`) {
			t.Fatalf("presence event %v", f)
		}
	})
}

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
