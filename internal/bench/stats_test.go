package bench

import (
	"testing"
	"time"
)

func TestPercentilesAreNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // 1..100 ms, out of order
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := latencyOf(ds)
	if l.P50 != 50 || l.P95 != 95 || l.P99 != 99 || l.Max != 100 {
		t.Fatalf("1..100 ms: %+v", l)
	}
	if q := quantilesOf([]time.Duration{3 * time.Millisecond}); q.P50 != 3 || q.P99 != 3 {
		t.Fatalf("one sample: %+v", q)
	}
	if l := latencyOf(nil); l != (Latency{}) {
		t.Fatalf("no samples: %+v", l)
	}
	if m := median([]float64{5, 1, 3, 2}); m != 2.5 {
		t.Fatalf("median of 1,2,3,5 = %v", m)
	}
}

func TestInsertSQLPlaceholders(t *testing.T) {
	if got := insertSQL("sqlite", "t", []string{"a", "b"}, 2); got != "INSERT INTO t (a, b) VALUES (?,?),(?,?)" {
		t.Errorf("SQLite: %s", got)
	}
	if got := insertSQL("postgres", "t", []string{"a", "b"}, 2); got != "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)" {
		t.Errorf("PostgreSQL: %s", got)
	}
}

func TestMessageCountsKeepTheTotal(t *testing.T) {
	for _, c := range []struct{ n, total int }{{10, 100}, {7, 3}, {1000, 10007}, {1, 5}} {
		counts := messageCounts(newRand(1), c.n, c.total)
		sum := 0
		for _, k := range counts {
			if k < 0 || (c.total >= c.n && k < 1) {
				t.Errorf("n=%d total=%d: a conversation with %d messages", c.n, c.total, k)
			}
			sum += k
		}
		if sum != c.total {
			t.Errorf("n=%d: %d messages in all, want %d", c.n, sum, c.total)
		}
	}
}
