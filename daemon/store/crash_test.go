package store

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var long = flag.Bool("long", false, "run the crash test with many more kills")

// Environment of the crash helper process (the test binary re-executed).
const (
	helperEnv      = "OFFCIRC_STORE_HELPER"
	helperStart    = "OFFCIRC_STORE_START"
	helperSpoolEnv = "OFFCIRC_STORE_SPOOL_FIRST"
	helperGroupEnv = "OFFCIRC_STORE_GROUP"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(crashHelper())
	}
	if os.Getenv(lockHolderEnv) != "" {
		os.Exit(lockHolder())
	}
	os.Exit(m.Run())
}

// crashHelper appends records numbered from $OFFCIRC_STORE_START as fast as
// it can and prints "ACK n" after each acknowledged one, until killed.
// With $OFFCIRC_STORE_SPOOL_FIRST=k the first k go to the spool (data file
// writes fail), so kills also land inside spooling and draining. With
// $OFFCIRC_STORE_GROUP=g records go in groups of 1 to g (AppendGroup, one
// fsync each), so kills also land inside a group's write.
func crashHelper() int {
	dirs := strings.Split(os.Getenv(helperEnv), string(os.PathListSeparator))
	start, _ := strconv.Atoi(os.Getenv(helperStart))
	spoolFirst, _ := strconv.Atoi(os.Getenv(helperSpoolEnv))
	group, _ := strconv.Atoi(os.Getenv(helperGroupEnv))
	s, err := Open(Options{DataDir: dirs[0], StateDir: dirs[1], Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	fmt.Println("READY")
	if spoolFirst > 0 {
		blockData(s)
	}
	for n := start; ; n++ {
		if n == start+spoolFirst {
			unblockData(s)
		}
		if k := 1 + n%max(group, 1); group > 0 && n >= start+spoolFirst && k > 1 {
			ack, err := s.AppendGroup(recsOf(n, n+k))
			switch {
			case err == nil && !ack.Spooled:
				for i := n; i < n+k; i++ {
					fmt.Println("ACK", i)
				}
				n += k - 1
				continue
			case err == nil:
				fmt.Println("ERR unexpected spooled group")
				return 1
			case !errors.Is(err, ErrNoGroup):
				fmt.Println("ERR", err)
				return 1
			}
			// One at a time just now (the spool drains first): Append.
		}
		ack, err := s.Append(testRec(n))
		if err != nil {
			fmt.Println("ERR", err)
			return 1
		}
		if (n < start+spoolFirst) != ack.Spooled {
			fmt.Println("ERR unexpected spooled", ack.Spooled)
			return 1
		}
		fmt.Println("ACK", n)
	}
}

// TestCrashKill9 kills a writing process with SIGKILL at random points and
// checks after every kill that each acknowledged record is durable exactly
// once, in order, with no torn line left after Open's repair.
func TestCrashKill9(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	kills := 50
	if *long || os.Getenv("OFFCIRC_LONG") != "" {
		kills = 500
	}
	if testing.Short() {
		kills = 10
	}
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	var totalAcked, spooledRuns int
	for it := range kills {
		base := it * 1_000_000
		spoolFirst := 0
		if it%3 == 1 {
			spoolFirst = 1 + rng.IntN(30)
			spooledRuns++
		}
		group := 0
		if it%2 == 0 {
			group = 2 + rng.IntN(MaxGroup-1)
		}
		acked := runAndKill(t, e, base, spoolFirst, group, time.Duration(rng.IntN(40_000))*time.Microsecond)
		totalAcked += len(acked)
		checkDurable(t, e, it, acked)
		if t.Failed() {
			return
		}
	}
	// Finally everything drains, exactly once and in order.
	s := e.open(t)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	checkDurable(t, e, kills-1, nil)
	side, _ := filepath.Glob(filepath.Join(e.state, "*.torn-*"))
	t.Logf("%d kills, %d acknowledged records, %d runs through the spool, %d torn tails repaired", kills, totalAcked, spooledRuns, len(side))
}

// runAndKill starts the helper, kills it after delay and returns the
// numbers it acknowledged.
func runAndKill(t *testing.T, e *env, base, spoolFirst, group int, delay time.Duration) []int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		helperEnv+"="+e.data+string(os.PathListSeparator)+e.state,
		helperStart+"="+strconv.Itoa(base),
		helperSpoolEnv+"="+strconv.Itoa(spoolFirst),
		helperGroupEnv+"="+strconv.Itoa(group))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "READY" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper did not start: %q", sc.Text())
	}
	timer := time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
	defer timer.Stop()
	var acked []int
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "ACK" {
			n, _ := strconv.Atoi(f[1])
			acked = append(acked, n)
			continue
		}
		t.Errorf("helper: %s", sc.Text())
	}
	cmd.Wait()
	return acked
}

// checkDurable opens the store (torn-tail repair, spool recovery) and checks
// that data file + pending spool hold strictly increasing record numbers,
// contiguous within each run, including every acknowledged one of run it.
func checkDurable(t *testing.T, e *env, it int, acked []int) {
	t.Helper()
	s, err := Open(e.opts())
	if err != nil {
		t.Fatalf("kill %d: Open: %v", it, err)
	}
	defer s.Close()
	data, _ := os.ReadFile(e.path())
	var lines []string
	for l := range strings.SplitAfterSeq(string(data), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	s.mu.Lock()
	for _, r := range s.sp.pending {
		lines = append(lines, string(r.line))
	}
	s.mu.Unlock()
	prev := -1
	seen := map[int]bool{}
	for i, l := range lines {
		if err := checkLine([]byte(l)); err != nil {
			t.Fatalf("kill %d: line %d torn or invalid (%v): %q", it, i+1, err, l)
		}
		n, err := strconv.Atoi(strings.TrimSpace(l[14:93]))
		if err != nil {
			t.Fatalf("kill %d: line %d: %q", it, i+1, l)
		}
		if l != line(t, testRec(n)) {
			t.Fatalf("kill %d: line %d is not record %d: %q", it, i+1, n, l)
		}
		if n <= prev {
			t.Fatalf("kill %d: line %d: record %d after %d (duplicate or out of order)", it, i+1, n, prev)
		}
		if prev >= 0 && n/1_000_000 == prev/1_000_000 && n != prev+1 {
			t.Fatalf("kill %d: line %d: gap between record %d and %d", it, i+1, prev, n)
		}
		prev = n
		seen[n] = true
	}
	for _, n := range acked {
		if !seen[n] {
			t.Fatalf("kill %d: acknowledged record %d lost", it, n)
		}
	}
}
