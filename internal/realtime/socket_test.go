package realtime

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/atende/atende/internal/auth"
)

// serveOne starts a server whose single socket is handed to the test, and
// dials it with a client whose receive buffer is rcvbuf bytes (0: the
// system's).
func serveOne(t *testing.T, rcvbuf int) (*Conn, *websocket.Conn) {
	t.Helper()
	got := make(chan *Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		got <- c
	}))
	t.Cleanup(srv.Close)
	dialer := &net.Dialer{}
	transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		if err == nil && rcvbuf > 0 {
			err = conn.(*net.TCPConn).SetReadBuffer(rcvbuf)
		}
		return conn, err
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client, _, err := websocket.Dial(ctx, strings.Replace(srv.URL, "http", "ws", 1), &websocket.DialOptions{HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		t.Fatal(err)
	}
	client.SetReadLimit(-1)
	t.Cleanup(func() { client.CloseNow() })
	c := <-got
	t.Cleanup(func() { c.CloseNow() })
	return c, client
}

// Frames of every size get through the small buffers whole and in order,
// both ways, with pings crossing them.
func TestSocketFramesOfAnySizeArriveWhole(t *testing.T) {
	c, client := serveOne(t, 0)
	c.SetReadLimit(-1)
	sizes := []int{0, 1, 15, 16, 17, 63, 64, 65, 125, 126, 1000, 4096, 70000, 200000}
	frame := func(n int) []byte { return bytes.Repeat([]byte{byte('a' + n%26)}, n) }

	// Client → server, while the server pings: the client's reader
	// answers, the server's takes the pongs between the frames.
	go func() {
		for _, n := range sizes {
			client.Write(context.Background(), websocket.MessageText, frame(n))
		}
	}()
	go client.Read(context.Background())
	pinged := make(chan error, 1)
	go func() {
		var err error
		for i := 0; i < 5 && err == nil; i++ {
			err = c.Ping(5 * time.Second)
		}
		pinged <- err
	}()
	for _, n := range sizes {
		_, got, err := c.Read()
		if err != nil {
			t.Fatalf("server reading %d bytes: %v", n, err)
		}
		if !bytes.Equal(got, frame(n)) {
			t.Fatalf("server read %d bytes, want %d", len(got), n)
		}
	}
	go c.Read() // for the last pongs
	if err := <-pinged; err != nil {
		t.Fatalf("ping: %v", err)
	}
}

// Server → client: frames of every size, pooled gathering buffers reused
// and let go, arrive whole; pings go out between them.
func TestSocketWritesFramesWholeBetweenPings(t *testing.T) {
	c, client := serveOne(t, 0)
	sizes := []int{0, 1, 15, 16, 17, 125, 126, 1000, 4096, 70000, 200000, 10}
	frame := func(n int) []byte { return bytes.Repeat([]byte{byte('a' + n%26)}, n) }
	go c.Read() // answers the client's pings
	errs := make(chan error, 1)
	go func() {
		for _, n := range sizes {
			if err := c.Write(websocket.MessageText, frame(n)); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	for _, n := range sizes {
		_, got, err := client.Read(context.Background())
		if err != nil {
			t.Fatalf("client reading %d bytes: %v", n, err)
		}
		if !bytes.Equal(got, frame(n)) {
			t.Fatalf("client read %d bytes, want %d", len(got), n)
		}
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	// A ping from the server needs the client to read for the pong.
	go client.Read(context.Background())
	if err := c.Ping(5 * time.Second); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

// A client that stops reading makes a write fail after the write timeout,
// and the socket is closed: it cannot hold a writer forever.
func TestSocketTooSlowToReadIsClosed(t *testing.T) {
	c, _ := serveOne(t, 4096)
	c.fw.timeout = 200 * time.Millisecond
	c.fw.conn.(*net.TCPConn).SetWriteBuffer(4096)
	big := bytes.Repeat([]byte("x"), 32<<10)
	start := time.Now()
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		err = c.Write(websocket.MessageText, big)
	}
	if err == nil {
		t.Fatal("32 MB written to a client that reads nothing")
	}
	if !strings.Contains(err.Error(), "took no frame") {
		t.Fatalf("the write failed with %v, not as too slow", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the slow client was noticed after %v", d)
	}
	if _, _, err := c.Read(); err == nil {
		t.Fatal("the socket still reads after a failed write")
	}
}

// A client whose socket falls sendBuffer frames behind is closed as too
// slow, and pushing to it never blocks the hub meanwhile.
func TestClientTooSlowIsDroppedWithoutHoldingUpTheHub(t *testing.T) {
	conn, _ := serveOne(t, 4096)
	conn.fw.timeout = 500 * time.Millisecond
	conn.fw.conn.(*net.TCPConn).SetWriteBuffer(4096)
	read := make(chan error, 1)
	go func() {
		_, _, err := conn.Read()
		read <- err
	}()
	c := &client{p: auth.Principal{UserID: 1}, conn: conn}
	frame := bytes.Repeat([]byte("e"), 1024)
	start := time.Now()
	for range 4 * sendBuffer {
		c.push(frame)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("pushing to a client that reads nothing took %v", d)
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if !closed {
		t.Fatal("a client more than sendBuffer frames behind is still taking frames")
	}
	select {
	case err := <-read:
		if err == nil {
			t.Fatal("read a frame from a client that sent none")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the slow client's socket is still open")
	}
}

// An idle client costs no writer: the writer drains the queue and leaves.
func TestClientWriterLeavesWhenTheQueueIsEmpty(t *testing.T) {
	conn, peer := serveOne(t, 0)
	c := &client{p: auth.Principal{UserID: 1}, conn: conn}
	for i := range 3 {
		c.push([]byte{'0' + byte(i)})
	}
	for i := range 3 {
		_, got, err := peer.Read(context.Background())
		if err != nil || string(got) != string('0'+rune(i)) {
			t.Fatalf("frame %d: %q, %v", i, got, err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		writing, queued := c.writing, len(c.queue)
		c.mu.Unlock()
		if !writing && queued == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer is still there with nothing to write")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := conn.Write(websocket.MessageText, []byte("after")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := peer.Read(context.Background()); err != nil || string(got) != "after" {
		t.Fatalf("%q, %v", got, err)
	}
	var ce websocket.CloseError
	go conn.Close(websocket.StatusNormalClosure, "bye")
	_, _, err := peer.Read(context.Background())
	if !errors.As(err, &ce) || ce.Code != websocket.StatusNormalClosure {
		t.Fatalf("closing: %v", err)
	}
}

// waitsIdle waits until the socket's reader is back in its shallow wait.
func waitsIdle(t *testing.T, c *Conn) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.state.Load() != waiting {
		if time.Now().After(deadline) {
			t.Fatal("the reader is not waiting for the client")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// An idle socket's reader takes the client's pongs (and answers its pings)
// and goes back to waiting, without returning anything to its caller; the
// next message then arrives whole.
func TestSocketIdleReaderTakesControlFramesAndWaitsAgain(t *testing.T) {
	c, client := serveOne(t, 0)
	read := make(chan []byte, 1)
	go func() {
		_, data, err := c.Read()
		if err != nil {
			t.Error(err)
		}
		read <- data
	}()
	go client.Read(context.Background()) // answers the server's pings
	waitsIdle(t, c)
	for i := range 3 {
		if err := c.Ping(5 * time.Second); err != nil {
			t.Fatalf("ping %d: %v", i, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := client.Ping(ctx) // the server answers it
		cancel()
		if err != nil {
			t.Fatalf("the client's ping %d: %v", i, err)
		}
		waitsIdle(t, c)
	}
	select {
	case data := <-read:
		t.Fatalf("Read returned %q, with no message sent", data)
	default:
	}
	client.Write(context.Background(), websocket.MessageText, []byte("hello"))
	select {
	case data := <-read:
		if string(data) != "hello" {
			t.Fatalf("read %q", data)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the message did not arrive")
	}
}

// A client that answers no ping is found out within the pong timeout while
// the reader waits.
func TestSocketSilentClientFailsThePing(t *testing.T) {
	c, _ := serveOne(t, 0) // the client never reads, so never answers
	go c.Read()
	waitsIdle(t, c)
	start := time.Now()
	if err := c.Ping(300 * time.Millisecond); err == nil {
		t.Fatal("a client that never answered passed the ping")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the ping failed after %v", d)
	}
}

// A message sent in fragments, with pauses and a ping between them, is read
// whole: the reader does not stop waiting halfway through one.
func TestSocketFragmentedMessageArrivesWhole(t *testing.T) {
	c, client := serveOne(t, 0)
	c.SetReadLimit(-1)
	go func() {
		w, err := client.Writer(context.Background(), websocket.MessageText)
		if err != nil {
			t.Error(err)
			return
		}
		for _, part := range []string{"one ", "two ", strings.Repeat("x", 5000)} {
			w.Write([]byte(part))
			time.Sleep(50 * time.Millisecond)
		}
		w.Close()
	}()
	_, data, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	if want := "one two " + strings.Repeat("x", 5000); string(data) != want {
		t.Fatalf("read %d bytes, want %d", len(data), len(want))
	}
}

// Closing a socket whose reader waits still goes through the close
// handshake: the client gets the status, the server its answer, promptly,
// and the reader then returns an error.
func TestSocketCloseWhileTheReaderWaits(t *testing.T) {
	c, client := serveOne(t, 0)
	read := make(chan error, 1)
	go func() {
		_, _, err := c.Read()
		read <- err
	}()
	waitsIdle(t, c)
	got := make(chan error, 1)
	go func() {
		_, _, err := client.Read(context.Background())
		got <- err
	}()
	start := time.Now()
	if err := c.Close(websocket.StatusPolicyViolation, "too slow"); err != nil {
		t.Fatalf("close: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the close handshake took %v", d)
	}
	if err := <-got; websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("the client read %v", err)
	}
	select {
	case err := <-read:
		if err == nil {
			t.Fatal("the reader read a message from a closed socket")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the reader still waits on a closed socket")
	}
}

// The frame tracker knows where the client's stream is between messages,
// whatever pieces it comes in.
func TestFrameTrackerFindsTheGapsBetweenMessages(t *testing.T) {
	frame := func(fin bool, op byte, payload int) []byte {
		b := []byte{op, 0x80}
		if fin {
			b[0] |= 0x80
		}
		switch {
		case payload < 126:
			b[1] |= byte(payload)
		case payload < 1<<16:
			b[1] |= 126
			b = append(b, byte(payload>>8), byte(payload))
		default:
			b[1] |= 127
			b = append(b, 0, 0, 0, 0, byte(payload>>24), byte(payload>>16), byte(payload>>8), byte(payload))
		}
		b = append(b, 1, 2, 3, 4) // mask
		return append(b, make([]byte, payload)...)
	}
	steps := []struct {
		bytes   []byte
		between bool
	}{
		{frame(true, 1, 10), true},      // a text message
		{frame(true, 0xA, 3), true},     // a pong
		{frame(false, 1, 200), false},   // a message's first fragment
		{frame(true, 9, 0), false},      // a ping between its fragments
		{frame(false, 0, 70000), false}, // more of it
		{frame(true, 0, 1), true},       // its end
		{frame(true, 2, 0), true},       // an empty binary message
	}
	for _, piece := range []int{1, 3, 64, 1 << 20} {
		var tr frameTracker
		for i, st := range steps {
			for b := st.bytes; len(b) > 0; {
				k := min(piece, len(b))
				tr.track(b[:k])
				b = b[k:]
				if len(b) > 0 && tr.between() {
					t.Fatalf("pieces of %d: between messages inside step %d", piece, i)
				}
			}
			if tr.between() != st.between {
				t.Fatalf("pieces of %d: after step %d between is %v", piece, i, tr.between())
			}
		}
	}
}

// Messages written together arrive as if written one by one: whole, in
// order, however many and however large.
func TestSocketWriteAllSendsEachMessageInOrder(t *testing.T) {
	c, client := serveOne(t, 0)
	var msgs [][]byte
	for i := range 300 {
		msgs = append(msgs, bytes.Repeat([]byte{byte('a' + i%26)}, []int{0, 10, 200, 5000, 70000}[i%5]))
	}
	errs := make(chan error, 1)
	go func() { errs <- c.WriteAll(websocket.MessageText, msgs) }()
	for i, want := range msgs {
		_, got, err := client.Read(context.Background())
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("message %d: %d bytes, want %d", i, len(got), len(want))
		}
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}
