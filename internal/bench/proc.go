package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of utime and stime in
// /proc/PID/stat: 100 on every Linux architecture Go supports.
const clockTicks = 100

// processRSS is a process's resident memory (VmRSS), in bytes.
func processRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("process %d: VmRSS %q: %w", pid, v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("process %d: no VmRSS in /proc/%d/status", pid, pid)
}

// processCPU is the processor time a process has used so far, user and
// system together.
func processCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read processor time of process %d: %w", pid, err)
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// count fields after its closing one. utime and stime are fields 14
	// and 15.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("process %d: unreadable /proc/%d/stat", pid, pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("process %d: short /proc/%d/stat", pid, pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("process %d: utime/stime: %w", pid, err)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// raiseFileLimit lifts the open-file limit so that want descriptors fit,
// for this process and the server it starts (children inherit it). It
// raises the soft limit up to the hard one and, where the process may
// (CAP_SYS_RESOURCE), the hard limit too. It returns the limit in force
// afterwards and, when that is below want, why it could not go higher.
func raiseFileLimit(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("read the open-file limit: %w", err)
	}
	if lim.Cur >= want {
		return lim.Cur, nil
	}
	var hardErr error
	if lim.Max < want {
		raised := syscall.Rlimit{Cur: want, Max: want}
		if hardErr = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); hardErr == nil {
			return want, nil
		}
		hardErr = fmt.Errorf("raise the hard open-file limit from %d to %d: %w", lim.Max, want, hardErr)
	}
	lim.Cur = min(want, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, errors.Join(hardErr, fmt.Errorf("raise the open-file limit to %d: %w", lim.Cur, err))
	}
	return lim.Cur, hardErr
}

// mb is bytes in mebibytes, rounded to a tenth.
func mb(bytes int64) float64 { return round1(float64(bytes) / (1 << 20)) }

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }
func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// goRuntime is what the server's Go runtime reports on /metrics: memory in
// use (live objects and not yet collected garbage in spans in use; goroutine
// stacks) and goroutines. Unlike RSS it does not count memory the runtime
// keeps from an earlier peak.
type goRuntime struct {
	HeapInuse, StackInuse, Goroutines float64
}

// readGoRuntime reads the server's Go runtime figures from /metrics (public,
// so it works with --url too).
func readGoRuntime(ctx context.Context, base string) (goRuntime, error) {
	m, err := readMetrics(ctx, base)
	if err != nil {
		return goRuntime{}, err
	}
	g := goRuntime{HeapInuse: m["go_memstats_heap_inuse_bytes"], StackInuse: m["go_memstats_stack_inuse_bytes"], Goroutines: m["go_goroutines"]}
	if g.HeapInuse == 0 || g.StackInuse == 0 || g.Goroutines == 0 {
		return goRuntime{}, errors.New("/metrics lacks the Go runtime's heap, stack and goroutine figures")
	}
	return g, nil
}

// readMetrics reads the server's unlabelled series from /metrics.
func readMetrics(ctx context.Context, base string) (map[string]float64, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read /metrics: %w", err)
	}
	defer res.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, fmt.Errorf("/metrics: %s %q: %w", name, value, err)
		}
		m[name] = v
	}
	return m, sc.Err()
}
