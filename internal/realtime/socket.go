package realtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
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
//   - A shallow wait. coder/websocket's Read, blocked for the next frame, is
//     some 1.8 KB of stack deep and keeps a context.AfterFunc alive; the
//     goroutine of an idle socket would need a 4 KB stack for it (a stack
//     only shrinks below a quarter used). Read waits instead in a one-byte
//     read of the connection, a few frames deep, and hands what came to
//     coder/websocket on a goroutine that leaves once it has read what there
//     was (see gate).

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
	in gate

	// wmu makes a frame's gathering and sending one.
	wmu sync.Mutex

	// The reader's wait (see Read) and Close's way out of it: waitMu is
	// held while the reader waits; state says whether it waits
	// (reading → waiting → reading), or must not any more (closing: Close's
	// handshake reads through coder/websocket, which must have the
	// connection to itself). resumed is closed once Close has taken the
	// reader out of its wait.
	waitMu  sync.Mutex
	cmu     sync.Mutex
	state   atomic.Int32
	resumed chan struct{}
}

// Reader states.
const (
	reading int32 = iota
	waiting
	closing
)

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
	h.c.in.Conn, h.c.in.r, h.c.in.state = conn, conn, &h.c.state
	var br *bufio.Reader
	if n := rw.Reader.Buffered(); n > 0 {
		// coder/websocket reads what is buffered again from the buffer it
		// is given (ahead of the connection it is given: the gate), so put
		// it there, through the gate, which follows the frames.
		ahead, _ := rw.Reader.Peek(n)
		h.c.in.r = io.MultiReader(bytes.NewReader(bytes.Clone(ahead)), conn)
		br = bufio.NewReaderSize(&h.c.in, max(n, readBuffer))
		if _, err := br.Peek(n); err != nil {
			conn.Close()
			return nil, nil, err
		}
	} else {
		br = bufio.NewReaderSize(&h.c.in, readBuffer)
	}
	return &h.c.in, bufio.NewReadWriter(br, bufio.NewWriterSize(&h.c.fw, writeBuffer)), nil
}

// errIdle is the gate's answer to a read for the next frame while there is
// none: the client has sent nothing more for now.
var errIdle = errors.New("the client sent nothing more")

// gate is what the socket's read buffer reads the connection through. It
// keeps track of the client's frames as they pass. While Read has it yield,
// a read for the next frame's header that would wait for the network (no
// data message unfinished) fails with errIdle instead: coder/websocket
// then returns from Read with that error, having taken the control frames
// that came (pongs, pings, which it answers) without a data message, and
// reads on normally the next time. Read waits for more on its own shallow
// stack, in a one-byte read (the byte is the next read's first).
//
// The gate is used by one goroutine at a time: Read's, or coder/websocket's
// reader under its read lock (Read's helper, or Close's handshake, which
// starts only once Read has left its wait).
//
// The gate is the connection coder/websocket is given: it reads through it.
type gate struct {
	net.Conn
	r     io.Reader // the connection, after any bytes read ahead of the upgrade
	state *atomic.Int32
	yield atomic.Bool

	first    [1]byte // the byte the wait took,
	hasFirst bool    // if it took one
	frames   frameTracker
}

func (g *gate) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if g.hasFirst {
		g.hasFirst = false
		p[0] = g.first[0]
		g.frames.track(p[:1])
		return 1, nil
	}
	if g.frames.between() && g.yield.Load() && g.state.Load() != closing {
		return 0, errIdle
	}
	n, err := g.r.Read(p)
	g.frames.track(p[:n])
	return n, err
}

// wait blocks until the client sends something, which it keeps for the
// next read, or the connection fails. It reports whether a byte came.
func (g *gate) wait() bool {
	n, _ := g.r.Read(g.first[:])
	g.hasFirst = n == 1
	return g.hasFirst
}

// frameTracker follows the frames of the client's stream (RFC 6455 5.2)
// byte by byte, to know when the stream is between messages.
type frameTracker struct {
	header    [14]byte
	n         int   // header bytes seen of the frame coming
	left      int64 // payload bytes still to come of the current frame
	inMessage bool  // a data message has frames still to come
}

// between says whether the bytes so far end whole frames, and no data
// message is unfinished.
func (t *frameTracker) between() bool { return t.n == 0 && t.left == 0 && !t.inMessage }

func (t *frameTracker) track(p []byte) {
	for len(p) > 0 {
		if t.left > 0 {
			k := min(int64(len(p)), t.left)
			t.left -= k
			p = p[k:]
			continue
		}
		t.header[t.n] = p[0]
		t.n++
		p = p[1:]
		if t.n < 2 {
			continue
		}
		need, size := 2, int64(t.header[1]&0x7f)
		switch size {
		case 126:
			need += 2
		case 127:
			need += 8
		}
		if t.header[1]&0x80 != 0 {
			need += 4 // the mask
		}
		if t.n < need {
			continue
		}
		switch size {
		case 126:
			size = int64(binary.BigEndian.Uint16(t.header[2:4]))
		case 127:
			size = int64(binary.BigEndian.Uint64(t.header[2:10]) &^ (1 << 63))
		}
		// Continuation, text and binary frames carry data messages; a
		// message ends with a frame that has FIN. Control frames (8 and
		// up) may come between a message's frames.
		if op := t.header[0] & 0x0f; op < 8 {
			t.inMessage = t.header[0]&0x80 == 0
		}
		t.n, t.left = 0, size
	}
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
//
// It waits on a shallow stack: call it from a goroutine that does nothing
// deeper, so that an idle socket's goroutine keeps the smallest stack.
// coder/websocket reads the frames on a helper goroutine, which leaves when
// there is nothing more to read. One Read at a time.
func (c *Conn) Read() (websocket.MessageType, []byte, error) {
	yield := true
	for {
		typ, data, err := c.readFrames(yield)
		if !errors.Is(err, errIdle) {
			return typ, data, err
		}
		// Nothing more for now (perhaps a pong came, and nothing else):
		// wait for the client. If the wait fails, coder/websocket reads
		// next without yielding and says how the socket ended.
		yield = c.wait()
	}
}

// readFrames reads the next data message with coder/websocket, on a
// goroutine that leaves once it has: its stack goes as deep as reading
// does, and the caller's does not. With yield, it returns errIdle instead
// of waiting for the network between messages.
func (c *Conn) readFrames(yield bool) (websocket.MessageType, []byte, error) {
	var (
		typ  websocket.MessageType
		data []byte
		err  error
		done = make(chan struct{})
	)
	c.in.yield.Store(yield)
	go func() {
		defer close(done)
		typ, data, err = c.ws.Read(never)
	}()
	<-done
	c.in.yield.Store(false)
	return typ, data, err
}

// wait waits for the client to send something, unless the socket is
// closing (Close's handshake reads through coder/websocket). It reports
// whether something came.
func (c *Conn) wait() bool {
	c.waitMu.Lock()
	if !c.state.CompareAndSwap(reading, waiting) {
		c.waitMu.Unlock()
		<-c.resumedChan()
		return false
	}
	came := c.in.wait()
	left := c.state.CompareAndSwap(waiting, reading)
	c.waitMu.Unlock()
	if !left {
		// Close interrupted the wait: it clears the read deadline it set
		// before it lets the reader on.
		<-c.resumedChan()
		return false
	}
	return came
}

func (c *Conn) resumedChan() chan struct{} {
	c.cmu.Lock()
	defer c.cmu.Unlock()
	return c.resumed
}

// Write sends one message. A client that does not take it within
// WriteTimeout has its socket closed, as does any failure to write.
func (c *Conn) Write(typ websocket.MessageType, data []byte) error {
	return c.WriteAll(typ, [][]byte{data})
}

// batchBytes is about how much WriteAll gathers for one network write.
const batchBytes = 16 << 10

// WriteAll sends messages in order, several to a network write: what the
// client receives is the same as from a Write each, for fewer system calls
// (an agent's socket takes every arrival on the site: under a burst its
// queue holds many). Each write has WriteTimeout, as Write's; a failure
// closes the socket.
func (c *Conn) WriteAll(typ websocket.MessageType, messages [][]byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for len(messages) > 0 {
		c.fw.gather()
		var err error
		for n := 0; len(messages) > 0 && n < batchBytes && err == nil; messages = messages[1:] {
			err = c.ws.Write(never, typ, messages[0])
			n += len(messages[0])
		}
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
	c.stopWaiting()
	return c.ws.Close(code, reason)
}

// stopWaiting takes the reader out of its wait, if it waits, and keeps it
// from waiting again: from now on coder/websocket alone reads the
// connection, as Close's handshake needs.
func (c *Conn) stopWaiting() {
	c.cmu.Lock()
	if c.resumed != nil {
		c.cmu.Unlock()
		<-c.resumed // another Close is at it
		return
	}
	resumed := make(chan struct{})
	c.resumed = resumed
	c.cmu.Unlock()
	if c.state.Swap(closing) == waiting {
		// A read deadline in the past ends the wait's read; the reader
		// holds waitMu until it has left.
		c.in.SetReadDeadline(time.Unix(1, 0))
		c.waitMu.Lock()
		c.in.SetReadDeadline(time.Time{})
		c.waitMu.Unlock()
	}
	close(resumed)
}

// CloseNow closes the socket without a close handshake.
func (c *Conn) CloseNow() error { return c.ws.CloseNow() }

// SetReadLimit bounds the size of a message read; a larger one closes the
// socket with status 1009.
func (c *Conn) SetReadLimit(n int64) { c.ws.SetReadLimit(n) }
