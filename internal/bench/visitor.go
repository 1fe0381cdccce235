package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// benchOrigin is the site the bench's website chat runs on: the channel
// allows it, and every visitor socket says it comes from there.
const benchOrigin = "https://bench.invalid"

// createChannel makes a website chat channel of the department, allowing
// the bench's origin, and returns its public key.
func (st *setup) createChannel(ctx context.Context) (string, error) {
	var ch struct {
		ID        int64  `json:"id"`
		PublicKey string `json:"public_key"`
	}
	err := st.admin.do(ctx, "POST", "/api/v1/webchat/channels", map[string]any{
		"name": st.prefix, "department_id": st.departmentID, "allowed_origins": []string{benchOrigin}}, &ch)
	var apiErr *apiError
	if errors.As(err, &apiErr) && (apiErr.status == http.StatusNotFound || apiErr.status == http.StatusMethodNotAllowed) {
		return "", fmt.Errorf("this server has no website chat (POST /api/v1/webchat/channels answered %d): the scenario needs visitors", apiErr.status)
	}
	if err != nil {
		return "", fmt.Errorf("create the bench's website chat channel: %w", err)
	}
	if ch.PublicKey == "" {
		return "", fmt.Errorf("the website chat channel %d came without a public key", ch.ID)
	}
	return ch.PublicKey, nil
}

// visitorTransport dials the server for visitor sockets from a spread of
// loopback addresses (127.0.0.1 to 127.0.0.250): one source address has
// only some 28,000 ephemeral ports, fewer than the connections scenario
// may hold.
var visitorTransport = &http.Transport{
	Proxy: nil,
	DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		n := localPick.Add(1)
		d := net.Dialer{Timeout: 10 * time.Second}
		if host, _, err := net.SplitHostPort(addr); err == nil && net.ParseIP(host).IsLoopback() && net.ParseIP(host).To4() != nil {
			d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+n%250))}
		}
		return d.DialContext(ctx, network, addr)
	},
}

var localPick atomic.Uint32

// visitorAddress is the client address visitor i appears to come from: the
// server runs with --behind-proxy, so X-Forwarded-For names it, and the
// per-address limits (connections, messages) apply per visitor as they
// would to people on their own networks.
func visitorAddress(i int) string {
	i++
	return fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)
}

// widgetFrame is a frame from Atende to a widget, with the fields the
// bench reads (docs/widget-protocol.md). message is an object in ack and
// message frames and a string in error frames, so it stays raw.
type widgetFrame struct {
	Type         string          `json:"type"`
	Seq          int64           `json:"seq"`
	ClientID     string          `json:"client_id"`
	Code         string          `json:"code"`
	Message      json.RawMessage `json:"message"`
	RetryAfter   int             `json:"retry_after"`
	Token        string          `json:"token"`
	Conversation *struct {
		Protocol string `json:"protocol"`
		Status   string `json:"status"`
	} `json:"conversation"`
}

// visitorHandler is told what a visitor's socket receives, on the socket's
// reading goroutine; it must be quick. Any field may be nil.
type visitorHandler struct {
	// ack: the visitor's message clientID is stored as message messageID.
	ack func(v *visitor, clientID string, messageID int64, at time.Time)
	// conversation: the visitor's conversation (named by its protocol
	// number: visitors are not told ids) is now in status.
	conversation func(v *visitor, protocol, status string, at time.Time)
	// refused: an error frame.
	refused func(v *visitor, code, message string)
	// resent: the server could not store the visitor's message clientID
	// now (error unavailable); the visitor sends it again after
	// retry_after (2 s if not given), as the widget does.
	resent func(v *visitor, clientID string)
}

// visitor is one person on the bench's site with the chat widget open. Like
// the widget, it reconnects when the server drops its socket for reading
// too slowly (close status 1008), saying hello again with its token and the
// last sequence it saw, and once synced sends again, with the same client
// ids, the messages not yet acknowledged (the server stores each client id
// once).
type visitor struct {
	index int
	base  string
	key   string
	h     visitorHandler

	mu      sync.Mutex
	conn    *websocket.Conn
	token   string
	lastSeq int64
	unacked map[string]string // client id → body
	// reconnects counts the sockets the server dropped and the visitor
	// opened again; retry the attempts since the last welcome.
	reconnects, retry int

	writeM sync.Mutex
	done   chan struct{}
	closed atomic.Bool
	// pongs counts the server's answers to the visitor's pings.
	pongs atomic.Int32
	// err is why the visitor gave up, when the bench did not close it.
	err error
}

// maxRetries is how many reconnections in a row, without a welcome, a
// visitor tries before it gives up (the last waits 32 s or so).
const maxRetries = 6

// dialVisitor opens visitor i's socket on the channel, says hello and waits
// for the welcome.
func dialVisitor(ctx context.Context, base, channelKey string, i int, h visitorHandler) (*visitor, error) {
	v := &visitor{index: i, base: base, key: channelKey, h: h, unacked: map[string]string{}, done: make(chan struct{})}
	conn, err := v.connect(ctx)
	if err != nil {
		return nil, err
	}
	welcome := make(chan error, 1)
	go v.run(conn, welcome)
	select {
	case err := <-welcome:
		if err != nil {
			v.closed.Store(true)
			conn.CloseNow()
			return nil, err
		}
	case <-ctx.Done():
		v.closed.Store(true)
		conn.CloseNow()
		return nil, ctx.Err()
	case <-time.After(30 * time.Second):
		v.closed.Store(true)
		conn.CloseNow()
		return nil, fmt.Errorf("visitor %d: no welcome in 30s", i)
	}
	return v, nil
}

// connect opens the socket and says hello (with the token and last
// sequence once it has them).
func (v *visitor) connect(ctx context.Context) (*websocket.Conn, error) {
	wsURL := "ws" + strings.TrimPrefix(v.base, "http") + "/widget/v1/ws?channel=" + v.key
	header := http.Header{}
	header.Set("Origin", benchOrigin)
	header.Set("X-Forwarded-For", visitorAddress(v.index))
	header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) atende-bench")
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, res, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{HTTPClient: &http.Client{Transport: visitorTransport}, HTTPHeader: header})
	if err != nil {
		status := ""
		if res != nil {
			status = fmt.Sprintf(" (%s)", res.Status)
		}
		return nil, fmt.Errorf("visitor %d: open the widget socket%s: %w", v.index, status, err)
	}
	conn.SetReadLimit(1 << 20)
	hello := map[string]any{"type": "hello", "language": "pt-BR", "time_zone": "America/Sao_Paulo",
		"page": map[string]string{"url": benchOrigin + "/produtos", "title": "Produtos"}}
	v.mu.Lock()
	if v.token != "" {
		hello["token"], hello["after"] = v.token, v.lastSeq
	}
	v.conn = conn
	v.mu.Unlock()
	if err := v.write(dctx, conn, hello); err != nil {
		conn.CloseNow()
		return nil, err
	}
	return conn, nil
}

// run reads the socket until it ends, reconnecting when the server dropped
// it for being slow; welcome gets nil on the first welcome, or why none came.
func (v *visitor) run(conn *websocket.Conn, welcome chan<- error) {
	defer close(v.done)
	for {
		err := v.read(conn, welcome)
		welcome = nil
		if v.closed.Load() {
			return
		}
		if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
			v.err = fmt.Errorf("visitor %d: widget socket: %w", v.index, err)
			return
		}
		// As the widget does (web/widget/src/widget.ts): wait 1 s, doubled
		// for each attempt since the last welcome, times a random 0.5 to 1,
		// then hello again; pending messages go again once synced. The
		// widget never gives up; the bench does after maxRetries attempts
		// without a welcome.
		for {
			v.mu.Lock()
			retry := v.retry
			v.retry++
			v.mu.Unlock()
			if retry >= maxRetries {
				v.err = fmt.Errorf("visitor %d: %d reconnections without a welcome, after %w", v.index, retry, err)
				return
			}
			delay := min(30*time.Second, time.Second<<retry)
			time.Sleep(time.Duration(float64(delay) * (0.5 + rand.Float64()/2)))
			if v.closed.Load() {
				return
			}
			next, cerr := v.connect(context.Background())
			if cerr != nil {
				err = cerr
				continue
			}
			if v.closed.Load() {
				next.CloseNow()
				return
			}
			v.mu.Lock()
			v.reconnects++
			v.mu.Unlock()
			conn = next
			break
		}
	}
}

// read decodes one socket's frames until it ends, and returns why.
func (v *visitor) read(conn *websocket.Conn, welcome chan<- error) error {
	h := v.h
	for {
		_, data, err := conn.Read(context.Background())
		if err != nil {
			if welcome != nil {
				welcome <- fmt.Errorf("visitor %d: the socket ended before the welcome: %w", v.index, err)
			}
			return err
		}
		at := time.Now()
		var f widgetFrame
		if err := json.Unmarshal(data, &f); err != nil {
			if h.refused != nil {
				h.refused(v, "undecodable", fmt.Sprintf("%.200s: %v", data, err))
			}
			continue
		}
		if f.Seq > 0 {
			v.mu.Lock()
			v.lastSeq = max(v.lastSeq, f.Seq)
			v.mu.Unlock()
		}
		switch f.Type {
		case "welcome":
			v.mu.Lock()
			v.token, v.retry = f.Token, 0
			v.mu.Unlock()
			if welcome != nil {
				welcome <- nil
				welcome = nil
			}
		case "pong":
			v.pongs.Add(1)
		case "synced":
			// The replay is over: what is still unacknowledged goes again,
			// with the same client ids (after a reconnection; at first
			// there is nothing).
			v.mu.Lock()
			pending := make(map[string]string, len(v.unacked))
			for id, body := range v.unacked {
				pending[id] = body
			}
			v.mu.Unlock()
			for id, body := range pending {
				v.write(context.Background(), conn, map[string]string{"type": "message", "client_id": id, "body": body})
			}
		case "ack":
			var m struct {
				ID int64 `json:"id"`
			}
			json.Unmarshal(f.Message, &m)
			v.mu.Lock()
			delete(v.unacked, f.ClientID)
			v.mu.Unlock()
			if h.ack != nil {
				h.ack(v, f.ClientID, m.ID, at)
			}
		case "conversation", "snapshot":
			if f.Conversation != nil && h.conversation != nil {
				h.conversation(v, f.Conversation.Protocol, f.Conversation.Status, at)
			}
		case "error":
			v.mu.Lock()
			body, pending := v.unacked[f.ClientID]
			v.mu.Unlock()
			if pending && f.Code == "unavailable" {
				if h.resent != nil {
					h.resent(v, f.ClientID)
				}
				id, after := f.ClientID, 2*time.Second
				if f.RetryAfter > 0 {
					after = time.Duration(f.RetryAfter) * time.Second
				}
				time.AfterFunc(after, func() {
					v.mu.Lock()
					_, still := v.unacked[id]
					c := v.conn
					v.mu.Unlock()
					if still && !v.closed.Load() {
						v.write(context.Background(), c, map[string]string{"type": "message", "client_id": id, "body": body})
					}
				})
				continue
			}
			var text string
			json.Unmarshal(f.Message, &text)
			if welcome != nil && f.Code != "bad_signature" {
				welcome <- fmt.Errorf("visitor %d: refused: %s: %s", v.index, f.Code, text)
				welcome = nil
			}
			if h.refused != nil {
				h.refused(v, f.Code, text)
			}
		}
	}
}

// write writes one frame on conn.
func (v *visitor) write(ctx context.Context, conn *websocket.Conn, frame any) error {
	data, err := json.Marshal(frame)
	if err != nil {
		return err
	}
	v.writeM.Lock()
	defer v.writeM.Unlock()
	if err := conn.Write(ctx, websocket.MessageText, data); err != nil {
		return fmt.Errorf("visitor %d: write: %w", v.index, err)
	}
	return nil
}

// message writes a chat message with the given client id. It stays
// pending until acknowledged: a socket dropped meanwhile is reopened and
// the message sent again, so a failed write is an error only once the
// visitor has given up.
func (v *visitor) message(ctx context.Context, clientID, body string) error {
	v.mu.Lock()
	v.unacked[clientID] = body
	conn := v.conn
	v.mu.Unlock()
	err := v.write(ctx, conn, map[string]string{"type": "message", "client_id": clientID, "body": body})
	if err == nil {
		return nil
	}
	select {
	case <-v.done:
		return err
	default:
		return nil // reconnecting: sent again on the new socket
	}
}

// reconnected is how many times the server dropped the visitor's socket
// and it opened another.
func (v *visitor) reconnected() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.reconnects
}

// close closes the socket normally and waits for its reader.
func (v *visitor) close() {
	v.closed.Store(true)
	v.mu.Lock()
	conn := v.conn
	v.mu.Unlock()
	conn.Close(websocket.StatusNormalClosure, "bench over")
	select {
	case <-v.done:
	case <-time.After(5 * time.Second):
		v.mu.Lock()
		conn = v.conn // a reconnection may have opened another
		v.mu.Unlock()
		conn.CloseNow()
		<-v.done
	}
}

func (v *visitor) failed() bool   { return v.err != nil }
func (v *visitor) answers() int32 { return v.pongs.Load() }

// ping sends the widget's ping; the answer is counted in pongs.
func (v *visitor) ping(ctx context.Context) error {
	v.mu.Lock()
	conn := v.conn
	v.mu.Unlock()
	return v.write(ctx, conn, map[string]string{"type": "ping"})
}

// drop ends the visitor without a close handshake: the socket's descriptor
// is closed at once, as when a browser tab is killed. Thousands of them end
// in a moment this way, where a close handshake each, waiting for the
// server's answer, takes minutes.
func (v *visitor) drop() {
	v.closed.Store(true)
	v.mu.Lock()
	conn := v.conn
	v.mu.Unlock()
	conn.CloseNow()
	<-v.done
}

// dialVisitors opens n visitor sockets, width at a time; a visitor that
// cannot connect is counted in failed (and the first reason kept) rather
// than ending the run, unless none connect.
func dialVisitors(ctx context.Context, base, key string, from, n, width int, h visitorHandler) (vs []*visitor, failed int, first error) {
	vs = make([]*visitor, n)
	var mu sync.Mutex
	parallel(ctx, n, width, func(ctx context.Context, i int) error {
		v, err := dialVisitor(ctx, base, key, from+i, h)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed++
			if first == nil {
				first = err
			}
			return nil
		}
		vs[i] = v
		return nil
	})
	out := vs[:0]
	for _, v := range vs {
		if v != nil {
			out = append(out, v)
		}
	}
	return out, failed, first
}
