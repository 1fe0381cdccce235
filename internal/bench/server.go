package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for scratch databases
)

// storage is where a started server keeps its data: a fresh temporary
// directory and, on PostgreSQL, a scratch database of its own.
type storage struct {
	dataDir     string
	databaseURL string // "" for the embedded SQLite
}

// engine names the storage's database.
func (s storage) engine() string {
	if s.databaseURL != "" {
		return "postgres"
	}
	return "sqlite"
}

// args are the flags that point a command at the storage.
func (s storage) args() []string {
	return []string{"--data", s.dataDir, "--database-url=" + s.databaseURL}
}

// newStorage makes a fresh data directory and, with --postgres, a scratch
// database; both go when the bench ends unless --keep.
func (r *runner) newStorage(ctx context.Context) (storage, error) {
	dir, err := os.MkdirTemp("", "atende-bench-")
	if err != nil {
		return storage{}, fmt.Errorf("make a temporary data directory: %w", err)
	}
	r.cleanup(func() {
		if r.keep {
			r.log.printf("kept data directory %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	st := storage{dataDir: dir}
	if r.postgres == "" {
		return st, nil
	}
	st.databaseURL, err = r.scratchDatabase(ctx)
	return st, err
}

// scratchDatabase creates a database of its own on the --postgres server,
// so a run never touches anyone's data, and drops it afterwards.
func (r *runner) scratchDatabase(ctx context.Context) (string, error) {
	admin, err := sql.Open("pgx", r.postgres)
	if err != nil {
		return "", fmt.Errorf("open PostgreSQL %s: %w", redact(r.postgres), err)
	}
	defer admin.Close()
	var b [6]byte
	rand.Read(b[:])
	name := "atende_bench_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create scratch database %s on %s (the role needs CREATEDB): %w", name, redact(r.postgres), err)
	}
	u, _ := url.Parse(r.postgres)
	u.Path = "/" + name
	r.cleanup(func() {
		if r.keep {
			r.log.printf("kept scratch database %s", redact(u.String()))
			return
		}
		db, err := sql.Open("pgx", r.postgres)
		if err != nil {
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			r.log.printf("drop scratch database %s: %v", name, err)
		}
	})
	return u.String(), nil
}

// cleanup registers fn to run when the scenario ends, last registered
// first.
func (r *runner) cleanup(fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, fn)
}

// close stops what the scenario started and removes what it made.
func (r *runner) close() {
	r.mu.Lock()
	fns := r.cleanups
	r.cleanups = nil
	r.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// atende runs the atende binary with args and returns its standard output.
func (r *runner) atende(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, r.env.Executable, args...)
	cmd.Env = r.env.Environ
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("atende %s: %w: %s", strings.Join(args[:min(2, len(args))], " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// createUser makes a user with `atende user create` and returns its id.
func (r *runner) createUser(ctx context.Context, st storage, account, name, email, role, password string) (int64, error) {
	args := append([]string{"user", "create"}, st.args()...)
	args = append(args, "--account", account, "--name", name, "--email", email, "--role", role, "--password-stdin")
	out, err := r.atende(ctx, password+"\n", args...)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(out, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("atende user create printed %q, not a user id", out)
	}
	return id, nil
}

// server is the Atende under test: a child `atende serve` the bench
// started, or the one --url names.
type server struct {
	url    string
	engine string
	// admin signs in to set the scenario up.
	adminEmail, adminPassword string

	// Only for a started server:
	storage    storage
	cmd        *exec.Cmd
	exited     chan struct{}
	exitErr    error
	log        *serverLog
	readyAfter time.Duration
	pprofAddr  string
}

// pid is the server's process id, 0 when the bench did not start it.
func (s *server) pid() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// rss is the server's resident memory, 0 when unknown.
func (s *server) rss() int64 {
	if s.pid() == 0 {
		return 0
	}
	n, _ := processRSS(s.pid())
	return n
}

// cpu is the processor time the server has used, 0 when unknown.
func (s *server) cpu() time.Duration {
	if s.pid() == 0 {
		return 0
	}
	d, _ := processCPU(s.pid())
	return d
}

// target is the server a scenario drives, with an administrator to set it
// up: the --url one, or a fresh one started on new storage.
func (r *runner) target(ctx context.Context) (*server, error) {
	if r.url != "" {
		return &server{url: strings.TrimRight(r.url, "/"), engine: r.engine(), adminEmail: r.email, adminPassword: os.Getenv("ATENDE_BENCH_PASSWORD")}, nil
	}
	st, err := r.newStorage(ctx)
	if err != nil {
		return nil, err
	}
	password := randomPassword()
	r.log.printf("creating the administrator on %s", st.engine())
	if _, err := r.createUser(ctx, st, "Bench", "Bench Admin", benchAdminEmail, "admin", password); err != nil {
		return nil, err
	}
	s, err := r.start(ctx, st)
	if err != nil {
		return nil, err
	}
	s.adminEmail, s.adminPassword = benchAdminEmail, password
	return s, nil
}

const benchAdminEmail = "admin@bench.invalid"

// randomPassword is a password for the bench's users: they live only as
// long as the run.
func randomPassword() string {
	var b [12]byte
	rand.Read(b[:])
	return "bench-" + hex.EncodeToString(b[:])
}

// start runs `atende serve` on st and waits until /readyz answers 200.
// readyAfter is the time from starting the process to that answer.
func (r *runner) start(ctx context.Context, st storage) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	return r.startAt(ctx, st, addr)
}

// restart stops the server and starts a new process on the same storage
// and address: what was set up (users, sessions, channels) stays, the
// memory the set-up used (argon2id hashing takes tens of megabytes a
// sign-in) goes, so a memory baseline read afterwards is the server's own.
func (r *runner) restart(ctx context.Context, s *server) (*server, error) {
	if s.cmd == nil {
		return s, nil
	}
	s.stop()
	n, err := r.startAt(ctx, s.storage, strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		return nil, err
	}
	n.adminEmail, n.adminPassword = s.adminEmail, s.adminPassword
	return n, nil
}

func (r *runner) startAt(ctx context.Context, st storage, addr string) (*server, error) {
	var err error
	s := &server{url: "http://" + addr, engine: st.engine(), storage: st, exited: make(chan struct{}), log: newServerLog(r.env.Stderr)}
	// Every setting is given as a flag, so ATENDE_* variables of whoever runs
	// the bench do not change the server under test.
	args := append([]string{"serve", "--addr", addr}, st.args()...)
	args = append(args, "--nats-url="+r.natsURL, "--public-url=", "--attachments-dir=",
		"--behind-proxy", "--log-level", "warn", "--log-format", "text")
	if r.pprof != "" {
		if s.pprofAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		args = append(args, "--pprof-addr", s.pprofAddr)
	}
	s.cmd = exec.Command(r.env.Executable, args...)
	s.cmd.Env = r.env.Environ
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start atende serve: %w", err)
	}
	go func() {
		s.exitErr = s.cmd.Wait()
		close(s.exited)
	}()
	r.cleanup(s.stop)
	if err := s.waitReady(ctx, start, 60*time.Second); err != nil {
		return nil, err
	}
	s.readyAfter = time.Since(start)
	return s, nil
}

// waitReady polls /readyz every 2 ms (the idle scenario times start-up
// with it) until it answers 200.
func (s *server) waitReady(ctx context.Context, start time.Time, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	for {
		res, err := client.Get(s.url + "/readyz")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("atende serve exited before it was ready (%v):\n%s", s.exitErr, s.log.tail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Since(start) > limit {
			return fmt.Errorf("atende serve not ready after %v:\n%s", limit, s.log.tail())
		}
	}
}

// stop ends the server with SIGTERM, as an operator would, and kills it if
// it has not stopped in 20 seconds.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// failed says whether the server has exited, and why.
func (s *server) failed() error {
	if s.cmd == nil {
		return nil
	}
	select {
	case <-s.exited:
		return fmt.Errorf("atende serve exited during the run (%v):\n%s", s.exitErr, s.log.tail())
	default:
		return nil
	}
}

// freeAddr is a local address no one listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// serverLog keeps the server's output: the last lines, for errors, and up
// to maxEcho warnings and errors echoed to the bench's standard error.
type serverLog struct {
	mu     sync.Mutex
	w      io.Writer
	buf    bytes.Buffer
	lines  []string
	echoed int
	extra  int
}

const (
	tailLines = 40
	maxEcho   = 20
)

func newServerLog(w io.Writer) *serverLog { return &serverLog{w: w} }

func (l *serverLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			// An incomplete line: keep it for the next write.
			rest := []byte(line)
			l.buf.Reset()
			l.buf.Write(rest)
			break
		}
		line = strings.TrimRight(line, "\n")
		l.lines = append(l.lines, line)
		if len(l.lines) > tailLines {
			l.lines = l.lines[1:]
		}
		// Only warnings and errors are echoed: the rest (the first-start
		// hint, the ready line) is noise in a benchmark's output.
		if !strings.Contains(line, "level=WARN") && !strings.Contains(line, "level=ERROR") {
			continue
		}
		if l.echoed < maxEcho {
			fmt.Fprintf(l.w, "server: %s\n", line)
			l.echoed++
		} else {
			l.extra++
		}
	}
	return len(p), nil
}

// tail is the server's last lines of output.
func (l *serverLog) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// unshown is how many warnings and errors were not echoed.
func (l *serverLog) unshown() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.extra
}

// redact hides a database URL's password.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// profile captures the started server's CPU profile while work runs for
// d, then its heap and goroutine profiles, into the --profile directory, named after the
// scenario. Without --profile it does nothing (work does not run).
func (r *runner) profile(ctx context.Context, s *server, scenario string, d time.Duration, work func(ctx context.Context)) error {
	if r.pprof == "" || s.pprofAddr == "" {
		return nil
	}
	if err := os.MkdirAll(r.pprof, 0o755); err != nil {
		return fmt.Errorf("make the profile directory: %w", err)
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	r.log.printf("profiling the server for %ds into %s", secs, r.pprof)
	workCtx, stop := context.WithCancel(ctx)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		if work != nil {
			work(workCtx)
		}
	}()
	err := r.fetchProfile(ctx, s, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), scenario+".cpu.pprof", d)
	stop()
	<-finished
	return errors.Join(err, r.fetchProfile(ctx, s, "/debug/pprof/heap?gc=1", scenario+".heap.pprof", 0),
		r.fetchProfile(ctx, s, "/debug/pprof/goroutine", scenario+".goroutine.pprof", 0))
}

// fetchProfile saves one of the server's pprof answers.
func (r *runner) fetchProfile(ctx context.Context, s *server, path, file string, d time.Duration) error {
	// A saturated server may take long to answer; not forever.
	ctx, cancel := context.WithTimeout(ctx, d+time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.pprofAddr+path, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile %s: %w", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("profile %s: %s: %s", path, res.Status, body)
	}
	f, err := os.Create(filepath.Join(r.pprof, file))
	if err != nil {
		return fmt.Errorf("profile %s: %w", path, err)
	}
	defer f.Close()
	if _, err := io.Copy(f, res.Body); err != nil {
		return fmt.Errorf("profile %s: %w", path, err)
	}
	return nil
}
