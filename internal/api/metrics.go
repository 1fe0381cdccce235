package api

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the HTTP server's Prometheus series.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewRegistry returns a registry with the Go runtime and process collectors,
// which every Atende process exports.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "atende_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "atende_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// RegisterWriter exports what SQLite's single writer did: transactions
// committed, and the commits that wrote them. Their ratio is how many
// transactions share a commit under load (store's group commit).
func RegisterWriter(reg prometheus.Registerer, stats func() (transactions, commits int64), backlog func() int) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "atende_db_writer_backlog",
			Help: "Write transactions waiting for SQLite's writer now.",
		}, func() float64 { return float64(backlog()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "atende_db_transactions_total",
			Help: "Write transactions committed on SQLite's writer.",
		}, func() float64 { t, _ := stats(); return float64(t) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "atende_db_commits_total",
			Help: "Commits on SQLite's writer; several transactions share one under load.",
		}, func() float64 { _, c := stats(); return float64(c) }),
	)
}
