package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ConnectionsResult is what the connections scenario measures: the
// server's memory holding that many idle WebSockets, visitors' and
// agents', each visitor's said hello and was welcomed.
type ConnectionsResult struct {
	Header
	// Connections: sockets open at the end of the hold.
	Connections int `json:"connections"`
	// ServerRSSMB: the server's memory with them open; BaselineRSSMB before
	// any was opened (after setting up).
	ServerRSSMB   float64 `json:"server_rss_mb"`
	BaselineRSSMB float64 `json:"baseline_rss_mb"`
	// BytesPerConnection: the growth over the baseline, per connection.
	BytesPerConnection int64 `json:"bytes_per_connection"`
	// Errors: sockets that could not open or ended during the hold.
	Errors int `json:"errors"`
	// LiveBytesPerConnection: the growth of the Go heap and stacks in use
	// (from /metrics) per connection: RSS also keeps what the runtime took
	// at an earlier peak (the arrivals) and has not returned.
	LiveBytesPerConnection int64 `json:"live_bytes_per_connection"`
	// StackBytesPerConnection: the part of it that is goroutine stacks.
	StackBytesPerConnection int64 `json:"stack_bytes_per_connection"`
	// GoroutinesPerConnection: goroutines added per connection.
	GoroutinesPerConnection float64 `json:"goroutines_per_connection"`
	// Unanswered: sockets that, after the hold, did not answer a ping
	// (the protocols' own, a frame each way) within pingWait; they count
	// as errors too.
	Unanswered int `json:"unanswered_pings"`
	// Reconnects: visitor sockets the server dropped for reading too
	// slowly while they idled, which the visitors opened again.
	Reconnects int `json:"reconnects"`
	Visitor    int `json:"visitor_sockets"`
	Agent      int `json:"agent_sockets"`
	// OpenS is how long opening every socket took.
	OpenS float64 `json:"open_s"`
	// FileLimit is the open-file limit the bench and its server ran with.
	FileLimit uint64 `json:"file_limit"`
	// SettleS is how long the server stayed busy after the last socket
	// opened (telling everyone of the arrivals); HoldCPUS the processor
	// time it used while the sockets then idled.
	SettleS  float64 `json:"settle_s"`
	HoldCPUS float64 `json:"hold_cpu_s"`
}

func (r *ConnectionsResult) rows() [][2]string {
	return [][2]string{
		{"connections", fmt.Sprintf("%d (%d visitors, %d agents)", r.Connections, r.Visitor, r.Agent)},
		{"server RSS", fmt.Sprintf("%.1f MB (%.1f MB before)", r.ServerRSSMB, r.BaselineRSSMB)},
		{"per connection", fmt.Sprintf("%d bytes of RSS; %d bytes of Go heap and stacks in use (%d of stacks), %.1f goroutines",
			r.BytesPerConnection, r.LiveBytesPerConnection, r.StackBytesPerConnection, r.GoroutinesPerConnection)},
		{"errors", fmt.Sprint(r.Errors)},
		{"pings unanswered after the hold", fmt.Sprint(r.Unanswered)},
		{"visitor reconnects", fmt.Sprint(r.Reconnects)},
		{"opening took", fmt.Sprintf("%.1f s, then %.1f s busy", r.OpenS, r.SettleS)},
		{"open-file limit", fmt.Sprint(r.FileLimit)},
		{"server CPU during the hold", fmt.Sprintf("%.1f s", r.HoldCPUS)},
	}
}

// fileReserve is how many descriptors under the limit the scenario leaves
// for the files the server and the bench hold besides the sockets (the
// database, the listener, requests).
const fileReserve = 256

// runtimeFigures reads the server's runtime figures, giving up after a
// while: a server that cannot accept the request would keep the bench
// waiting.
func runtimeFigures(ctx context.Context, url string) (goRuntime, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return readGoRuntime(ctx, url)
}

func runConnections(ctx context.Context, r *runner, args []string) (result, error) {
	fs := r.flags("connections")
	count := fs.Int("count", 1000, "WebSockets to hold open")
	agentShare := fs.Float64("agent-share", 0.1, "share of the sockets that are agents' (the rest are visitors')")
	agents := fs.Int("agents", 10, "agents whose sockets those are (several tabs each)")
	hold := fs.Duration("hold", 5*time.Second, "how long the sockets stay idle before the server's memory is read")
	settle := fs.Duration("settle", 2*time.Minute, "at most this long, after opening, to wait for the server to go idle (each arrival is an event for others to see)")
	if err := r.parse(fs, args); err != nil {
		return nil, err
	}
	if *count < 1 || *agentShare < 0 || *agentShare > 1 || *agents < 1 {
		return nil, errors.New("--count and --agents must be positive, --agent-share between 0 and 1")
	}
	res := &ConnectionsResult{Header: Header{Engine: r.engine(), Params: map[string]any{
		"count": *count, "agent_share": *agentShare, "agents": *agents, "hold": hold.String(), "settle": settle.String()}}}

	// Each socket is a descriptor here and one in the server; a thousand
	// more for everything else.
	want := uint64(*count + 1024)
	limit, err := raiseFileLimit(want)
	res.FileLimit = limit
	if err != nil || limit < want {
		res.note("the open-file limit is %d, below the %d this needs (%v)", limit, want, err)
	}
	// A server out of descriptors accepts nothing more, not even the
	// bench's own request for /metrics: below the limit it needs, open only
	// as many sockets as leave room for the files of both processes, and
	// count the others as errors.
	open := *count
	if room := int(limit) - fileReserve; limit < want && room < open {
		open = max(room, 0)
		res.Errors += *count - open
		res.note("opening %d of the %d sockets, to leave %d descriptors under the limit for the server's and the bench's other files; the %d others count as errors",
			open, *count, fileReserve, *count-open)
	}
	agentSockets := int(float64(open) * *agentShare)
	visitorSockets := open - agentSockets

	s, err := r.target(ctx)
	if err != nil {
		return nil, err
	}
	res.Engine = s.engine
	st, err := newSetup(ctx, s, "connections")
	if err != nil {
		return nil, err
	}
	key := ""
	if visitorSockets > 0 {
		if key, err = st.createChannel(ctx); err != nil {
			return nil, err
		}
	}
	team, err := st.agents(ctx, min(*agents, max(agentSockets, 1)), 5)
	if err != nil {
		return nil, err
	}
	// The baseline is a fresh process holding what was set up: signing the
	// agents in (argon2id) used memory that would otherwise count against
	// the connections.
	if s, err = r.restart(ctx, s); err != nil {
		return nil, err
	}
	if r.url != "" {
		res.note("with --url the server's RSS is unknown: bytes_per_connection is 0 (live_bytes_per_connection comes from /metrics)")
	}
	time.Sleep(time.Second)
	base := s.rss()
	res.BaselineRSSMB = mb(base)
	rt0, err := runtimeFigures(ctx, s.url)
	if err != nil {
		return nil, err
	}

	r.log.printf("opening %d agent and %d visitor sockets", agentSockets, visitorSockets)
	began := time.Now()
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		res.Errors++
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	sockets := make([]*agentSocket, agentSockets)
	parallel(ctx, agentSockets, 32, func(ctx context.Context, i int) error {
		sock, err := dialAgent(ctx, team[i%len(team)].session, nil)
		if err != nil {
			fail(err)
			return nil
		}
		sockets[i] = sock
		return nil
	})
	vs, failed, vErr := dialVisitors(ctx, s.url, key, 0, visitorSockets, 64, visitorHandler{})
	if failed > 0 {
		mu.Lock()
		res.Errors += failed
		if firstErr == nil {
			firstErr = vErr
		}
		mu.Unlock()
	}
	res.OpenS = round1(time.Since(began).Seconds())
	r.log.printf("opened in %.1f s", res.OpenS)
	// The sockets end without close handshakes, many at once: one by one,
	// each waiting for the server's answer while it tells the agents who
	// left, closing 20,000 took ten minutes.
	held := make([]heldSocket, 0, len(vs)+len(sockets))
	for _, v := range vs {
		held = append(held, v)
	}
	for _, sock := range sockets {
		if sock != nil {
			held = append(held, sock)
		}
	}
	defer func() {
		closing := time.Now()
		parallel(context.WithoutCancel(ctx), len(held), 64, func(_ context.Context, i int) error {
			held[i].drop()
			return nil
		})
		r.log.printf("closed the sockets in %.1f s", time.Since(closing).Seconds())
	}()

	// Every arrival is an event others see (agents watch who is on the
	// site): wait until the server has told everyone, i.e. until it uses
	// under 5% of a core over a second, before holding.
	settled := time.Now()
	for s.pid() != 0 && time.Since(settled) < *settle {
		before := s.cpu()
		time.Sleep(time.Second)
		if s.cpu()-before < 50*time.Millisecond {
			break
		}
	}
	res.SettleS = round1(time.Since(settled).Seconds())
	if res.SettleS >= settle.Seconds() {
		res.note("the server was still busy %v after the sockets opened", *settle)
	}
	r.log.printf("the server went idle after %.1f s", res.SettleS)
	// An idle server uses next to no processor time: what it uses during
	// the hold says whether it is still busy with the connections.
	cpu0 := s.cpu()
	if err := r.profile(ctx, s, "connections", *hold, nil); err != nil {
		r.log.printf("profile: %v", err)
	} else if r.pprof == "" {
		time.Sleep(*hold)
	}
	res.HoldCPUS = round2((s.cpu() - cpu0).Seconds())
	if s.pid() != 0 && res.HoldCPUS > 0.2*hold.Seconds() {
		res.note("the server used %.1f s of processor time during the %v hold: it was not idle, so its memory is not only the connections'", res.HoldCPUS, *hold)
	}
	if err := s.failed(); err != nil {
		return nil, err
	}
	rss := s.rss()
	res.ServerRSSMB = mb(rss)
	for _, v := range vs {
		if v.err != nil {
			res.Errors++
		} else {
			res.Visitor++
		}
		res.Reconnects += v.reconnected()
	}
	for _, sock := range sockets {
		if sock == nil {
			continue
		}
		if sock.err != nil {
			res.Errors++
		} else {
			res.Agent++
		}
	}
	res.Connections = res.Visitor + res.Agent
	if res.Connections > 0 && s.pid() != 0 {
		res.BytesPerConnection = (rss - base) / int64(res.Connections)
	}
	if rt, err := runtimeFigures(ctx, s.url); err != nil {
		res.note("%v", err)
	} else if res.Connections > 0 {
		res.LiveBytesPerConnection = int64((rt.HeapInuse + rt.StackInuse - rt0.HeapInuse - rt0.StackInuse) / float64(res.Connections))
		res.StackBytesPerConnection = int64((rt.StackInuse - rt0.StackInuse) / float64(res.Connections))
		res.GoroutinesPerConnection = round2((rt.Goroutines - rt0.Goroutines) / float64(res.Connections))
	}
	// The sockets that idled must still work: each is pinged once its
	// figures are read, and its answer awaited.
	res.Unanswered = pingAll(ctx, held)
	if res.Unanswered > 0 {
		res.Errors += res.Unanswered
		res.note("%d sockets did not answer a ping within %v after the hold", res.Unanswered, pingWait)
	}
	if firstErr != nil {
		res.note("first error: %v", firstErr)
	}
	return res, nil
}

// pingWait is how long pingAll waits for the answers.
const pingWait = 30 * time.Second

// heldSocket is a socket the scenario holds open, a visitor's or an
// agent's: what it does to each alike.
type heldSocket interface {
	failed() bool
	// ping sends the protocol's ping; answers counts the pongs so far.
	ping(ctx context.Context) error
	answers() int32
	// drop ends the socket without a close handshake.
	drop()
}

// pingAll pings every socket still open and returns how many did not
// answer within pingWait.
func pingAll(ctx context.Context, held []heldSocket) int {
	var open []heldSocket
	var before []int32
	for _, s := range held {
		if !s.failed() {
			open = append(open, s)
			before = append(before, s.answers())
		}
	}
	parallel(ctx, len(open), 64, func(ctx context.Context, i int) error {
		open[i].ping(ctx)
		return nil
	})
	unanswered := func() int {
		n := 0
		for i, s := range open {
			if s.answers() == before[i] {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(pingWait)
	for unanswered() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	return unanswered()
}
