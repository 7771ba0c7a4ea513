//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/offcircd/offcircd/daemon/status"
	"github.com/offcircd/offcircd/internal/frozenfs"
)

// The built binary with its data folder on a real frozen file system
// (fsfreeze on a loop ext4): the hung record and the ones after it are
// spooled (write-failure) with the status degraded; after a thaw while it
// runs every record is in the file once, in order; SIGTERM while frozen
// stops the daemon within 5 s; and after a restart the record whose write
// hung at the stop (three typed at once: one group's) is in the file
// exactly once.
func TestRunWithFrozenDataFolder(t *testing.T) {
	mnt := frozenfs.Mount(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "offcircd.toml")
	body := fmt.Sprintf("station = \"frozen\"\ndata_dir = %q\nstate_dir = %q\npatron_pattern = '^P[0-9]+$'\n\n[[scanner]]\nname = \"desk\"\ntype = \"console\"\n",
		filepath.Join(mnt, "files"), filepath.Join(dir, "state"))
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	dataFile := filepath.Join(mnt, "files", "OffCirc.dat")
	items := func() string {
		b, _ := os.ReadFile(dataFile)
		var out []string
		for _, l := range strings.Split(string(b), "\r\n") {
			if len(l) > 21 {
				out = append(out, l[13:21])
			}
		}
		return strings.Join(out, " ")
	}
	thawed := true
	freeze := func(on bool) { frozenfs.Freeze(t, mnt, on); thawed = !on }
	defer func() {
		if !thawed {
			frozenfs.Freeze(t, mnt, false)
		}
	}()

	st := startStation(t, cfg, filepath.Join(dir, "state"))
	fmt.Fprintf(st.stdin, "P1234567\n39000001\n")
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.RecordsTotal == 1 })

	freeze(true)
	fmt.Fprintf(st.stdin, "39000002\n39000003\n")
	s := waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.SpoolDepth == 2 })
	if !s.Degraded || !strings.Contains(s.LastWriteError, "did not return in time") {
		t.Errorf("status while frozen: %+v", s)
	}
	freeze(false)
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.SpoolDepth == 0 && !s.Degraded })
	if got := items(); got != "39000001 39000002 39000003" {
		t.Fatalf("after a thaw while running: %q", got)
	}

	freeze(true)
	// Typed at once: queued behind each other, they are usually taken as
	// one group, whose one write then hangs.
	fmt.Fprintf(st.stdin, "39000004\n39000005\n39000006\n")
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.SpoolDepth == 3 })
	if log, err := os.ReadFile(filepath.Join(dir, "state", "spool.drain")); err == nil {
		t.Logf("drain log while frozen: %q (a seventh field: the records' write was one group's)", log)
	}
	start := time.Now()
	if err := st.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.State == status.Stopped })
	stopped := time.Since(start)
	if stopped > 5*time.Second {
		t.Errorf("daemon took %v to stop after SIGTERM with a write stuck in the kernel", stopped)
	}
	// The kernel keeps a thread stuck in a frozen file system's write in
	// uninterruptible sleep, so the process can only be reaped after the
	// thaw (measured; SIGKILL does not change it). Its daemon has stopped.
	exited := make(chan error, 1)
	go func() { exited <- st.cmd.Wait() }()
	select {
	case err := <-exited:
		t.Logf("stopped %v after SIGTERM, process exited (%v) while frozen", stopped.Round(time.Millisecond), err)
	case <-time.After(time.Second):
		freeze(false)
		<-exited
		t.Logf("stopped %v after SIGTERM; the process was reaped only after the thaw", stopped.Round(time.Millisecond))
	}
	if !thawed {
		freeze(false)
	}
	again := startStation(t, cfg, filepath.Join(dir, "state"))
	// The first status of a restarted station may predate its store's
	// report of the spool: wait for the drain itself.
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(items(), " ") < 5 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	waitStatus(t, again.statusPath, again.logs, func(s status.Status) bool { return s.SpoolDepth == 0 && !s.Degraded })
	again.stop(t)
	if got := items(); got != "39000001 39000002 39000003 39000004 39000005 39000006" {
		t.Fatalf("after the restart: %q (every record once, in order)", got)
	}
}
