//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// offcircd status needs only read access: a user who may read status.json
// (and the config) but write nothing of the station's gets the report.
func TestStatusForAReadOnlyUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run status as another user")
	}
	bin := offcircdBinary(t)
	dir, err := os.MkdirTemp("", "offcircd-status-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg := stationConfig(t, dir)
	st := startStation(t, cfg, filepath.Join(dir, "state"))
	st.stop(t)
	// Readable by all, writable by root only; the binary too.
	for _, p := range []string{dir, filepath.Join(dir, "state"), filepath.Dir(bin)} {
		os.Chmod(p, 0o755)
	}
	os.Chmod(cfg, 0o644)
	cmd := exec.Command(bin, "status", "--config", cfg)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("status hung")
	}
	if code := cmd.ProcessState.ExitCode(); code != exitNotRunning || !strings.Contains(out.String(), "test-desk") || !strings.Contains(out.String(), "stopped at") {
		t.Fatalf("status as nobody: exit %d\n%s", code, out.String())
	}
}
