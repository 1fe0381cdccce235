package bench

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// IdleResult is what the idle scenario measures: how long a server takes
// from process start to answering /readyz 200, and its memory once idle.
// Each run starts a fresh install (an empty data directory, so the start
// applies every migration) and then restarts it on the data it made, as
// an operator's restart would.
type IdleResult struct {
	Header
	// ReadyMS is the median time to ready of a fresh install.
	ReadyMS float64 `json:"ready_ms"`
	// IdleRSSMB is the median resident memory of the fresh install once
	// idle.
	IdleRSSMB float64 `json:"idle_rss_mb"`
	// RestartReadyMS and RestartIdleRSSMB are the same for the restart.
	RestartReadyMS   float64 `json:"restart_ready_ms"`
	RestartIdleRSSMB float64 `json:"restart_idle_rss_mb"`
	// Runs are every run's figures, fresh and restarted, in order.
	Runs []IdleRun `json:"runs"`
}

// IdleRun is one start.
type IdleRun struct {
	Restart bool    `json:"restart"`
	ReadyMS float64 `json:"ready_ms"`
	RSSMB   float64 `json:"rss_mb"`
}

func (r *IdleResult) rows() [][2]string {
	return [][2]string{
		{"ready (fresh install)", fmt.Sprintf("%.0f ms", r.ReadyMS)},
		{"idle RSS (fresh install)", fmt.Sprintf("%.1f MB", r.IdleRSSMB)},
		{"ready (restart)", fmt.Sprintf("%.0f ms", r.RestartReadyMS)},
		{"idle RSS (restart)", fmt.Sprintf("%.1f MB", r.RestartIdleRSSMB)},
		{"runs", fmt.Sprint(len(r.Runs) / 2)},
	}
}

func runIdle(ctx context.Context, r *runner, args []string) (result, error) {
	fs := r.flags("idle")
	runs := fs.Int("runs", 5, "how many times to start a fresh install (and restart it); medians are reported")
	settle := fs.Duration("settle", 2*time.Second, "how long the server idles after /readyz before its memory is read")
	if err := r.parse(fs, args); err != nil {
		return nil, err
	}
	if r.url != "" {
		return nil, errors.New("idle times a server's start-up, so it starts its own: --url does not apply")
	}
	if *runs < 1 {
		return nil, fmt.Errorf("--runs %d: want at least 1", *runs)
	}
	res := &IdleResult{Header: Header{Engine: r.engine(), Params: map[string]any{"runs": *runs, "settle": settle.String()}}}
	var fresh, restart []IdleRun
	for i := 0; i < *runs; i++ {
		st, err := r.newStorage(ctx)
		if err != nil {
			return nil, err
		}
		for _, again := range []bool{false, true} {
			run, err := r.idleRun(ctx, st, *settle)
			if err != nil {
				return nil, err
			}
			run.Restart = again
			r.log.printf("run %d%s: ready after %.0f ms, idle RSS %.1f MB", i+1, map[bool]string{true: " (restart)"}[again], run.ReadyMS, run.RSSMB)
			res.Runs = append(res.Runs, run)
			if again {
				restart = append(restart, run)
			} else {
				fresh = append(fresh, run)
			}
		}
	}
	res.ReadyMS, res.IdleRSSMB = medianOf(fresh, func(r IdleRun) float64 { return r.ReadyMS }), medianOf(fresh, func(r IdleRun) float64 { return r.RSSMB })
	res.RestartReadyMS, res.RestartIdleRSSMB = medianOf(restart, func(r IdleRun) float64 { return r.ReadyMS }), medianOf(restart, func(r IdleRun) float64 { return r.RSSMB })
	return res, nil
}

// idleRun starts a server on st, lets it idle and stops it.
func (r *runner) idleRun(ctx context.Context, st storage, settle time.Duration) (IdleRun, error) {
	s, err := r.start(ctx, st)
	if err != nil {
		return IdleRun{}, err
	}
	defer s.stop()
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return IdleRun{}, ctx.Err()
	}
	if err := s.failed(); err != nil {
		return IdleRun{}, err
	}
	return IdleRun{ReadyMS: ms(s.readyAfter), RSSMB: mb(s.rss())}, nil
}

func medianOf[T any](items []T, f func(T) float64) float64 {
	vs := make([]float64, len(items))
	for i, it := range items {
		vs[i] = f(it)
	}
	return round2(median(vs))
}
