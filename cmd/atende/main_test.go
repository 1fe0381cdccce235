package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/atende/atende/internal/store/storetest"
)

// The test binary doubles as the atende binary: run with ATENDE_TEST_MAIN=1
// it is main(), so these tests drive the real command line.
func TestMain(m *testing.M) {
	if os.Getenv("ATENDE_TEST_MAIN") == "1" {
		main()
		return
	}
	code := m.Run()
	storetest.DropTemplates()
	os.Exit(code)
}

func atende(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "ATENDE_TEST_MAIN=1"), env...)
	return cmd
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is a running `atende serve`.
type server struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
	exited chan error
}

func startServer(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	s := &server{base: "http://" + addr, stderr: &syncBuffer{}, exited: make(chan error, 1)}
	s.cmd = atende(t, env, append([]string{"serve", "--addr", addr}, args...)...)
	s.cmd.Stderr = s.stderr
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
	// Start-up time is a benchmark figure (atende bench idle); here the
	// server only has to become ready.
	for {
		res, err := http.Get(s.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				t.Logf("ready after %v", time.Since(start).Round(time.Millisecond))
				return s
			}
		}
		select {
		case err := <-s.exited:
			t.Fatalf("atende serve exited: %v\n%s", err, s.stderr)
		default:
		}
		if time.Since(start) > 15*time.Second {
			t.Fatalf("not ready after 15s\n%s", s.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func createUser(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := atende(t, env, append([]string{"user", "create"}, args...)...)
	cmd.Stdin = strings.NewReader("senha-forte-123\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return stderr.String(), err
	}
	return strings.TrimSpace(string(out)), nil
}

// The README's first steps, on both engines: create an administrator from the
// command line, sign in through the API, and see yourself on /api/v1/me.
func TestUserCreateThenSignIn(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			storage := []string{"--data", t.TempDir()}
			if engine == "postgres" {
				storage = []string{"--database-url", storetest.PostgresURL(t)}
			}
			srv := startServer(t, nil, storage...)
			// The child's stderr reaches the buffer through a pipe the test
			// process copies asynchronously: give the copy a moment.
			for deadline := time.Now().Add(5 * time.Second); !strings.Contains(srv.stderr.String(), "atende user create") && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			if !strings.Contains(srv.stderr.String(), "atende user create") {
				t.Errorf("a fresh install does not say how to create the first administrator:\n%s", srv.stderr)
			}

			id, err := createUser(t, nil, append(storage, "--account", "Acme", "--name", "Ana", "--email", "ana@acme.test", "--role", "admin", "--password-stdin")...)
			if err != nil {
				t.Fatalf("user create: %v: %s", err, id)
			}
			if _, err := fmt.Sscan(id, new(int64)); err != nil {
				t.Fatalf("user create printed %q, want the new user's id", id)
			}

			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}
			res, err := c.Post(srv.base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"email":"ana@acme.test","password":"senha-forte-123"}`))
			if err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("login: %v %v", err, res.Status)
			}
			res.Body.Close()
			res, err = c.Get(srv.base + "/api/v1/me")
			if err != nil {
				t.Fatal(err)
			}
			var me struct {
				ID      json.Number
				Name    string
				Role    string
				Account struct{ Name string }
			}
			json.NewDecoder(res.Body).Decode(&me)
			res.Body.Close()
			if me.ID.String() != id || me.Name != "Ana" || me.Role != "admin" || me.Account.Name != "Acme" {
				t.Fatalf("/api/v1/me = %+v", me)
			}

			// A second user joins the same account; a taken e-mail is refused.
			if _, err := createUser(t, nil, append(storage, "--account", "Acme", "--name", "Caio", "--email", "caio@acme.test", "--role", "agent", "--password-stdin")...); err != nil {
				t.Fatalf("second user: %v", err)
			}
			if msg, err := createUser(t, nil, append(storage, "--account", "Acme", "--name", "Ana 2", "--email", "ANA@acme.test", "--role", "agent", "--password-stdin")...); err == nil || !strings.Contains(msg, "already in use") {
				t.Fatalf("duplicate e-mail: err=%v msg=%q", err, msg)
			}
		})
	}
}

func TestServeAnswersMetricsAndStopsCleanlyOnSIGTERM(t *testing.T) {
	data := t.TempDir()
	srv := startServer(t, []string{"ATENDE_DATA=" + data})
	res, err := http.Get(srv.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !bytes.Contains(body, []byte("# TYPE go_goroutines gauge")) {
		t.Fatalf("/metrics is not Prometheus text: %s\n%.300s", ct, body)
	}
	if _, err := os.Stat(data + "/atende.db"); err != nil {
		t.Fatalf("ATENDE_DATA not used: %v", err)
	}

	srv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-srv.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, srv.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10s after SIGTERM")
	}
	if !strings.Contains(srv.stderr.String(), "msg=stopped") {
		t.Fatalf("no clean stop logged:\n%s", srv.stderr)
	}
	srv.exited <- nil // for the cleanup
	// The database closed cleanly: migrate opens it again at once.
	out, err := atende(t, nil, "migrate", "--data", data).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "sqlite database migrated to schema version") {
		t.Fatalf("migrate after stop: %v %s", err, out)
	}
}

func TestServeWithExternalNATS(t *testing.T) {
	url := os.Getenv("ATENDE_TEST_NATS_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("ATENDE_TEST_NATS_URL is not set; under CI the external NATS test must run")
		}
		t.Skip("ATENDE_TEST_NATS_URL is not set")
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "nats://"), time.Second); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NATS at %s: %v", url, err)
		}
		t.Skipf("NATS at %s is unreachable: %v", url, err)
	} else {
		conn.Close()
	}
	srv := startServer(t, []string{"ATENDE_NATS_URL=" + url}, "--data", t.TempDir())
	if !strings.Contains(srv.stderr.String(), "nats="+url) {
		t.Fatalf("not using the external NATS:\n%s", srv.stderr)
	}
}

func TestHelpAndVersion(t *testing.T) {
	out, err := atende(t, nil, "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("serve --help: %v", err)
	}
	for _, want := range []string{"-addr", "ATENDE_ADDR", "-data", "ATENDE_DATA", "ATENDE_DATABASE_URL", "ATENDE_NATS_URL"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("serve --help does not mention %s", want)
		}
	}
	out, err = atende(t, nil, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "atende ") {
		t.Fatalf("version: %v %q", err, out)
	}
	if err := atende(t, nil, "frobnicate").Run(); err == nil {
		t.Fatal("an unknown command succeeded")
	}
	cmd := atende(t, nil, "user", "create", "--data", t.TempDir(), "--account", "A", "--name", "N", "--email", "n@a.test")
	msg, err := cmd.CombinedOutput()
	if err == nil || !bytes.Contains(msg, []byte("--password-stdin")) {
		t.Fatalf("user create without --password-stdin: %v %s", err, msg)
	}
}
