package channel_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/channel/testchannel"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
)

// runWebhookServer is the child process: a server on the data directory in
// ATENDE_TEST_DATA that takes test-channel webhooks, and prints its address.
func runWebhookServer() {
	ctx := context.Background()
	db, err := store.Open(ctx, "", os.Getenv("ATENDE_TEST_DATA"))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	clk := clock.System{}
	recv := channel.NewReceiver(db, clk, routing.New(db, clk, routing.DefaultOptions))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("listening", ln.Addr())
	http.Serve(ln, testchannel.Handler(recv, secret, slog.New(slog.DiscardHandler)))
}

type child struct {
	cmd  *exec.Cmd
	addr string
}

func startChild(t *testing.T, data string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ATENDE_TEST_CHILD=webhook-server", "ATENDE_TEST_DATA="+data)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "listening ") {
		cmd.Process.Kill()
		t.Fatalf("child did not start: %q %v", line, err)
	}
	return &child{cmd: cmd, addr: "http://" + strings.TrimSpace(strings.TrimPrefix(line, "listening "))}
}

// A message acknowledged as stored survives a kill -9 of the server
// process, and delivering it again after the restart stores nothing new.
func TestAcknowledgedMessagesSurviveKill9(t *testing.T) {
	data := t.TempDir()
	db, err := store.Open(context.Background(), "", data)
	if err != nil {
		t.Fatal(err)
	}
	_, ch := setUp(t, db, time.Now().UTC())
	db.Close()

	srv := startChild(t, data)
	acked := []string{}
	start := time.Now()
	// Deliver as fast as possible and kill the server mid-stream: after two
	// seconds and at least ten acknowledgements (a loaded machine is slow),
	// or after thirty seconds whatever happened.
	for i := 0; ; i++ {
		id := fmt.Sprintf("wamid.kill.%d", i)
		status, _ := postWebhookMaybe(srv.addr, webhook(ch, id, fmt.Sprintf("+55119%08d", 30000000+i%50), "msg"))
		if status == http.StatusOK {
			acked = append(acked, id)
		}
		if elapsed := time.Since(start); (elapsed > 2*time.Second && len(acked) >= 10) || elapsed > 30*time.Second {
			break
		}
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	if len(acked) < 10 {
		t.Fatalf("only %d messages acknowledged before the kill", len(acked))
	}

	// Restart on the same data, and redeliver everything acknowledged.
	srv = startChild(t, data)
	defer func() { srv.cmd.Process.Kill(); srv.cmd.Wait() }()
	for _, id := range acked {
		status, body := postWebhookMaybe(srv.addr, webhook(ch, id, "+5511930000000", "msg"))
		if status != http.StatusOK || !strings.Contains(body, `"duplicate":true`) {
			t.Fatalf("redelivery of acknowledged %s after the crash: %d %s (lost?)", id, status, body)
		}
	}
	db, err = store.Open(context.Background(), "", data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.SQLRead().QueryRow(`SELECT count(*) FROM messages WHERE provider_message_id LIKE 'wamid.kill.%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n < len(acked) {
		t.Fatalf("%d messages stored, %d acknowledged", n, len(acked))
	}
	t.Logf("%d messages acknowledged before kill -9; all present after restart, redeliveries stored nothing", len(acked))
}

func postWebhookMaybe(url string, body []byte) (int, string) {
	req, _ := http.NewRequest("POST", url, strings.NewReader(string(body)))
	req.Header.Set("X-Signature", testchannel.Sign(secret, body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b := new(strings.Builder)
	bufio.NewReader(res.Body).WriteTo(b)
	return res.StatusCode, b.String()
}
