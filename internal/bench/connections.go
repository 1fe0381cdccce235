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
	// Reconnects: visitor sockets the server dropped for reading too
	// slowly while they idled, which the visitors opened again.
	Reconnects int `json:"reconnects"`
	Visitor    int `json:"visitor_sockets"`
	Agent      int `json:"agent_sockets"`
	// OpenS is how long opening every socket took.
	OpenS float64 `json:"open_s"`
	// FileLimit is the open-file limit the bench and its server ran with.
	FileLimit uint64 `json:"file_limit"`
}

func (r *ConnectionsResult) rows() [][2]string {
	return [][2]string{
		{"connections", fmt.Sprintf("%d (%d visitors, %d agents)", r.Connections, r.Visitor, r.Agent)},
		{"server RSS", fmt.Sprintf("%.1f MB (%.1f MB before)", r.ServerRSSMB, r.BaselineRSSMB)},
		{"per connection", fmt.Sprintf("%d bytes", r.BytesPerConnection)},
		{"errors", fmt.Sprint(r.Errors)},
		{"visitor reconnects", fmt.Sprint(r.Reconnects)},
		{"opening took", fmt.Sprintf("%.1f s", r.OpenS)},
		{"open-file limit", fmt.Sprint(r.FileLimit)},
	}
}

func runConnections(ctx context.Context, r *runner, args []string) (result, error) {
	fs := r.flags("connections")
	count := fs.Int("count", 1000, "WebSockets to hold open")
	agentShare := fs.Float64("agent-share", 0.1, "share of the sockets that are agents' (the rest are visitors')")
	agents := fs.Int("agents", 10, "agents whose sockets those are (several tabs each)")
	hold := fs.Duration("hold", 5*time.Second, "how long the sockets stay idle before the server's memory is read")
	if err := r.parse(fs, args); err != nil {
		return nil, err
	}
	if *count < 1 || *agentShare < 0 || *agentShare > 1 || *agents < 1 {
		return nil, errors.New("--count and --agents must be positive, --agent-share between 0 and 1")
	}
	agentSockets := int(float64(*count) * *agentShare)
	visitorSockets := *count - agentSockets
	res := &ConnectionsResult{Header: Header{Engine: r.engine(), Params: map[string]any{
		"count": *count, "agent_share": *agentShare, "agents": *agents, "hold": hold.String()}}}

	// Each socket is a descriptor here and one in the server; a thousand
	// more for everything else.
	want := uint64(*count + 1024)
	limit, err := raiseFileLimit(want)
	res.FileLimit = limit
	if err != nil || limit < want {
		res.note("the open-file limit is %d, below the %d this needs, and could not be raised (%v): expect errors past it", limit, want, err)
	}

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
		res.note("with --url the baseline memory is unknown: bytes_per_connection is 0")
	}
	time.Sleep(time.Second)
	base := s.rss()
	res.BaselineRSSMB = mb(base)

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
		sock, err := dialAgent(ctx, team[i%len(team)].session, func(*event, time.Time) {})
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
	r.log.printf("opened in %.1f s; holding them idle for %v", res.OpenS, *hold)
	defer func() {
		for _, v := range vs {
			v.close()
		}
		for _, sock := range sockets {
			if sock != nil {
				sock.close()
			}
		}
	}()

	if err := r.profile(ctx, s, "connections", *hold, nil); err != nil {
		r.log.printf("profile: %v", err)
	} else if r.pprof == "" {
		time.Sleep(*hold)
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
	if firstErr != nil {
		res.note("first error: %v", firstErr)
	}
	return res, nil
}
