package bench_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/atende/atende/internal/cli"
	"github.com/atende/atende/internal/store/storetest"
)

// The test binary doubles as the atende binary: run with ATENDE_TEST_MAIN=1
// it is the command line, so `atende bench` runs for real here and starts
// its servers with this same binary (its children inherit the variable).
func TestMain(m *testing.M) {
	if os.Getenv("ATENDE_TEST_MAIN") == "1" {
		os.Exit(cli.Run(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
	}
	code := m.Run()
	storetest.DropTemplates()
	os.Exit(code)
}

// bench runs `atende bench args… --json` and returns the one JSON object
// it printed on standard output. Figures are not judged here (they live in
// the bench's output): only that every field is there and makes sense.
func bench(t *testing.T, args ...string) map[string]any {
	t.Helper()
	cmd := exec.Command(os.Args[0], append(append([]string{"bench"}, args...), "--json")...)
	cmd.Env = append(os.Environ(), "ATENDE_TEST_MAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if strings.Contains(stderr.String(), "this server has no website chat") {
			t.Skipf("atende bench %s needs visitors, and this build has no website chat yet", args[0])
		}
		t.Fatalf("atende bench %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	dec := json.NewDecoder(&stdout)
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("atende bench %s: standard output is not one JSON object: %v\n%s", strings.Join(args, " "), err, stdout.String())
	}
	if dec.More() {
		t.Fatalf("atende bench %s: more than one JSON value on standard output", strings.Join(args, " "))
	}
	t.Logf("atende bench %s:\n%s", strings.Join(args, " "), stderr.String())
	for _, field := range []string{"scenario", "engine", "go_version", "commit", "machine"} {
		if s, _ := out[field].(string); s == "" {
			t.Errorf("%s is missing or empty: %v", field, out[field])
		}
	}
	if n, _ := out["cpus"].(float64); n < 1 {
		t.Errorf("cpus = %v", out["cpus"])
	}
	if out["scenario"] != args[0] {
		t.Errorf("scenario = %v, want %s", out["scenario"], args[0])
	}
	return out
}

// positive checks that each field is a number above zero.
func positive(t *testing.T, out map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if v, ok := out[f].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", f, out[f])
		}
	}
}

// zero checks that each field is the number zero.
func zero(t *testing.T, out map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if v, ok := out[f].(float64); !ok || v != 0 {
			t.Errorf("%s = %v, want 0", f, out[f])
		}
	}
}

// quantiles checks a latency object: the named quantiles present, positive
// and in order.
func quantiles(t *testing.T, out map[string]any, field string, names ...string) {
	t.Helper()
	q, ok := out[field].(map[string]any)
	if !ok {
		t.Errorf("%s = %v, want an object", field, out[field])
		return
	}
	prev := 0.0
	for _, n := range names {
		v, ok := q[n].(float64)
		if !ok || v <= 0 || v < prev {
			t.Errorf("%s.%s = %v (after %v): want positive and not below the previous quantile", field, n, q[n], prev)
		}
		prev = v
	}
}

func TestIdle(t *testing.T) {
	out := bench(t, "idle", "--runs", "1", "--settle", "200ms")
	positive(t, out, "ready_ms", "idle_rss_mb", "restart_ready_ms", "restart_idle_rss_mb")
	if out["engine"] != "sqlite" {
		t.Errorf("engine = %v", out["engine"])
	}
	if runs, _ := out["runs"].([]any); len(runs) != 2 {
		t.Errorf("runs = %v, want a fresh start and a restart", out["runs"])
	}
}

func TestList(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			args := []string{"list", "--conversations", "150", "--messages", "600", "--agents", "3", "--active", "4", "--samples", "3"}
			if engine == "postgres" {
				args = append(args, "--postgres", storetest.PostgresURL(t))
			}
			out := bench(t, args...)
			if out["engine"] != engine {
				t.Errorf("engine = %v, want %s", out["engine"], engine)
			}
			quantiles(t, out, "list_ms", "p50", "p99")
			quantiles(t, out, "filtered_ms", "p50", "p99")
			// A tiny load can take under a millisecond: its time is only
			// required to be there; its rate says it happened.
			positive(t, out, "database_mb", "load_rows_per_s")
			if v, ok := out["load_s"].(float64); !ok || v < 0 {
				t.Errorf("load_s = %v, want a number of seconds", out["load_s"])
			}
			if _, ok := out["search_ms"]; !ok {
				t.Error("search_ms is missing")
			} else if out["search_ms"] != nil {
				quantiles(t, out, "search_ms", "p50", "p99")
			}
			if out["list_rows"] != 4.0 {
				t.Errorf("the agent's list held %v conversations, want the 4 loaded for them", out["list_rows"])
			}
			if n, _ := out["filtered_rows"].(float64); n < 1 {
				t.Errorf("the filtered query found %v finished conversations", out["filtered_rows"])
			}
		})
	}
}

func TestInbound(t *testing.T) {
	out := bench(t, "inbound", "--visitors", "6", "--agents", "2", "--rate", "4", "--duration", "2s", "--drain", "5s")
	quantiles(t, out, "latency_ms", "p50", "p95", "p99", "max")
	positive(t, out, "throughput_per_s", "sent", "received", "server_rss_mb", "server_cpu_s")
	zero(t, out, "lost", "duplicated", "errors")
	if out["sent"] != out["received"] {
		t.Errorf("sent %v, received %v", out["sent"], out["received"])
	}
}

// Offers, accepted by the bench's agents (inbound assigns directly).
func TestAssign(t *testing.T) {
	out := bench(t, "assign", "--conversations", "8", "--agents", "3", "--capacity", "3", "--rate", "20", "--mode", "offer")
	quantiles(t, out, "latency_ms", "p50", "p95", "p99", "max")
	zero(t, out, "double_assignments", "capacity_violations", "errors", "unplaced")
	if out["assigned"] != 8.0 || out["offered"] != 8.0 {
		t.Errorf("assigned %v and offered %v of 8", out["assigned"], out["offered"])
	}
}

func TestConnections(t *testing.T) {
	out := bench(t, "connections", "--count", "30", "--agents", "2", "--agent-share", "0.2", "--hold", "300ms")
	positive(t, out, "server_rss_mb", "file_limit")
	zero(t, out, "errors")
	if out["connections"] != 30.0 || out["agent_sockets"] != 6.0 || out["visitor_sockets"] != 24.0 {
		t.Errorf("connections %v (agents %v, visitors %v), want 30 (6 and 24)", out["connections"], out["agent_sockets"], out["visitor_sockets"])
	}
	for _, f := range []string{"bytes_per_connection", "live_bytes_per_connection", "stack_bytes_per_connection", "settle_s", "hold_cpu_s"} {
		if _, ok := out[f].(float64); !ok {
			t.Errorf("%s = %v, want a number", f, out[f])
		}
	}
	if g, _ := out["goroutines_per_connection"].(float64); g <= 0 {
		t.Errorf("goroutines_per_connection = %v", out["goroutines_per_connection"])
	}
}

func TestUnknownScenarioAndHelp(t *testing.T) {
	cmd := exec.Command(os.Args[0], "bench", "frobnicate")
	cmd.Env = append(os.Environ(), "ATENDE_TEST_MAIN=1")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "unknown scenario") {
		t.Fatalf("an unknown scenario: %v %s", err, out)
	}
	cmd = exec.Command(os.Args[0], "bench", "help")
	cmd.Env = append(os.Environ(), "ATENDE_TEST_MAIN=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"idle", "list", "inbound", "assign", "connections"} {
		if !strings.Contains(string(out), sc) {
			t.Errorf("atende bench help does not name %s", sc)
		}
	}
}
