package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// InboundResult is what the inbound scenario measures: visitors write to
// conversations assigned to connected agents at a steady rate, and each
// message is timed from the visitor's send to its message.created event on
// the serving agent's socket.
type InboundResult struct {
	Header
	// ThroughputPerS is messages received by agents per second, from the
	// first send to the last arrival.
	ThroughputPerS float64 `json:"throughput_per_s"`
	LatencyMS      Latency `json:"latency_ms"`
	// Sent: message frames written. Received: of those the server
	// acknowledged, how many reached the agent. Lost: acknowledged but
	// never on the agent's socket. Duplicated: arrivals beyond the first.
	Sent       int64 `json:"sent"`
	Received   int64 `json:"received"`
	Lost       int64 `json:"lost"`
	Duplicated int64 `json:"duplicated"`
	// Errors: refusals (error frames), failed writes, sockets that ended,
	// messages never acknowledged.
	Errors int64 `json:"errors"`
	// Unacknowledged is the part of Errors that the server neither stored
	// nor refused.
	Unacknowledged int64 `json:"unacknowledged"`
	// Resent: times the server could not store a message at once (error
	// unavailable) and the visitor sent it again later, as the widget
	// does. Not errors by themselves: what never got stored is counted in
	// Unacknowledged.
	Resent int64 `json:"resent"`
	// Reconnects: visitor sockets the server dropped for reading too
	// slowly, which the visitors opened again (as the widget does).
	Reconnects int `json:"reconnects"`
	// ServerRSSMB is the server's memory at the end of the run;
	// ServerCPUS the processor time it used during the measured phase.
	ServerRSSMB float64 `json:"server_rss_mb"`
	ServerCPUS  float64 `json:"server_cpu_s"`
	// SendLagMaxMS is how far behind its schedule the slowest send went:
	// large values mean the bench itself could not keep the rate.
	SendLagMaxMS float64 `json:"send_lag_max_ms"`
	// TransactionsPerCommit: on SQLite, how many write transactions shared
	// each commit during the measured phase (the writer groups them).
	TransactionsPerCommit float64 `json:"transactions_per_commit,omitempty"`
	Visitors              int     `json:"visitors"`
	Agents                int     `json:"agents"`
}

func (r *InboundResult) rows() [][2]string {
	return [][2]string{
		{"throughput", fmt.Sprintf("%.0f messages/s", r.ThroughputPerS)},
		{"latency", r.LatencyMS.String()},
		{"sent / received", fmt.Sprintf("%d / %d", r.Sent, r.Received)},
		{"lost / duplicated", fmt.Sprintf("%d / %d", r.Lost, r.Duplicated)},
		{"errors", fmt.Sprintf("%d (%d never acknowledged)", r.Errors, r.Unacknowledged)},
		{"resent (unavailable)", fmt.Sprint(r.Resent)},
		{"visitor reconnects", fmt.Sprint(r.Reconnects)},
		{"server", fmt.Sprintf("%.1f MB RSS, %.1f s CPU", r.ServerRSSMB, r.ServerCPUS)},
		{"transactions per commit", fmt.Sprintf("%.2f", r.TransactionsPerCommit)},
		{"send lag (max)", fmt.Sprintf("%.1f ms", r.SendLagMaxMS)},
		{"visitors / agents", fmt.Sprintf("%d / %d", r.Visitors, r.Agents)},
	}
}

// perVisitorRate is the most a bench visitor writes a second: the widget
// protocol allows one message a second per visitor (with a burst of 8),
// so the bench keeps under it and rate needs visitors to match.
const perVisitorRate = 0.8

// inboundTrack collects the timings of the measured phase.
type inboundTrack struct {
	mu       sync.Mutex
	sentAt   map[string]time.Time // by client id, until acknowledged
	acked    map[int64]time.Time  // message id → send time
	arrived  map[int64]time.Time  // message id → first arrival at an agent
	arrivals map[int64]int
	sent     atomic.Int64
	resent   atomic.Int64
	errors   atomic.Int64
	lastErr  atomic.Value
	maxLag   atomic.Int64
}

func (t *inboundTrack) fail(err error) {
	t.errors.Add(1)
	t.lastErr.Store(err.Error())
}

func runInbound(ctx context.Context, r *runner, args []string) (result, error) {
	fs := r.flags("inbound")
	visitors := fs.Int("visitors", 0, "visitors writing (default: enough for the rate at 0.8 messages/s each)")
	agents := fs.Int("agents", 0, "agents serving them (default: one per 50 visitors, at least 2)")
	rate := fs.Float64("rate", 200, "messages per second, all visitors together")
	duration := fs.Duration("duration", 10*time.Second, "how long the visitors write")
	drain := fs.Duration("drain", 10*time.Second, "how long to wait, after the last send, for messages still on their way")
	openRate := fs.Float64("open-rate", 100, "conversations opened per second before the measured phase (not measured: visitors arrive over time, not all at once)")
	if err := r.parse(fs, args); err != nil {
		return nil, err
	}
	if *rate <= 0 || *duration <= 0 || *openRate <= 0 {
		return nil, errors.New("--rate, --duration and --open-rate must be positive")
	}
	if *visitors == 0 {
		*visitors = max(1, int(math.Ceil(*rate/perVisitorRate)))
	}
	if *agents == 0 {
		*agents = max(2, (*visitors+49)/50)
	}
	capacity := (*visitors + *agents - 1) / *agents
	if capacity > 100 {
		return nil, fmt.Errorf("%d visitors among %d agents is %d conversations each; an agent serves at most 100: give more --agents", *visitors, *agents, capacity)
	}
	res := &InboundResult{Header: Header{Engine: r.engine(), Params: map[string]any{
		"visitors": *visitors, "agents": *agents, "rate": *rate, "duration": duration.String(), "capacity": capacity, "open_rate": *openRate}},
		Visitors: *visitors, Agents: *agents}
	if per := *rate / float64(*visitors); per > 1 {
		res.note("each visitor writes %.2f messages/s, over the widget's limit of 1/s: expect rate_limited refusals", per)
	}
	if _, err := raiseFileLimit(uint64(*visitors + *agents + 1024)); err != nil {
		res.note("could not raise the open-file limit: %v", err)
	}

	s, err := r.target(ctx)
	if err != nil {
		return nil, err
	}
	res.Engine = s.engine
	st, err := newSetup(ctx, s, "inbound")
	if err != nil {
		return nil, err
	}
	// Direct assignment: conversations go to agents without an offer to
	// accept, so the warm-up only waits for the engine.
	if err := st.routing(ctx, "direct"); err != nil {
		return nil, err
	}
	key, err := st.createChannel(ctx)
	if err != nil {
		return nil, err
	}
	r.log.printf("creating %d agents (capacity %d each)", *agents, capacity)
	team, err := st.agents(ctx, *agents, capacity)
	if err != nil {
		return nil, err
	}

	t := &inboundTrack{sentAt: map[string]time.Time{}, acked: map[int64]time.Time{}, arrived: map[int64]time.Time{}, arrivals: map[int64]int{}}
	var measuring atomic.Bool
	// assignedTo: conversations assigned, counted on the socket of the
	// agent the event names (every agent of the department sees it).
	var assignedMu sync.Mutex
	assignedTo := map[int64]bool{}
	sockets := make([]*agentSocket, len(team))
	for i, a := range team {
		me := a.userID
		sockets[i], err = dialAgent(ctx, a.session, func(ev *event, at time.Time) {
			switch {
			case ev.Kind == "conversation.assigned" && ev.Data.AgentID == me:
				assignedMu.Lock()
				assignedTo[ev.Data.ConversationID] = true
				assignedMu.Unlock()
			case ev.Kind == "message.created" && measuring.Load():
				t.mu.Lock()
				if t.arrivals[ev.Data.MessageID] == 0 {
					t.arrived[ev.Data.MessageID] = at
				}
				t.arrivals[ev.Data.MessageID]++
				t.mu.Unlock()
			}
		})
		if err != nil {
			return nil, err
		}
		defer sockets[i].close()
		if err := a.ready(ctx); err != nil {
			return nil, err
		}
	}

	// Visitors connect, then each opens its conversation; the measured
	// phase starts once the agents have every one. Visitors are told too
	// (a conversation frame, active): how many were is reported.
	var toldN atomic.Int64
	told := make([]atomic.Bool, *visitors)
	h := visitorHandler{
		conversation: func(v *visitor, protocol, status string, at time.Time) {
			if status == "active" && !told[v.index].Swap(true) {
				toldN.Add(1)
			}
		},
		ack: func(v *visitor, clientID string, messageID int64, at time.Time) {
			t.mu.Lock()
			if sent, ok := t.sentAt[clientID]; ok {
				delete(t.sentAt, clientID)
				t.acked[messageID] = sent
			}
			t.mu.Unlock()
		},
		resent: func(v *visitor, clientID string) {
			if measuring.Load() {
				t.resent.Add(1)
			}
		},
		refused: func(v *visitor, code, message string) {
			if measuring.Load() {
				t.fail(fmt.Errorf("visitor %d: %s: %s", v.index, code, message))
			}
		},
	}
	r.log.printf("connecting %d visitors", *visitors)
	vs, failed, firstErr := dialVisitors(ctx, s.url, key, 0, *visitors, 32, h)
	if len(vs) == 0 {
		return nil, fmt.Errorf("no visitor could connect: %w", firstErr)
	}
	defer func() {
		for _, v := range vs {
			v.close()
		}
	}()
	if failed > 0 {
		res.note("%d of %d visitors could not connect (first: %v)", failed, *visitors, firstErr)
	}
	r.log.printf("opening %d conversations at %.0f/s", len(vs), *openRate)
	opening := time.Now()
	for i, v := range vs {
		time.Sleep(time.Until(opening.Add(time.Duration(float64(i) / *openRate * float64(time.Second)))))
		if err := v.message(ctx, fmt.Sprintf("open-%d", v.index), "Olá, preciso de ajuda com meu pedido."); err != nil {
			return nil, err
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		assignedMu.Lock()
		n := len(assignedTo)
		assignedMu.Unlock()
		if n >= len(vs) {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("only %d of %d conversations were assigned to an agent in time", n, len(vs))
		}
		if err := s.failed(); err != nil {
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The measured phase: visitor i writes every interval, offset so that
	// all together send evenly at the rate.
	interval := time.Duration(float64(time.Second) * float64(len(vs)) / *rate)
	r.log.printf("measuring: %.0f messages/s for %v (each visitor every %v)", *rate, *duration, interval.Round(time.Millisecond))
	writer0, _ := readMetrics(ctx, s.url)
	measuring.Store(true)
	cpu0 := s.cpu()
	start := time.Now().Add(100 * time.Millisecond)
	end := start.Add(*duration)
	profiled := make(chan error, 1)
	go func() { profiled <- r.profile(ctx, s, "inbound", *duration, nil) }()
	var wg sync.WaitGroup
	for i, v := range vs {
		wg.Add(1)
		go func(i int, v *visitor) {
			defer wg.Done()
			offset := time.Duration(int64(interval) * int64(i) / int64(len(vs)))
			for k := 0; ; k++ {
				at := start.Add(offset + time.Duration(k)*interval)
				if !at.Before(end) || ctx.Err() != nil {
					return
				}
				time.Sleep(time.Until(at))
				id := fmt.Sprintf("m%d-%d", v.index, k)
				now := time.Now()
				if lag := int64(now.Sub(at)); lag > t.maxLag.Load() {
					t.maxLag.Store(lag)
				}
				t.mu.Lock()
				t.sentAt[id] = now
				t.mu.Unlock()
				if err := v.message(ctx, id, inboundBody(k)); err != nil {
					t.mu.Lock()
					delete(t.sentAt, id)
					t.mu.Unlock()
					t.fail(err)
					return
				}
				t.sent.Add(1)
			}
		}(i, v)
	}
	wg.Wait()
	sendsDone := time.Now()

	// Drain: wait until every acknowledged message has arrived and every
	// send is acknowledged, or the drain time is up.
	for time.Since(sendsDone) < *drain {
		t.mu.Lock()
		pending := len(t.sentAt)
		for id := range t.acked {
			if t.arrivals[id] == 0 {
				pending++
				break
			}
		}
		t.mu.Unlock()
		if pending == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A moment more, for duplicates to show.
	time.Sleep(200 * time.Millisecond)
	measuring.Store(false)
	res.ServerCPUS = round2((s.cpu() - cpu0).Seconds())
	if writer1, err := readMetrics(ctx, s.url); err == nil {
		if commits := writer1["atende_db_commits_total"] - writer0["atende_db_commits_total"]; commits > 0 {
			res.TransactionsPerCommit = round2((writer1["atende_db_transactions_total"] - writer0["atende_db_transactions_total"]) / commits)
		}
	}
	res.ServerRSSMB = mb(s.rss())
	if err := <-profiled; err != nil {
		r.log.printf("profile: %v", err)
	}

	t.mu.Lock()
	var latencies []time.Duration
	var last time.Time
	for id, sent := range t.acked {
		n := t.arrivals[id]
		if n == 0 {
			res.Lost++
			continue
		}
		res.Received++
		res.Duplicated += int64(n - 1)
		at := t.arrived[id]
		latencies = append(latencies, at.Sub(sent))
		if at.After(last) {
			last = at
		}
	}
	res.Unacknowledged = int64(len(t.sentAt))
	res.Resent = t.resent.Load()
	t.mu.Unlock()
	res.Sent = t.sent.Load()
	res.Errors = t.errors.Load() + res.Unacknowledged
	for _, v := range vs {
		if v.err != nil {
			res.Errors++
		}
		res.Reconnects += v.reconnected()
	}
	if res.Reconnects > 0 {
		res.note("the server dropped visitor sockets %d times for reading too slowly; the visitors reconnected and sent again what was unacknowledged", res.Reconnects)
	}
	for _, sock := range sockets {
		if sock.err != nil {
			res.Errors++
			res.note("%v", sock.err)
		}
	}
	if e, ok := t.lastErr.Load().(string); ok {
		res.note("last error: %s", e)
	}
	res.LatencyMS = latencyOf(latencies)
	if !last.IsZero() {
		res.ThroughputPerS = round1(float64(res.Received) / last.Sub(start).Seconds())
	}
	if n := toldN.Load(); n < int64(len(vs)) {
		res.note("%d of %d visitors were never sent their conversation as active (widget conversation frame) though their agent got it", int64(len(vs))-n, len(vs))
	}
	res.SendLagMaxMS = ms(time.Duration(t.maxLag.Load()))
	if res.SendLagMaxMS > 100 {
		res.note("the bench fell up to %.0f ms behind its send schedule: it shares the machine with the server", res.SendLagMaxMS)
	}
	if err := s.failed(); err != nil {
		return nil, err
	}
	return res, nil
}

// inboundBody is what visitors write: short customer messages.
func inboundBody(k int) string {
	bodies := []string{
		"Meu pedido ainda não chegou, podem verificar?",
		"Qual o prazo de entrega para o CEP 01310-100?",
		"Consigo trocar o tamanho do produto?",
		"Já fiz o pagamento pelo pix, segue o comprovante.",
		"Obrigado!",
	}
	return bodies[k%len(bodies)]
}
