// Package clock injects time. Every timer and timestamp in Atende reads a
// Clock, so tests move time forward instead of sleeping.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the current time.
type Clock interface {
	Now() time.Time
}

// System is the real clock.
type System struct{}

// Now returns the current time in UTC, truncated to microseconds: that is
// what PostgreSQL keeps, so a value read back equals the value written on
// either engine, and UTC keeps SQLite's text timestamps in order.
func (System) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Fake is a clock that moves only when told to.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a Fake set to start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start.UTC().Truncate(time.Microsecond)}
}

// Now returns the fake's current time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the fake's time forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d).Truncate(time.Microsecond)
}

// Every calls fn every interval of real time until ctx ends: the driver of
// the background sweeps (timers, outbox, sessions), which themselves read the
// injected Clock.
func Every(ctx context.Context, interval time.Duration, fn func(context.Context)) {
	EveryOr(ctx, interval, nil, fn)
}

// EveryOr is Every that also calls fn as soon as wake is notified, so work a
// change just created (an outbound message) need not wait for the tick. The
// ticker keeps running: a notification lost to a crash or sent on another
// node only delays the work to the next tick. A nil wake never fires.
func EveryOr(ctx context.Context, interval time.Duration, wake *Signal, fn func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var woken <-chan struct{}
	if wake != nil {
		woken = wake.c
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn(ctx)
		case <-woken:
			fn(ctx)
		}
	}
}

// Signal wakes an EveryOr loop early. Notifications while the loop is busy
// collapse into one: the loop's next run sees everything that is due.
type Signal struct{ c chan struct{} }

// NewSignal returns a Signal nobody has notified.
func NewSignal() *Signal { return &Signal{c: make(chan struct{}, 1)} }

// Notify wakes the loop without waiting for it.
func (s *Signal) Notify() {
	select {
	case s.c <- struct{}{}:
	default:
	}
}
