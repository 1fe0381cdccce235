package realtime

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// A server holds tens of thousands of WebSockets that are idle nearly all
// the time, so what one costs while it waits matters more than what a frame
// costs. Conn keeps that small:
//
//   - No buffers to speak of. net/http hands a hijacked connection over with
//     4 KiB read and write buffers that the WebSocket keeps for its life.
//     Accept gives it a readBuffer-byte read buffer (bufio reads a payload
//     larger than that straight into the caller's slice: a larger frame
//     costs a system call more, nothing else), and a tiny write buffer over
//     a frameWriter, which gathers a frame in a pooled buffer only while
//     Write sends it.
//   - No timer or context per write. coder/websocket keeps the context of
//     the last write until the next one, so a context.WithTimeout per write
//     stays alive (with its timer) for as long as the socket idles. Write
//     bounds the network write with a deadline on the connection instead.
//   - Nothing per socket besides. Reads and writes pass a context that is
//     never cancelled, which coder/websocket then has nothing to register
//     with; a socket ends when it is closed, from either side.

// Buffer sizes of a socket. A client's frames are mostly a few dozen bytes
// (pings, typing signals, read marks): readBuffer takes one in a single
// system call. writeBuffer only needs to hold a frame header; frames are
// gathered by the frameWriter.
const (
	readBuffer  = 64
	writeBuffer = 16
)

// WriteTimeout is how long a client may take to accept one frame before
// its socket is closed as too slow.
const WriteTimeout = 10 * time.Second

// Conn is a server's WebSocket.
type Conn struct {
	ws *websocket.Conn
	fw frameWriter

	// wmu makes a frame's gathering and sending one.
	wmu sync.Mutex
}

// Accept upgrades the request to a WebSocket that costs little while idle
// (see above). It has answered the request when it returns an error.
func Accept(w http.ResponseWriter, r *http.Request, opts *websocket.AcceptOptions) (*Conn, error) {
	c := &Conn{fw: frameWriter{timeout: WriteTimeout}}
	ws, err := websocket.Accept(&hijacker{ResponseWriter: w, c: c}, r, opts)
	if err != nil {
		return nil, err
	}
	c.ws = ws
	return c, nil
}

// hijacker hands coder/websocket the hijacked connection with our buffers.
// Anything the client sent before the upgrade's answer (which net/http has
// read ahead) comes first.
type hijacker struct {
	http.ResponseWriter
	c *Conn
}

func (h *hijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.c.fw.conn = conn
	var br *bufio.Reader
	if n := rw.Reader.Buffered(); n > 0 {
		// coder/websocket reads what is buffered again from the buffer it
		// is given, so put it there.
		ahead, _ := rw.Reader.Peek(n)
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(ahead)), conn), max(n, readBuffer))
		if _, err := br.Peek(n); err != nil {
			conn.Close()
			return nil, nil, err
		}
	} else {
		br = bufio.NewReaderSize(conn, readBuffer)
	}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(&h.c.fw, writeBuffer)), nil
}

// frameWriter is what the WebSocket writes to. While Conn.Write sends a
// frame it gathers the frame's pieces (header, payload) in a buffer from a
// pool, which goes out in one system call under the write deadline and back
// to the pool; an idle socket holds none. coder/websocket's own writes
// (pongs, close frames) go straight through, in order: it writes one frame
// at a time, and one written while a frame is being gathered joins it.
type frameWriter struct {
	conn      net.Conn
	timeout   time.Duration // WriteTimeout, but in tests
	mu        sync.Mutex
	gathering bool
	buf       *[]byte
}

var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxPooled bounds the buffers kept for reuse: a large snapshot's is let go.
const maxPooled = 64 << 10

func (w *frameWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.gathering {
		return w.conn.Write(p)
	}
	if w.buf == nil {
		w.buf = framePool.Get().(*[]byte)
	}
	*w.buf = append(*w.buf, p...)
	return len(p), nil
}

func (w *frameWriter) gather() {
	w.mu.Lock()
	w.gathering = true
	w.mu.Unlock()
}

// send writes what was gathered, within the timeout, and stops gathering.
func (w *frameWriter) send() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gathering = false
	if w.buf == nil {
		return nil
	}
	b := w.buf
	w.buf = nil
	w.conn.SetWriteDeadline(time.Now().Add(w.timeout))
	_, err := w.conn.Write(*b)
	if err == nil {
		// coder/websocket's own writes have their own timeouts and must not
		// meet an old deadline.
		w.conn.SetWriteDeadline(time.Time{})
	}
	if cap(*b) <= maxPooled {
		*b = (*b)[:0]
		framePool.Put(b)
	}
	return err
}

// never is the context of reads and writes: a socket ends by being closed.
var never = context.Background()

// Read waits for the next data message. It returns an error once the socket
// is closed, by either side.
func (c *Conn) Read() (websocket.MessageType, []byte, error) {
	return c.ws.Read(never)
}

// Write sends one message. A client that does not take it within
// WriteTimeout has its socket closed, as does any failure to write.
func (c *Conn) Write(typ websocket.MessageType, data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.fw.gather()
	err := c.ws.Write(never, typ, data)
	if serr := c.fw.send(); err == nil {
		err = serr
	}
	if err != nil {
		c.ws.CloseNow()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("the client took no frame for %v: %w", c.fw.timeout, err)
		}
		return err
	}
	return nil
}

// Ping sends a ping and waits for the pong, at most timeout.
func (c *Conn) Ping(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(never, timeout)
	defer cancel()
	return c.ws.Ping(ctx)
}

// Close closes the socket with a status and reason, waiting a few seconds at
// most for the client to answer the close.
func (c *Conn) Close(code websocket.StatusCode, reason string) error {
	return c.ws.Close(code, reason)
}

// CloseNow closes the socket without a close handshake.
func (c *Conn) CloseNow() error { return c.ws.CloseNow() }

// SetReadLimit bounds the size of a message read; a larger one closes the
// socket with status 1009.
func (c *Conn) SetReadLimit(n int64) { c.ws.SetReadLimit(n) }
