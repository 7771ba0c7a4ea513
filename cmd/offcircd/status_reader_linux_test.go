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

	"github.com/offcircd/offcircd/daemon/status"
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

// A station started with records spooled by an earlier run and a data
// folder it cannot write says so in its very first running status.
func TestFirstStatusShowsTheSpool(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a read-only tmpfs")
	}
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount tmpfs: %v", err)
	}
	defer syscall.Unmount(mnt, syscall.MNT_DETACH)
	if err := syscall.Mount("", mnt, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount: %v", err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "offcircd.toml")
	os.WriteFile(cfg, []byte("station = \"ro\"\ndata_dir = '"+filepath.Join(mnt, "files")+"'\nstate_dir = 'state'\n"), 0o600)
	os.MkdirAll(filepath.Join(dir, "state"), 0o750)
	rec := "202501021505R39001002" + strings.Repeat(" ", 72) + "\r\n"
	os.WriteFile(filepath.Join(dir, "state", "spool.dat"), []byte(rec), 0o600)
	st := startStation(t, cfg, filepath.Join(dir, "state"))
	s, err := status.Read(st.statusPath)
	if err != nil || s.SpoolDepth != 1 || !s.Degraded || s.LastWriteError == "" {
		t.Fatalf("first running status: %+v, %v", s, err)
	}
	st.stop(t)
}
