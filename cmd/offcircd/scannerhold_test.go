//go:build !windows

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/daemon/status"
)

// capture, monitor and learn read the configured scanners themselves:
// while the station runs they refuse (exit 4, naming it), because the scans
// they took would reach neither the station nor the file; the station goes
// on recording. When it is stopped they run.
func TestScannerReadersRefusedWhileStationRuns(t *testing.T) {
	dir := t.TempDir()
	cfg := stationConfig(t, dir)
	body, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(body, []byte("\n[[scanner]]\nname = \"serial\"\ntype = \"serial\"\nport = \"/dev/null\"\n")...), 0o640)
	st := startStation(t, cfg, filepath.Join(dir, "state"))
	for _, args := range [][]string{
		{"monitor", "--config", cfg},
		{"capture", "--config", cfg, "--scanner", "serial", "--out", filepath.Join(dir, "x.cap"), "--for", "1s"},
		{"learn", "--config", cfg, "--print"},
	} {
		out, errb, code := runOffcircd(t, dir, "", args...)
		if code != exitInstanceRunning || !strings.Contains(errb, args[0]+": the station is running") || !strings.Contains(errb, fmt.Sprintf("pid %d", st.cmd.Process.Pid)) {
			t.Errorf("%v while the station runs: exit %d, want %d naming pid %d:\n%s%s", args, code, exitInstanceRunning, st.cmd.Process.Pid, out, errb)
		}
	}
	fmt.Fprintf(st.stdin, "P12345678\n39000001\n")
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.RecordsTotal == 1 })
	st.stop(t)
	// Stopped: monitor runs (and ends with its console input).
	os.WriteFile(cfg, body, 0o640)
	if out, errb, code := runOffcircd(t, dir, "", "monitor", "--config", cfg); code != 0 {
		t.Errorf("monitor after the station stopped: exit %d\n%s%s", code, out, errb)
	}
}
