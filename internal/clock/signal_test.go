package clock_test

import (
	"context"
	"testing"
	"time"

	"github.com/atende/atende/internal/clock"
)

func TestEveryOrRunsAsSoonAsItIsWokenAndNotifyNeverBlocks(t *testing.T) {
	wake := clock.NewSignal()
	// Notifications nobody is waiting for collapse into one instead of
	// blocking whoever committed the change.
	for range 5 {
		wake.Notify()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runs := make(chan struct{}, 10)
	go clock.EveryOr(ctx, time.Hour, wake, func(context.Context) { runs <- struct{}{} })

	<-runs // the collapsed notifications: one run
	select {
	case <-runs:
		t.Fatal("five notifications before the loop started ran it more than once")
	case <-time.After(50 * time.Millisecond):
	}
	wake.Notify()
	select {
	case <-runs:
	case <-time.After(10 * time.Second):
		t.Fatal("a notification did not run the loop before its hourly tick")
	}
}
