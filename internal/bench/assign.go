package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// AssignResult is what the assign scenario measures: conversations enqueue
// (a visitor's first message opens one) while agents are ready, and each
// is timed from that message's send to the offer or assignment arriving on
// the chosen agent's socket.
type AssignResult struct {
	Header
	LatencyMS Latency `json:"latency_ms"`
	// Assigned: conversations an agent serves at the end.
	Assigned int `json:"assigned"`
	// DoubleAssignments: conversations assigned to two agents (by the
	// events, or by the agents' lists at the end).
	DoubleAssignments int `json:"double_assignments"`
	// CapacityViolations: agents who ever held more conversations (served
	// and offered) than their capacity.
	CapacityViolations int `json:"capacity_violations"`
	// Offered: conversations offered (offer mode); Unplaced: neither
	// offered nor assigned by the end.
	Offered  int `json:"offered"`
	Unplaced int `json:"unplaced"`
	// Errors: visitors that could not connect or write, refusals, failed
	// accepts, sockets that ended.
	Errors int `json:"errors"`
	// Reconnects: visitor sockets the server dropped for reading too
	// slowly, which the visitors opened again (as the widget does).
	Reconnects    int     `json:"reconnects"`
	Conversations int     `json:"conversations"`
	Agents        int     `json:"agents"`
	Capacity      int     `json:"capacity"`
	ServerRSSMB   float64 `json:"server_rss_mb"`
	ServerCPUS    float64 `json:"server_cpu_s"`
}

func (r *AssignResult) rows() [][2]string {
	return [][2]string{
		{"enqueue → offer/assignment", r.LatencyMS.String()},
		{"assigned", fmt.Sprintf("%d of %d (%d offered, %d unplaced)", r.Assigned, r.Conversations, r.Offered, r.Unplaced)},
		{"double assignments", fmt.Sprint(r.DoubleAssignments)},
		{"capacity violations", fmt.Sprint(r.CapacityViolations)},
		{"errors", fmt.Sprint(r.Errors)},
		{"visitor reconnects", fmt.Sprint(r.Reconnects)},
		{"agents × capacity", fmt.Sprintf("%d × %d", r.Agents, r.Capacity)},
		{"server", fmt.Sprintf("%.1f MB RSS, %.1f s CPU", r.ServerRSSMB, r.ServerCPUS)},
	}
}

// assignTrack follows each conversation from enqueue to its agent.
type assignTrack struct {
	mu sync.Mutex
	// enqueued: visitor index → when its first message was sent.
	enqueued map[int]time.Time
	// Visitors are not told their conversation's id, so a conversation is
	// tied to its visitor through the first message: the visitor's ack
	// names the message (firstMessage: visitor → message id), the
	// message.created event names message and conversation (messageConv).
	firstMessage map[int]int64
	messageConv  map[int64]int64
	// placed: conversation id → first offer or assignment seen on the
	// chosen agent's socket.
	placed map[int64]time.Time
	// agentsOf: conversation id → the agents it was assigned to.
	agentsOf map[int64]map[int64]bool
	offered  map[int64]bool
	// held: agent → conversations offered to or assigned to them (nothing
	// closes during the run, so this only grows).
	held map[int64]map[int64]bool
	errs int
	last string
}

func (t *assignTrack) fail(err error) {
	t.mu.Lock()
	t.errs++
	t.last = err.Error()
	t.mu.Unlock()
}

func runAssign(ctx context.Context, r *runner, args []string) (result, error) {
	fs := r.flags("assign")
	conversations := fs.Int("conversations", 200, "conversations to enqueue")
	agents := fs.Int("agents", 10, "agents ready to take them")
	capacity := fs.Int("capacity", 0, "conversations each agent takes at once (default: enough for all, at most 100)")
	rate := fs.Float64("rate", 100, "conversations enqueued per second")
	mode := fs.String("mode", "offer", "offer (the agent accepts each offer, as the bench's agents do at once) or direct (assigned without asking)")
	wait := fs.Duration("wait", 30*time.Second, "how long to wait, after the last enqueue, for conversations still being placed")
	if err := r.parse(fs, args); err != nil {
		return nil, err
	}
	if *conversations < 1 || *agents < 1 || *rate <= 0 {
		return nil, errors.New("--conversations, --agents and --rate must be positive")
	}
	if *mode != "offer" && *mode != "direct" {
		return nil, fmt.Errorf("--mode %q: want offer or direct", *mode)
	}
	if *capacity == 0 {
		*capacity = min(100, (*conversations+*agents-1) / *agents)
	}
	if *capacity < 1 || *capacity > 100 {
		return nil, fmt.Errorf("--capacity %d: want 1 to 100", *capacity)
	}
	res := &AssignResult{Header: Header{Engine: r.engine(), Params: map[string]any{
		"conversations": *conversations, "agents": *agents, "capacity": *capacity, "rate": *rate, "mode": *mode}},
		Conversations: *conversations, Agents: *agents, Capacity: *capacity}
	if *agents**capacity < *conversations {
		res.note("%d agents × %d slots hold fewer than %d conversations: the rest stay queued", *agents, *capacity, *conversations)
	}
	if _, err := raiseFileLimit(uint64(*conversations + *agents + 1024)); err != nil {
		res.note("could not raise the open-file limit: %v", err)
	}

	s, err := r.target(ctx)
	if err != nil {
		return nil, err
	}
	res.Engine = s.engine
	st, err := newSetup(ctx, s, "assign")
	if err != nil {
		return nil, err
	}
	if err := st.routing(ctx, *mode); err != nil {
		return nil, err
	}
	key, err := st.createChannel(ctx)
	if err != nil {
		return nil, err
	}
	r.log.printf("creating %d agents (capacity %d each)", *agents, *capacity)
	team, err := st.agents(ctx, *agents, *capacity)
	if err != nil {
		return nil, err
	}

	t := &assignTrack{enqueued: map[int]time.Time{}, firstMessage: map[int]int64{}, messageConv: map[int64]int64{}, placed: map[int64]time.Time{},
		agentsOf: map[int64]map[int64]bool{}, offered: map[int64]bool{}, held: map[int64]map[int64]bool{}}
	var accepts sync.WaitGroup
	sockets := make([]*agentSocket, len(team))
	for i, a := range team {
		a := a
		sockets[i], err = dialAgent(ctx, a.session, func(ev *event, at time.Time) {
			if ev.Kind == "message.created" {
				t.mu.Lock()
				t.messageConv[ev.Data.MessageID] = ev.Data.ConversationID
				t.mu.Unlock()
				return
			}
			// Every agent of the department sees every conversation event;
			// each is counted on the socket of the agent it names.
			if ev.Data.AgentID != a.userID {
				return
			}
			c := ev.Data.ConversationID
			switch ev.Kind {
			case "conversation.offered", "conversation.assigned":
			case "conversation.offer_withdrawn":
				t.mu.Lock()
				delete(t.held[a.userID], c)
				t.mu.Unlock()
				return
			default:
				return
			}
			t.mu.Lock()
			if _, ok := t.placed[c]; !ok {
				t.placed[c] = at
			}
			if t.held[a.userID] == nil {
				t.held[a.userID] = map[int64]bool{}
			}
			t.held[a.userID][c] = true
			if ev.Kind == "conversation.assigned" {
				if t.agentsOf[c] == nil {
					t.agentsOf[c] = map[int64]bool{}
				}
				t.agentsOf[c][a.userID] = true
			} else {
				t.offered[c] = true
			}
			t.mu.Unlock()
			if ev.Kind == "conversation.offered" {
				// The agent accepts at once, as someone at their desk would.
				accepts.Add(1)
				go func() {
					defer accepts.Done()
					if err := a.do(context.WithoutCancel(ctx), "POST", fmt.Sprintf("/api/v1/conversations/%d/accept", c), nil, nil); err != nil {
						t.fail(fmt.Errorf("agent %d accepts conversation %d: %w", a.userID, c, err))
					}
				}()
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

	h := visitorHandler{
		ack: func(v *visitor, clientID string, messageID int64, at time.Time) {
			t.mu.Lock()
			t.firstMessage[v.index] = messageID
			t.mu.Unlock()
		},
		refused: func(v *visitor, code, message string) {
			t.fail(fmt.Errorf("visitor %d: %s: %s", v.index, code, message))
		},
	}
	r.log.printf("connecting %d visitors", *conversations)
	vs, failed, firstErr := dialVisitors(ctx, s.url, key, 0, *conversations, 32, h)
	if len(vs) == 0 {
		return nil, fmt.Errorf("no visitor could connect: %w", firstErr)
	}
	defer func() {
		for _, v := range vs {
			v.close()
		}
	}()
	if failed > 0 {
		res.Errors += failed
		res.note("%d of %d visitors could not connect (first: %v)", failed, *conversations, firstErr)
	}

	// Enqueue: visitor i writes its first message at start + i/rate.
	r.log.printf("enqueueing %d conversations at %.0f/s", len(vs), *rate)
	cpu0 := s.cpu()
	start := time.Now().Add(100 * time.Millisecond)
	profiled := make(chan error, 1)
	go func() {
		profiled <- r.profile(ctx, s, "assign", time.Duration(float64(len(vs)) / *rate * float64(time.Second)), nil)
	}()
	var wg sync.WaitGroup
	for i, v := range vs {
		wg.Add(1)
		go func(i int, v *visitor) {
			defer wg.Done()
			time.Sleep(time.Until(start.Add(time.Duration(float64(i) / *rate * float64(time.Second)))))
			t.mu.Lock()
			t.enqueued[v.index] = time.Now()
			t.mu.Unlock()
			if err := v.message(ctx, fmt.Sprintf("open-%d", v.index), "Olá, gostaria de falar com um atendente."); err != nil {
				t.fail(err)
			}
		}(i, v)
	}
	wg.Wait()

	// Wait until every conversation is placed and accepted (or can no
	// longer be: slots run out), or the wait is over.
	want := min(len(vs), *agents**capacity)
	deadline := time.Now().Add(*wait)
	for time.Now().Before(deadline) {
		t.mu.Lock()
		n := len(t.agentsOf)
		t.mu.Unlock()
		if n >= want {
			break
		}
		if err := s.failed(); err != nil {
			return nil, err
		}
		time.Sleep(20 * time.Millisecond)
	}
	accepts.Wait()
	time.Sleep(300 * time.Millisecond) // late duplicates, if any
	res.ServerCPUS = round2((s.cpu() - cpu0).Seconds())
	res.ServerRSSMB = mb(s.rss())
	if err := <-profiled; err != nil {
		r.log.printf("profile: %v", err)
	}

	// What the agents hold at the end, by their own lists: a conversation
	// on two lists, or a list longer than the capacity, is a violation the
	// events might have missed.
	lists := map[int64]int64{} // conversation → agent
	listDoubles := 0
	for _, a := range team {
		var page struct {
			Conversations []struct {
				ID int64 `json:"id"`
			} `json:"conversations"`
		}
		if err := a.do(ctx, "GET", "/api/v1/conversations?tab=active", nil, &page); err != nil {
			return nil, err
		}
		if len(page.Conversations) > *capacity {
			res.CapacityViolations++
		}
		for _, c := range page.Conversations {
			if other, ok := lists[c.ID]; ok && other != a.userID {
				listDoubles++
			}
			lists[c.ID] = a.userID
		}
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	var latencies []time.Duration
	for i, sent := range t.enqueued {
		if at, ok := t.placed[t.messageConv[t.firstMessage[i]]]; ok {
			latencies = append(latencies, at.Sub(sent))
		}
	}
	for _, agents := range t.agentsOf {
		if len(agents) > 1 {
			res.DoubleAssignments++
		}
	}
	res.DoubleAssignments = max(res.DoubleAssignments, listDoubles)
	for _, held := range t.held {
		if len(held) > *capacity {
			res.CapacityViolations++
		}
	}
	res.Assigned = len(lists)
	res.Offered = len(t.offered)
	res.Unplaced = len(vs) - len(t.placed)
	res.LatencyMS = latencyOf(latencies)
	res.Errors += t.errs
	if t.last != "" {
		res.note("last error: %s", t.last)
	}
	for _, v := range vs {
		if v.err != nil {
			res.Errors++
		}
		res.Reconnects += v.reconnected()
	}
	if res.Reconnects > 0 {
		res.note("the server dropped visitor sockets %d times for reading too slowly; the visitors reconnected", res.Reconnects)
	}
	for _, sock := range sockets {
		if sock.err != nil {
			res.Errors++
			res.note("%v", sock.err)
		}
	}
	if len(latencies) < len(t.placed) {
		res.note("%d placed conversations could not be timed: their first message was not acknowledged or not seen by an agent", len(t.placed)-len(latencies))
	}
	if err := s.failed(); err != nil {
		return nil, err
	}
	return res, nil
}
