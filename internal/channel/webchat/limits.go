package webchat

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate limits of what visitors do (docs/widget-protocol.md, Limits). They
// hold per node: a visitor spread over several nodes gets each node's share.
type Limit struct {
	Rate  rate.Limit
	Burst int
}

// Limits are the buckets per visitor and per client address.
type Limits struct {
	Connect                       Limit // per address
	Frame                         Limit // per visitor: frames of any kind
	Message, Page, Upload, Typing Limit // per visitor
	MessageIP, PageIP, UploadIP   Limit // per address
	MaxRefusals                   int   // refused frames before a socket is closed
}

// DefaultLimits are the documented ones.
var DefaultLimits = Limits{
	Connect: Limit{2, 30},
	Frame:   Limit{10, 60},
	Message: Limit{1, 8}, MessageIP: Limit{5, 40},
	Page: Limit{1, 10}, PageIP: Limit{5, 60},
	Upload: Limit{0.2, 3}, UploadIP: Limit{1, 10},
	Typing:      Limit{0.5, 1},
	MaxRefusals: 20,
}

// limiter keeps token buckets by key, forgetting those idle for long.
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

func newLimiter() *limiter { return &limiter{buckets: map[string]*bucket{}} }

// allow takes one token from key's bucket; when it is empty it says how
// long until one is back.
func (l *limiter) allow(key string, lim Limit, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.used) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(lim.Rate, lim.Burst)}
		l.buckets[key] = b
	}
	b.used = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Minute
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
