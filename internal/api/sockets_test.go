package api_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/atende/atende/internal/channel/webchat"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// settledGoroutines waits for the goroutine count to stop falling (workers
// that finished their job leave) and returns it.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m >= n {
			return m
		}
		n = m
	}
	return n
}

// An idle socket, a visitor's or an agent's, costs the server one goroutine:
// the one that waits for its next frame. The request's goroutine has
// returned, and the workers that handled the hello and the replay are gone.
func TestAnIdleSocketCostsOneGoroutine(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newSiteDesk(t, db, webchat.DefaultLimits)
		_, ana := d.staff("acme", "Ana", "admin")
		vendas := d.department(ana, "Vendas", offerRouting)
		ch := d.webchatChannel(ana, map[string]any{"department_id": vendas})
		_, bia := d.staff("acme", "Bia", "agent")
		// The test's client sockets run no goroutines of their own while
		// they are not read, so what grows is the server's.
		before := settledGoroutines()

		const visitors, agents = 12, 4
		for range visitors {
			v, _ := d.visit(ch.PublicKey, "", nil)
			v.next("synced")
		}
		for range agents {
			conn, _, err := bia.dialWS(d.srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.CloseNow() })
			readFrame(t, conn, "synced")
		}
		deadline := time.Now().Add(5 * time.Second)
		var grew int
		for {
			grew = settledGoroutines() - before
			if grew <= visitors+agents || time.Now().After(deadline) {
				break
			}
		}
		if grew != visitors+agents {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d idle sockets added %d goroutines:\n%s", visitors+agents, grew, buf[:runtime.Stack(buf, true)])
		}
	})
}

// An idle widget socket's goroutine keeps a 4 KiB stack: what it runs while
// waiting (the API's goroutine, the gateway's Run, the WebSocket's read)
// fits, and the deep work happens on goroutines that come and go. A frame
// on the way that grows by a few hundred bytes (a channel passed by value,
// say) doubles every socket's stack.
func TestAnIdleSocketKeepsASmallStack(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector doubles the stack guard")
	}
	db := storetest.SQLite(t)
	limits := webchat.DefaultLimits
	limits.Connect = webchat.Limit{Rate: 1e6, Burst: 1e6} // all from one address
	d := newSiteDesk(t, db, limits)
	_, ana := d.staff("acme", "Ana", "admin")
	vendas := d.department(ana, "Vendas", offerRouting)
	ch := d.webchatChannel(ana, map[string]any{"department_id": vendas})
	for range 20 { // warm up: pools, caches, the feed
		v, _ := d.visit(ch.PublicKey, "", nil)
		v.next("synced")
	}
	settledGoroutines()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 200
	for range n {
		v, _ := d.visit(ch.PublicKey, "", nil)
		v.next("synced")
	}
	settledGoroutines()
	runtime.GC() // frees the stacks the workers left
	runtime.ReadMemStats(&after)
	if per := (int64(after.StackInuse) - int64(before.StackInuse)) / n; per > 5<<10 {
		t.Fatalf("an idle widget socket holds %d bytes of stack, want 4 KiB", per)
	}
}
