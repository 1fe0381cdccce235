// Package bench is `atende bench`: it starts an Atende server of its own (or
// targets a running one), drives it through its public interfaces — the
// agent REST API and WebSocket, the website chat widget's socket — and
// reports what it measured as a readable table or as one JSON object.
//
// The benchmark is a client like any other: the server never imports this
// package, and nothing here reaches into a running server except the `list`
// scenario's loader, which writes history straight into the database before
// the server starts because loading a million conversations through the API
// would take hours.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Env is what the benchmark needs from the command that runs it.
type Env struct {
	// Executable is the atende binary servers are started with (the running
	// binary itself: os.Executable).
	Executable string
	// Environ is the children's environment.
	Environ []string
	// Commit is the commit the binary was built from, "" when unknown.
	Commit string
	// Stdout gets the table or the JSON object, and nothing else; Stderr
	// gets progress and the server's warnings.
	Stdout, Stderr io.Writer
}

// Header is what every result carries, so figures can be compared knowing
// what produced them.
type Header struct {
	Scenario  string `json:"scenario"`
	Engine    string `json:"engine"`
	GoVersion string `json:"go_version"`
	CPUs      int    `json:"cpus"`
	Commit    string `json:"commit"`
	// Machine names the processor and memory the figures came from.
	Machine string `json:"machine"`
	// Params are the scenario's settings as run.
	Params map[string]any `json:"params"`
	// Notes say what the figures mean where it is not obvious: limits that
	// could not be raised, features the server lacks.
	Notes []string `json:"notes,omitempty"`
}

func (h *Header) header() *Header { return h }

// note records something a reader of the figures must know.
func (h *Header) note(format string, args ...any) {
	h.Notes = append(h.Notes, fmt.Sprintf(format, args...))
}

// result is a scenario's outcome: its JSON fields and its table rows.
type result interface {
	header() *Header
	rows() [][2]string
}

// scenario is one thing `atende bench` measures.
type scenario struct {
	name    string
	summary string
	run     func(ctx context.Context, r *runner, args []string) (result, error)
}

var scenarios = []scenario{
	{"idle", "start-up time to /readyz and memory of an idle server", runIdle},
	{"list", "bulk-load history, then time the agent's list, a filtered finished query and a search", runList},
	{"inbound", "visitors write to conversations assigned to connected agents: throughput and latency", runInbound},
	{"assign", "conversations enqueue while agents are ready: time to offer or assignment, double assignments", runAssign},
	{"connections", "hold idle WebSockets of visitors and agents: memory per connection", runConnections},
}

const usage = `Usage: atende bench SCENARIO [flags]

Starts an Atende server of its own on a fresh temporary data directory (or
targets one given with --url), drives it through its public interfaces and
prints what it measured; --json prints exactly one JSON object on standard
output (progress goes to standard error).

Scenarios:
`

// Main runs `atende bench` with args (the scenario and its flags).
func Main(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(env.Stdout)
		if len(args) == 0 {
			return errors.New("no scenario given")
		}
		return nil
	}
	for _, sc := range scenarios {
		if sc.name != args[0] {
			continue
		}
		r := &runner{env: env, log: newLogger(env.Stderr)}
		res, err := sc.run(ctx, r, args[1:])
		r.close()
		if err != nil {
			return fmt.Errorf("bench %s: %w", sc.name, err)
		}
		h := res.header()
		h.Scenario, h.GoVersion, h.CPUs, h.Commit, h.Machine = sc.name, runtime.Version(), runtime.NumCPU(), env.Commit, machine()
		if h.Commit == "" {
			h.Commit = "unknown"
		}
		if r.json {
			enc := json.NewEncoder(env.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(res)
		}
		printTable(env.Stdout, res)
		return nil
	}
	printUsage(env.Stderr)
	return fmt.Errorf("unknown scenario %q", args[0])
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	for _, sc := range scenarios {
		fmt.Fprintf(w, "  %-12s %s\n", sc.name, sc.summary)
	}
	fmt.Fprint(w, "\natende bench SCENARIO --help lists a scenario's flags.\n")
}

func printTable(w io.Writer, res result) {
	h := res.header()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\t%s\n", h.Scenario)
	fmt.Fprintf(tw, "engine\t%s\n", h.Engine)
	keys := make([]string, 0, len(h.Params))
	for k := range h.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	params := make([]string, len(keys))
	for i, k := range keys {
		params[i] = fmt.Sprintf("%s=%v", k, h.Params[k])
	}
	fmt.Fprintf(tw, "params\t%s\n", strings.Join(params, " "))
	fmt.Fprintf(tw, "machine\t%s, %d CPUs, %s, commit %.12s\n", h.Machine, h.CPUs, h.GoVersion, h.Commit)
	fmt.Fprintln(tw, "\t")
	for _, row := range res.rows() {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	tw.Flush()
	for _, n := range h.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// runner holds what every scenario shares: the environment, the common
// flags, the servers it started.
type runner struct {
	env Env
	log *logger

	json     bool
	url      string
	email    string
	postgres string
	natsURL  string
	keep     bool
	pprof    string

	mu       sync.Mutex
	cleanups []func()
}

// flags returns a scenario's flag set with the flags every scenario has.
func (r *runner) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("atende bench "+name, flag.ContinueOnError)
	fs.SetOutput(r.env.Stderr)
	fs.BoolVar(&r.json, "json", false, "print exactly one JSON object on standard output")
	fs.StringVar(&r.url, "url", "", "benchmark the running server at this URL instead of starting one (sign in with --email and ATENDE_BENCH_PASSWORD)")
	fs.StringVar(&r.email, "email", "", "with --url: an administrator's e-mail; the password is read from ATENDE_BENCH_PASSWORD")
	fs.StringVar(&r.postgres, "postgres", "", "run the started server on PostgreSQL: a postgres:// URL of a server where the bench may create (and drop) a scratch database")
	fs.StringVar(&r.natsURL, "nats-url", "", "run the started server against this external NATS instead of the embedded one")
	fs.BoolVar(&r.keep, "keep", false, "keep the temporary data directory (or scratch database) afterwards")
	fs.StringVar(&r.pprof, "profile", "", "write the started server's CPU and heap profiles of the measured phase to this directory")
	return fs
}

// parse parses args and checks the common flags.
func (r *runner) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if r.url != "" && r.postgres != "" {
		return errors.New("--url and --postgres exclude each other: --postgres configures the server the bench starts")
	}
	if r.url != "" && r.pprof != "" {
		return errors.New("--profile needs a server the bench starts (not --url)")
	}
	if r.url != "" && (r.email == "" || os.Getenv("ATENDE_BENCH_PASSWORD") == "") {
		return errors.New("--url needs an administrator: --email and the password in ATENDE_BENCH_PASSWORD")
	}
	if r.postgres != "" && !strings.HasPrefix(r.postgres, "postgres://") && !strings.HasPrefix(r.postgres, "postgresql://") {
		return fmt.Errorf("--postgres %q: want a postgres:// URL", r.postgres)
	}
	return nil
}

// engine names the database the started server uses.
func (r *runner) engine() string {
	if r.url != "" {
		return "unknown (--url)"
	}
	if r.postgres != "" {
		return "postgres"
	}
	return "sqlite"
}

// logger writes progress lines to standard error, with the time since the
// bench started.
type logger struct {
	w     io.Writer
	start time.Time
}

func newLogger(w io.Writer) *logger { return &logger{w: w, start: time.Now()} }

func (l *logger) printf(format string, args ...any) {
	fmt.Fprintf(l.w, "bench %6.1fs  %s\n", time.Since(l.start).Seconds(), fmt.Sprintf(format, args...))
}

// machine describes the processor and memory, from /proc.
func machine() string {
	model := runtime.GOARCH
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && k == "MemTotal" {
				var kb int64
				fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
				model += fmt.Sprintf(", %.0f GB RAM", float64(kb)/(1<<20))
				break
			}
		}
	}
	return model + ", " + runtime.GOOS
}
