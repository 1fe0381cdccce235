package bench

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Latency summarises timings in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Quantiles is the short summary the list scenario reports.
type Quantiles struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// latencyOf summarises ds; all zero when there is nothing to summarise.
func latencyOf(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Latency{P50: ms(percentile(s, 50)), P95: ms(percentile(s, 95)), P99: ms(percentile(s, 99)), Max: ms(s[len(s)-1])}
}

func quantilesOf(ds []time.Duration) Quantiles {
	l := latencyOf(ds)
	return Quantiles{P50: l.P50, P99: l.P99}
}

// percentile is the nearest-rank percentile of sorted: the smallest value
// that at least p per cent of the samples do not exceed.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// ms is a duration in milliseconds, to the hundredth.
func ms(d time.Duration) float64 { return round2(float64(d) / float64(time.Millisecond)) }

func (l Latency) String() string {
	return fmt.Sprintf("p50 %.2f  p95 %.2f  p99 %.2f  max %.2f ms", l.P50, l.P95, l.P99, l.Max)
}

func (q Quantiles) String() string { return fmt.Sprintf("p50 %.2f  p99 %.2f ms", q.P50, q.P99) }

// median of vs; 0 when empty.
func median[T int64 | float64 | time.Duration](vs []T) T {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
