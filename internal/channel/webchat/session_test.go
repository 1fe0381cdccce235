package webchat

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende/atende/internal/realtime"
	"github.com/atende/atende/internal/store"
)

// stuckSocket is a widget's socket whose writes wait until released.
type stuckSocket struct {
	writing chan struct{} // a write started
	release chan error    // what the write returns
	mu      sync.Mutex
	closed  []int
}

func newStuckSocket() *stuckSocket {
	return &stuckSocket{writing: make(chan struct{}, 100), release: make(chan error)}
}

func (s *stuckSocket) Read() ([]byte, error) { select {} }

func (s *stuckSocket) Write([]byte) error {
	s.writing <- struct{}{}
	return <-s.release
}

func (s *stuckSocket) Close(code int, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = append(s.closed, code)
	return nil
}

func (s *stuckSocket) CloseNow() error { return s.Close(0, "") }

func (s *stuckSocket) codes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.closed...)
}

// greetedSession is a session past its hello, showing conversation 7.
func greetedSession(sock Socket) *session {
	g := &Gateway{log: slog.New(slog.DiscardHandler), limits: DefaultLimits}
	s := &session{g: g, ctx: context.Background(), sock: sock, greeted: true, conv: &store.Conversation{ID: 7}}
	s.cond.L = &s.qmu
	return s
}

func typing() item { return item{typing: &realtime.Typing{ConversationID: 7, Name: "Ana"}} }

// A widget that does not take its frames is closed as too slow once
// sessionBuffer items wait, and filing items for it never blocks the feed.
func TestASlowSessionIsClosedWithoutHoldingUpTheFeed(t *testing.T) {
	sock := newStuckSocket()
	s := greetedSession(sock)
	s.push(typing())
	<-sock.writing // the worker is stuck writing the first
	start := time.Now()
	for range 10 * sessionBuffer {
		s.push(typing())
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("filing items for a stuck session took %v", d)
	}
	s.qmu.Lock()
	slow, queued := s.slow, len(s.items)
	s.qmu.Unlock()
	if !slow || queued != 0 {
		t.Fatalf("slow %v with %d items kept", slow, queued)
	}
	sock.release <- nil // the write goes through at last
	deadline := time.Now().Add(5 * time.Second)
	for len(sock.codes()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if codes := sock.codes(); len(codes) == 0 || codes[0] != CloseTooSlow {
		t.Fatalf("closed with %v, want %d first", codes, CloseTooSlow)
	}
	if err := s.end(); err != nil {
		t.Fatalf("a session closed as too slow reports %v", err)
	}
}

// The worker handles what comes and leaves: an idle session has no
// goroutine but its reader's.
func TestTheWorkerLeavesWhenThereIsNothingToDo(t *testing.T) {
	sock := newStuckSocket()
	s := greetedSession(sock)
	for range 3 {
		s.push(typing())
		<-sock.writing
		sock.release <- nil
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.qmu.Lock()
		running := s.running
		s.qmu.Unlock()
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker is still running with nothing to do")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// A failed write ends the session with the write's error.
	s.push(typing())
	<-sock.writing
	sock.release <- errors.New("broken pipe")
	for len(sock.codes()) == 0 { // fail closes the socket
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.end(); err == nil || err.Error() != "broken pipe" {
		t.Fatalf("end reports %v", err)
	}
	if s.handOver([]byte(`{"type":"ping"}`)) {
		t.Fatal("an ended session took a frame")
	}
}

// recordingSocket keeps what is written and the close statuses.
type recordingSocket struct {
	mu     sync.Mutex
	frames []string
	closed []int
}

func (s *recordingSocket) Read() ([]byte, error) { select {} }

func (s *recordingSocket) Write(frame []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames = append(s.frames, string(frame))
	return nil
}

func (s *recordingSocket) Close(code int, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = append(s.closed, code)
	return nil
}

func (s *recordingSocket) CloseNow() error { return nil }

// A socket whose first frame is not a hello is refused and closed with
// 4408, and a frame read meanwhile is not handled: the session has no
// visitor to handle it for.
func TestNothingIsHandledAfterAMissingHello(t *testing.T) {
	sock := &recordingSocket{}
	s := greetedSession(sock)
	s.greeted = false
	s.handOver([]byte(`{"type":"ping"}`))
	s.handOver([]byte(`{"type":"ping"}`))
	if err := s.end(); err != nil {
		t.Fatal(err)
	}
	sock.mu.Lock()
	defer sock.mu.Unlock()
	if len(sock.frames) != 1 || !strings.Contains(sock.frames[0], "hello_required") {
		t.Fatalf("wrote %q, want only the refusal", sock.frames)
	}
	if len(sock.closed) != 1 || sock.closed[0] != CloseNoHello {
		t.Fatalf("closed with %v", sock.closed)
	}
}
