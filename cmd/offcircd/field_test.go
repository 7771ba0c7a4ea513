package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/offcircd/offcircd/daemon/status"
)

// station is a running `offcircd run` of the built binary.
type liveStation struct {
	cmd        *exec.Cmd
	stdin      io.WriteCloser
	logs       *syncBuffer
	statusPath string
}

// startStation runs the binary on cfg and waits until it says running.
func startStation(t *testing.T, cfg, stateDir string) *liveStation {
	t.Helper()
	st := &liveStation{cmd: exec.Command(offcircdBinary(t), "run", "--config", cfg), logs: &syncBuffer{},
		statusPath: filepath.Join(stateDir, status.FileName)}
	var err error
	if st.stdin, err = st.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	st.cmd.Stderr = st.logs
	if err := st.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.cmd.Process.Kill(); st.cmd.Wait() })
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.State == status.Running && s.PID == st.cmd.Process.Pid })
	return st
}

// stop sends SIGTERM and waits (at most 5 s) for exit 0.
func (st *liveStation) stop(t *testing.T) {
	t.Helper()
	if err := st.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- st.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, st.logs.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5 s after SIGTERM\n%s", st.logs.String())
	}
}

// A second `offcircd run` on the same folders (the service plus one started
// by hand) refuses to start, names the first and exits 4; the first one
// keeps writing.
func TestSecondInstanceRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGTERM is a Unix signal")
	}
	dir := t.TempDir()
	cfg := stationConfig(t, dir)
	first := startStation(t, cfg, filepath.Join(dir, "state"))
	out, errb, code := runOffcircd(t, dir, "P1\n39000009\n", "run", "--config", cfg)
	if code != exitInstanceRunning {
		t.Fatalf("second run: exit %d, want %d\n%s%s", code, exitInstanceRunning, out, errb)
	}
	pid := strconv.Itoa(first.cmd.Process.Pid)
	for _, want := range []string{"another offcircd is running", "pid " + pid, "config " + cfg, "kill " + pid, "systemctl stop offcircd"} {
		if !strings.Contains(errb, want) {
			t.Errorf("refusal does not say %q:\n%s", want, errb)
		}
	}
	fmt.Fprintf(first.stdin, "P12345678\n39000001\n")
	waitStatus(t, first.statusPath, first.logs, func(s status.Status) bool { return s.RecordsTotal == 1 })
	if s, _ := status.Read(first.statusPath); s.PID != first.cmd.Process.Pid {
		t.Errorf("the refused instance touched the status file: pid %d", s.PID)
	}
	first.stop(t)
	data, _ := os.ReadFile(filepath.Join(dir, "files", "OffCirc.dat"))
	if strings.Count(string(data), "\r\n") != 1 || strings.Contains(string(data), "39000009") {
		t.Errorf("data file %q: want only the first station's record", data)
	}
	// A killed station leaves no lock behind.
	again := startStation(t, cfg, filepath.Join(dir, "state"))
	again.cmd.Process.Kill()
	again.cmd.Wait()
	startStation(t, cfg, filepath.Join(dir, "state")).stop(t)
}

// archive, capture's refusals, merge -o and status all work while the
// station runs and holds its locks.
func TestToolsWhileStationRuns(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGTERM is a Unix signal")
	}
	dir := t.TempDir()
	cfg := stationConfig(t, dir)
	body, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(body, []byte("\n[[scanner]]\nname = \"serial\"\ntype = \"serial\"\nport = \"/dev/null\"\n")...), 0o640)
	st := startStation(t, cfg, filepath.Join(dir, "state"))
	fmt.Fprintf(st.stdin, "P12345678\n39000001\n39000002\n")
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.RecordsTotal == 2 })
	dataFile := filepath.Join(dir, "files", "OffCirc.dat")

	out, errb, code := runOffcircd(t, dir, "", "merge", "-o", filepath.Join(dir, "merged.dat"), dataFile)
	if code != 0 {
		t.Fatalf("merge while running: exit %d\n%s%s", code, out, errb)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "merged.dat")); strings.Count(string(b), "\r\n") != 2 {
		t.Errorf("merged %q", b)
	}
	out, errb, code = runOffcircd(t, dir, "", "status", "--config", cfg, "--json")
	if !strings.Contains(out, `"records_total": 2`) || code == 1 || code == 2 {
		t.Errorf("status while running: exit %d\n%s%s", code, out, errb)
	}
	existing := filepath.Join(dir, "old.cap")
	os.WriteFile(existing, []byte("keep me"), 0o640)
	for _, c := range []struct{ out, want string }{
		{dataFile, "is the data file"},
		{filepath.Join(dir, "state", "x.cap"), "inside state_dir"},
		{existing, "exists (use --force"},
	} {
		args := []string{"capture", "--config", cfg, "--scanner", "serial", "--out", c.out, "--for", "1s"}
		if c.out != existing {
			args = append(args, "--force")
		}
		_, errb, code := runOffcircd(t, dir, "", args...)
		if code != 1 || !strings.Contains(errb, c.want) {
			t.Errorf("capture --out %s: exit %d, want 1 and %q:\n%s", c.out, code, c.want, errb)
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Errorf("capture overwrote an existing file without --force: %q", b)
	}
	out, errb, code = runOffcircd(t, dir, "", "archive", "--config", cfg)
	if code != 0 || !strings.Contains(out+errb, "2 lines") {
		t.Fatalf("archive while running: exit %d\n%s%s", code, out, errb)
	}
	fmt.Fprintf(st.stdin, "39000003\n")
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.RecordsTotal == 3 })
	if b, _ := os.ReadFile(dataFile); strings.Count(string(b), "\r\n") != 1 || !strings.Contains(string(b), "39000003") {
		t.Errorf("after archive the next record starts a fresh file: %q", b)
	}
	st.stop(t)
}

func TestConfigCheckRefusesCollidingPaths(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"spool.toml":  "data_dir = 'state'\nstate_dir = 'state'\nfile_name = 'spool.dat'\n",
		"log.toml":    "data_dir = 'files'\nstate_dir = 'state'\nlog_file = 'files/OffCirc.dat'\n",
		"status.toml": "data_dir = 'state'\nstate_dir = 'state'\nfile_name = 'status.json'\n",
	}
	for name, body := range cases {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		for _, args := range [][]string{{"config", "check", p}, {"run", "--config", p}} {
			out, errb, code := runOffcircd(t, dir, "", args...)
			if code != 1 || !strings.Contains(out+errb, name+":3:") {
				t.Errorf("%s %v: exit %d, want 1 naming line 3:\n%s%s", name, args, code, out, errb)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "spool.dat")); err == nil {
		t.Error("a refused run created the spool")
	}
}
