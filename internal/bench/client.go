package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// transport is shared by every client of a run: keep-alive connections to
// the one server, enough of them for many agents at once.
var transport = &http.Transport{
	Proxy:               nil,
	DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConns:        1024,
	MaxIdleConnsPerHost: 1024,
	IdleConnTimeout:     90 * time.Second,
}

// session is one signed-in user of the API: the administrator who sets the
// scenario up, or an agent.
type session struct {
	base   string
	http   *http.Client
	userID int64
	name   string
}

// signIn signs in with e-mail and password; the session cookie stays in
// the session's own jar.
func signIn(ctx context.Context, base, email, password string) (*session, error) {
	jar, _ := cookiejar.New(nil)
	s := &session{base: base, http: &http.Client{Transport: transport, Jar: jar}}
	if err := s.do(ctx, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password}, nil); err != nil {
		return nil, fmt.Errorf("sign in as %s: %w", email, err)
	}
	var me struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if err := s.do(ctx, "GET", "/api/v1/me", nil, &me); err != nil {
		return nil, err
	}
	s.userID, s.name = me.ID, me.Name
	return s, nil
}

// apiError is an answer other than 2xx.
type apiError struct {
	method, path string
	status       int
	body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.status, strings.TrimSpace(e.body))
}

// do sends in as JSON (when not nil) and decodes the answer into out (when
// not nil).
func (s *session) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		data, _ := io.ReadAll(io.LimitReader(res.Body, 2048))
		return &apiError{method: method, path: path, status: res.StatusCode, body: string(data)}
	}
	if out == nil {
		_, err = io.Copy(io.Discard, res.Body)
		return err
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// timedGet is a GET whose whole answer is read, timed from sending the
// request to the last byte.
func (s *session) timedGet(ctx context.Context, path string) (time.Duration, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", s.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	start := time.Now()
	res, err := s.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("GET %s: %w", path, err)
	}
	data, err := io.ReadAll(res.Body)
	res.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return 0, nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if res.StatusCode != http.StatusOK {
		return 0, nil, &apiError{method: "GET", path: path, status: res.StatusCode, body: string(data)}
	}
	return elapsed, data, nil
}

// An agent set up for a scenario: a user of role agent, a member of the
// bench's department, signed in.
type agent struct {
	*session
	email string
}

// setup is the account side of a scenario: a department whose agents the
// scenario signs in.
type setup struct {
	admin        *session
	departmentID int64
	prefix       string
}

// newSetup signs the administrator in and creates a department named
// after the run, so runs against one --url server do not mix.
func newSetup(ctx context.Context, s *server, scenario string) (*setup, error) {
	admin, err := signIn(ctx, s.url, s.adminEmail, s.adminPassword)
	if err != nil {
		return nil, err
	}
	prefix := fmt.Sprintf("bench-%s-%d", scenario, time.Now().UnixMilli())
	var dep struct {
		ID int64 `json:"id"`
	}
	if err := admin.do(ctx, "POST", "/api/v1/departments", map[string]string{"name": prefix}, &dep); err != nil {
		return nil, fmt.Errorf("create the bench department: %w", err)
	}
	return &setup{admin: admin, departmentID: dep.ID, prefix: prefix}, nil
}

// routing sets the department's routing: automatic distribution to the
// least busy agent, with offers (mode "offer") or without ("direct").
func (st *setup) routing(ctx context.Context, mode string) error {
	settings := map[string]any{
		"distribution": "auto", "policy": "least_busy", "offer_mode": mode, "offer_timeout_s": 600,
		"binding": false, "binding_notify": false, "inactivity_s": 86400, "abandonment_s": 172800, "close_reason_required": false,
	}
	if err := st.admin.do(ctx, "PUT", fmt.Sprintf("/api/v1/departments/%d/routing", st.departmentID), settings, nil); err != nil {
		return fmt.Errorf("set the department's routing: %w", err)
	}
	return nil
}

// agents creates n agents in the department with the given capacity and
// signs each in. Passwords are hashed with argon2id on purpose, so this
// takes a moment per agent: they are made a few at a time.
func (st *setup) agents(ctx context.Context, n, capacity int) ([]*agent, error) {
	out := make([]*agent, n)
	err := parallel(ctx, n, 4, func(ctx context.Context, i int) error {
		email := fmt.Sprintf("%s-agent-%d@bench.invalid", st.prefix, i+1)
		password := randomPassword()
		var u struct {
			ID int64 `json:"id"`
		}
		err := st.admin.do(ctx, "POST", "/api/v1/users", map[string]string{
			"name": fmt.Sprintf("Agent %d", i+1), "email": email, "role": "agent", "password": password}, &u)
		if err != nil {
			return fmt.Errorf("create agent %d: %w", i+1, err)
		}
		if err := st.admin.do(ctx, "PUT", fmt.Sprintf("/api/v1/departments/%d/members/%d", st.departmentID, u.ID), nil, nil); err != nil {
			return fmt.Errorf("add agent %d to the department: %w", i+1, err)
		}
		if err := st.admin.do(ctx, "PUT", fmt.Sprintf("/api/v1/users/%d/routing", u.ID),
			map[string]any{"capacity": capacity, "auto_distribution": true}, nil); err != nil {
			return fmt.Errorf("set agent %d's capacity: %w", i+1, err)
		}
		s, err := signIn(ctx, st.admin.base, email, password)
		if err != nil {
			return err
		}
		out[i] = &agent{session: s, email: email}
		return nil
	})
	return out, err
}

// ready sets the agent's presence to ready.
func (a *agent) ready(ctx context.Context) error {
	if err := a.do(ctx, "POST", "/api/v1/presence", map[string]string{"presence": "ready"}, nil); err != nil {
		return fmt.Errorf("agent %d ready: %w", a.userID, err)
	}
	return nil
}

// event is an event frame of the agent socket, with the fields the bench
// reads (docs/events.md).
type event struct {
	Type string `json:"type"`
	Seq  int64  `json:"seq"`
	Kind string `json:"kind"`
	Data struct {
		ConversationID int64  `json:"conversation_id"`
		MessageID      int64  `json:"message_id"`
		AgentID        int64  `json:"agent_id"`
		Status         string `json:"status"`
	} `json:"data"`
}

// agentSocket is an agent's WebSocket: every frame is decoded and handed,
// with the time it arrived, to the scenario's handler.
type agentSocket struct {
	conn   *websocket.Conn
	done   chan struct{}
	err    error
	closed atomic.Bool
	// pongs counts the server's answers to the socket's pings.
	pongs atomic.Int32
}

// dialAgent opens the agent's event socket (after=0: no replay wanted but
// what the account already has). handle runs on the socket's reading
// goroutine; it must be quick. With handle nil, events are dropped unread.
func dialAgent(ctx context.Context, a *session, handle func(ev *event, at time.Time)) (*agentSocket, error) {
	wsURL := "ws" + strings.TrimPrefix(a.base, "http") + "/api/v1/ws"
	conn, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: a.http})
	if err != nil {
		return nil, fmt.Errorf("agent %d: open the event socket: %w", a.userID, err)
	}
	conn.SetReadLimit(1 << 20)
	s := &agentSocket{conn: conn, done: make(chan struct{})}
	synced := make(chan struct{})
	var once sync.Once
	go func() {
		defer close(s.done)
		var head [16]byte
		for {
			data, err := readFrame(conn, handle == nil, head[:])
			if err == nil && data == nil {
				continue // an event, unread: nobody wants it
			}
			if err != nil {
				if !s.closed.Load() {
					s.err = fmt.Errorf("agent %d: event socket: %w", a.userID, err)
				}
				once.Do(func() { close(synced) })
				return
			}
			at := time.Now()
			var ev event
			if err := json.Unmarshal(data, &ev); err != nil {
				s.err = fmt.Errorf("agent %d: undecodable frame %.200s: %w", a.userID, data, err)
				continue
			}
			switch ev.Type {
			case "synced":
				once.Do(func() { close(synced) })
			case "reload":
				s.err = fmt.Errorf("agent %d: the server asked to reload", a.userID)
			case "pong":
				s.pongs.Add(1)
			}
			if handle != nil {
				handle(&ev, at)
			}
		}
	}()
	select {
	case <-synced:
	case <-ctx.Done():
		conn.CloseNow()
		return nil, ctx.Err()
	case <-time.After(30 * time.Second):
		conn.CloseNow()
		return nil, fmt.Errorf("agent %d: no synced frame in 30s", a.userID)
	}
	if s.err != nil {
		return nil, s.err
	}
	return s, nil
}

// eventPrefix is how the server's event frames begin.
const eventPrefix = `{"type":"event"`

// readFrame reads the socket's next message. With skipEvents, an event's
// frame is read no further than its beginning and dropped (data nil): a
// scenario holding thousands of agents' sockets that only wants them open
// would otherwise spend the cores the server runs on decoding every
// arrival for every socket.
func readFrame(conn *websocket.Conn, skipEvents bool, head []byte) ([]byte, error) {
	if !skipEvents {
		_, data, err := conn.Read(context.Background())
		return data, err
	}
	_, r, err := conn.Reader(context.Background())
	if err != nil {
		return nil, err
	}
	n, err := io.ReadFull(r, head[:len(eventPrefix)])
	if err == nil && string(head[:n]) == eventPrefix {
		_, err = io.Copy(io.Discard, r)
		return nil, err
	}
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	rest, err := io.ReadAll(r)
	return append(append([]byte(nil), head[:n]...), rest...), err
}

// close closes the socket normally.
func (s *agentSocket) close() {
	s.closed.Store(true)
	s.conn.Close(websocket.StatusNormalClosure, "bench over")
	<-s.done
}

func (s *agentSocket) failed() bool   { return s.err != nil }
func (s *agentSocket) answers() int32 { return s.pongs.Load() }

// ping sends the agent socket's ping (a frame of the protocol, answered
// with pong); the answer is counted in pongs.
func (s *agentSocket) ping(ctx context.Context) error {
	return s.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`))
}

// drop ends the socket without a close handshake (see visitor.drop).
func (s *agentSocket) drop() {
	s.closed.Store(true)
	s.conn.CloseNow()
	<-s.done
}

// parallel runs fn for 0..n-1 with at most width at once and returns the
// first error (the rest are cancelled).
func parallel(ctx context.Context, n, width int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, max(1, width))
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}
