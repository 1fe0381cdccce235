package realtime

import (
	"bufio"
	"bytes"
	"context"
	"errors"
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
//   - Small buffers. net/http hands a hijacked connection over with 4 KiB
//     read and write buffers that the WebSocket keeps for its life; Accept
//     gives it buffers of readBuffer and writeBuffer bytes instead. A frame
//     bigger than a buffer costs another system call, not correctness:
//     bufio reads a large payload straight into the caller's slice and
//     writes a large one straight to the connection.
//   - No timer or context per write. coder/websocket keeps the context of
//     the last write until the next one, so a context.WithTimeout per write
//     stays alive (with its timer) for as long as the socket idles. Write
//     bounds a write with a deadline on the connection instead, set before
//     and cleared after.
//   - Nothing per socket besides. Reads and writes pass a context that is
//     never cancelled, which coder/websocket then has nothing to register
//     with; a socket ends when it is closed, from either side.

// Buffer sizes of a socket. Most frames either way are a few hundred bytes:
// a typing signal, a ping, an event. writeBuffer holds a frame's header and
// a typical event whole, so it goes out in one system call.
const (
	readBuffer  = 256
	writeBuffer = 1024
)

// WriteTimeout is how long a client may take to accept one frame before
// its socket is closed as too slow.
const WriteTimeout = 10 * time.Second

// Conn is a server's WebSocket.
type Conn struct {
	ws *websocket.Conn
	nc net.Conn // for write deadlines

	// wmu makes a write and its deadline one: another write must not clear
	// the deadline of one in progress.
	wmu sync.Mutex
}

// Accept upgrades the request to a WebSocket with small buffers (see
// above). It has answered the request when it returns an error.
func Accept(w http.ResponseWriter, r *http.Request, opts *websocket.AcceptOptions) (*Conn, error) {
	hj := &hijacker{ResponseWriter: w}
	ws, err := websocket.Accept(hj, r, opts)
	if err != nil {
		return nil, err
	}
	return &Conn{ws: ws, nc: hj.conn}, nil
}

// hijacker hands coder/websocket the hijacked connection with buffers of
// our size. Anything the client sent before the upgrade's answer (which
// net/http has read ahead) comes first.
type hijacker struct {
	http.ResponseWriter
	conn net.Conn
}

func (h *hijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = conn
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
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, writeBuffer)), nil
}

// never is the context of reads and writes: a socket ends by being closed.
var never = context.Background()

// Read waits for the next data message. It returns an error once the socket
// is closed, by either side.
func (c *Conn) Read() (websocket.MessageType, []byte, error) {
	return c.ws.Read(never)
}

// Write sends one message. A client that does not take it within
// WriteTimeout has its socket closed.
func (c *Conn) Write(typ websocket.MessageType, data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	err := c.ws.Write(never, typ, data)
	if err != nil {
		// The buffered writer keeps the error: the socket cannot write
		// again.
		c.ws.CloseNow()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return errTooSlow
		}
		return err
	}
	// coder/websocket's own writes (pongs, the close frame) have their own
	// timeouts and must not meet an old deadline.
	c.nc.SetWriteDeadline(time.Time{})
	return nil
}

var errTooSlow = errors.New("the client took no frame for " + WriteTimeout.String())

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
