package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kardianos/service"

	offsvc "github.com/offcircd/offcircd/daemon/service"
	"github.com/offcircd/offcircd/daemon/status"
)

// stationConfig writes a config with data and state in dir and a console
// scanner reading the daemon's stdin.
func stationConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := filepath.Join(dir, "offcircd.toml")
	body := `station   = "test-desk"
data_dir  = "files"
state_dir = "state"
default_mode = "loan"
patron_pattern = '^P[0-9]+$'

[[scanner]]
name = "desk"
type = "console"
`
	if err := os.WriteFile(cfg, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRunStopsOnSIGTERM runs the real binary as the service manager would
// (run --config), scans a loan through its console scanner, sends SIGTERM
// and expects exit 0 within 5 s with the status file saying stopped, and
// no patron ID in the status file or the info-level logs.
func TestRunStopsOnSIGTERM(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGTERM is a Unix signal")
	}
	bin := offcircdBinary(t)
	dir := t.TempDir()
	cfg := stationConfig(t, dir)
	cmd := exec.Command(bin, "run", "--config", cfg)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	statusPath := filepath.Join(dir, "state", status.FileName)

	waitStatus(t, statusPath, logs, func(s status.Status) bool { return s.State == status.Running })
	const patron = "P12345678"
	fmt.Fprintf(stdin, "%s\n39000001\n", patron)
	s := waitStatus(t, statusPath, logs, func(s status.Status) bool { return s.RecordsTotal == 1 && s.PatronPresent })
	if s.PID != cmd.Process.Pid || s.Station != "test-desk" || s.Mode != "loan" {
		t.Errorf("running status %+v", s)
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5 s after SIGTERM\n%s", logs.String())
	}
	t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))

	s, err = status.Read(statusPath)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != status.Stopped || s.RecordsTotal != 1 || s.RecordsToday != 1 {
		t.Errorf("final status: state %s total %d today %d", s.State, s.RecordsTotal, s.RecordsToday)
	}
	raw, _ := os.ReadFile(statusPath)
	if bytes.Contains(raw, []byte(patron)) {
		t.Errorf("status file holds the patron ID:\n%s", raw)
	}
	if strings.Contains(logs.String(), patron) {
		t.Errorf("info-level logs hold the unmasked patron ID:\n%s", logs.String())
	}
	data, _ := os.ReadFile(filepath.Join(dir, "files", "OffCirc.dat"))
	if !bytes.Contains(data, []byte(patron+"\r\n")) {
		t.Errorf("data file %q lacks the loan", data)
	}
}

// syncBuffer collects a child's stderr while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func waitStatus(t *testing.T, path string, logs *syncBuffer, cond func(status.Status) bool) status.Status {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := status.Read(path)
		if err == nil && cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("status file %s never matched (last %+v, %v)\n%s", path, s, err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRunRefusesWorldWritableConfig: a config anyone can edit would let
// anyone make a root service run their beeper command.
func TestRunRefusesWorldWritableConfig(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("mode bits are not checked on Windows")
	}
	bin := offcircdBinary(t)
	dir := t.TempDir()
	cfg := stationConfig(t, dir)
	if err := os.Chmod(cfg, 0o666); err != nil {
		t.Fatal(err)
	}
	// Two folders up: anyone may rename etc away and put their own in its place.
	top := filepath.Join(t.TempDir(), "srv")
	os.MkdirAll(filepath.Join(top, "etc"), 0o755)
	deep := stationConfig(t, filepath.Join(top, "etc"))
	if err := os.Chmod(top, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ cfg, want string }{
		{cfg, cfg + " is world-writable"},
		{deep, deep + " is in " + top + ", which is world-writable without the sticky bit"},
	} {
		for _, args := range [][]string{{"run", "--config", c.cfg}, {"install", "--dry-run", "--config", c.cfg}} {
			out, code := runBinary(t, bin, args...)
			if code != 1 || !strings.Contains(out, c.want) {
				t.Errorf("%v: exit %d, output:\n%s", args, code, out)
			}
		}
	}
}

func runBinary(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	out, errb, code := runCommand(t, bin, "", "", args...)
	return out + errb, code
}

func TestInstallRefusesBadConfig(t *testing.T) {
	bin := offcircdBinary(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("station = \"x\"\ndefault_mode = \"lend\"\nbaud_rate = 9600\n"), 0o640)
	out, code := runBinary(t, bin, "install", "--dry-run", "--config", bad)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{bad + ":2:", bad + ":3:", "refusing to install"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	missing := filepath.Join(dir, "none.toml")
	out, code = runBinary(t, bin, "install", "--dry-run", "--config", missing)
	if code != 1 || !strings.Contains(out, "offcircd config > "+missing) {
		t.Errorf("missing config: exit %d\n%s", code, out)
	}
}

// TestInstallDryRunUnit: the unit install would write, with the absolute
// config path in ExecStart, passes systemd-analyze verify.
func TestInstallDryRunUnit(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("systemd units are Linux only")
	}
	bin := offcircdBinary(t)
	dir := t.TempDir()
	cfg := stationConfig(t, dir)
	cmd := exec.Command(bin, "install", "--dry-run", "--config", "offcircd.toml")
	cmd.Dir = dir // a relative --config is taken from the working directory on Linux
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("install --dry-run: %v\n%s", err, out)
	}
	text := string(out)
	if !strings.Contains(text, "ExecStart="+bin+" run --config "+cfg+"\n") {
		t.Errorf("ExecStart does not run the absolute config:\n%s", text)
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (Debian: apt-get install systemd); the unit is not verified")
	}
	unit := filepath.Join(t.TempDir(), offsvc.Name+".service")
	var body []string
	for _, l := range strings.SplitAfter(text, "\n") {
		if !strings.HasPrefix(l, "#") {
			body = append(body, l)
		}
	}
	os.WriteFile(unit, []byte(strings.Join(body, "")), 0o644)
	if vout, err := exec.Command(analyze, "verify", unit).CombinedOutput(); err != nil || len(bytes.TrimSpace(vout)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s\n--- unit ---\n%s", err, vout, body)
	}
}

func TestPlanInstallPaths(t *testing.T) {
	tests := []struct {
		name, config, exe, cwd, goos, wantConfig string
	}{
		{"windows relative from exe folder", "offcircd.toml", "/opt/offcircd/offcircd.exe", "/windows/system32", "windows", "/opt/offcircd/offcircd.toml"},
		{"windows default", "", "/opt/offcircd/offcircd.exe", "/windows/system32", "windows", "/opt/offcircd/offcircd.toml"},
		{"linux relative from cwd", "conf/o.toml", "/usr/local/bin/offcircd", "/home/lib", "linux", "/home/lib/conf/o.toml"},
		{"linux default", "", "/usr/local/bin/offcircd", "/home/lib", "linux", offsvc.DefaultUnixConfig},
		{"relative executable", "/etc/o.toml", "bin/offcircd", "/srv", "linux", "/etc/o.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planInstall(installFlags{config: tt.config}, tt.exe, tt.cwd, tt.goos)
			if err != nil {
				t.Fatal(err)
			}
			if p.opts.ConfigPath != tt.wantConfig {
				t.Errorf("config %q, want %q", p.opts.ConfigPath, tt.wantConfig)
			}
			if want := []string{"run", "--config", tt.wantConfig}; strings.Join(p.cfg.Arguments, "\x00") != strings.Join(want, "\x00") {
				t.Errorf("arguments %q, want %q", p.cfg.Arguments, want)
			}
			if !filepath.IsAbs(p.cfg.Executable) {
				t.Errorf("executable %q not absolute", p.cfg.Executable)
			}
		})
	}
	if _, err := planInstall(installFlags{user: "no-such-user-offcircd"}, "/usr/bin/offcircd", "/", "linux"); err == nil {
		t.Error("unknown --user accepted")
	}
}

// fakeManager is a service manager in memory.
type fakeManager struct {
	status    service.Status
	statusErr error
	calls     []string
	installEr error
}

func (f *fakeManager) Status() (service.Status, error) { return f.status, f.statusErr }
func (f *fakeManager) Install() error {
	f.calls = append(f.calls, "install")
	if f.installEr != nil {
		return f.installEr
	}
	return nil
}
func (f *fakeManager) Uninstall() error { f.calls = append(f.calls, "uninstall"); return nil }
func (f *fakeManager) Stop() error      { f.calls = append(f.calls, "stop"); return nil }

func TestInstallService(t *testing.T) {
	tests := []struct {
		name      string
		mgr       fakeManager
		force     bool
		wantCalls string
		wantErr   error
	}{
		{"fresh", fakeManager{statusErr: service.ErrNotInstalled}, false, "install", nil},
		{"installed and running", fakeManager{status: service.StatusRunning}, false, "", errAlreadyInstalled},
		{"installed but failed", fakeManager{statusErr: errors.New("service in failed state")}, false, "", errAlreadyInstalled},
		{"force replaces", fakeManager{status: service.StatusStopped}, true, "stop,uninstall,install", nil},
		{"manager says exists at install", fakeManager{statusErr: errors.New("exit status 1"), installEr: errors.New("service offcircd already exists")}, false, "install", errAlreadyInstalled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := installService(io.Discard, &tt.mgr, tt.force)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("err %v, want %v", err, tt.wantErr)
			}
			if got := strings.Join(tt.mgr.calls, ","); got != tt.wantCalls {
				t.Errorf("calls %q, want %q", got, tt.wantCalls)
			}
		})
	}
	if !strings.Contains(errAlreadyInstalled.Error(), "install --force") {
		t.Errorf("message %q does not name --force", errAlreadyInstalled)
	}
}

// TestStatusCommand reads a status file through the real binary: the table,
// the JSON and the exit code (3: the service is not running on a test host).
func TestStatusCommand(t *testing.T) {
	bin := offcircdBinary(t)
	dir := t.TempDir()
	cfg := stationConfig(t, dir)
	at := time.Date(2026, 5, 6, 9, 30, 0, 0, time.Local)
	want := status.Status{
		Version: "1.0.0", Station: "test-desk", PID: os.Getpid(), State: status.Running, StartedAt: at, UpdatedAt: at,
		Mode: "loan", PatronPresent: true, ItemsInSession: 2, DataFile: filepath.Join(dir, "files", "OffCirc.dat"),
		Day: "2026-05-06", RecordsToday: 12, RecordsTotal: 345, SpoolDepth: 3, Degraded: true, LastWriteError: "store: no space left on device",
		Scanners: []status.Scanner{
			{Name: "desk", State: "connected", LastScan: at},
			{Name: "drop", State: "waiting", LastError: "serial: no port matches vid 0c2e"},
		},
	}
	if err := status.Write(filepath.Join(dir, "state", status.FileName), want); err != nil {
		t.Fatal(err)
	}
	out, code := runBinary(t, bin, "status", "--config", cfg)
	if code != exitNotRunning {
		t.Errorf("exit %d, want %d (service not running here)\n%s", code, exitNotRunning, out)
	}
	for _, line := range []string{
		"service ", "running since 2026-05-06 09:30:00",
		"station           test-desk (offcircd 1.0.0)",
		"mode              loan, patron session open (2 items)",
		"records           12 today (2026-05-06), 345 in total",
		"spool             3 waiting — THE DATA FILE CANNOT BE WRITTEN",
		"last write error  store: no space left on device",
		"desk     connected  2026-05-06 09:30:00  -",
		"drop     waiting    -                    serial: no port matches vid 0c2e",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("table lacks %q:\n%s", line, out)
		}
	}

	out, code = runBinary(t, bin, "status", "--config", cfg, "--json")
	if code != exitNotRunning {
		t.Errorf("--json exit %d", code)
	}
	var r struct {
		Service string         `json:"service"`
		Running bool           `json:"running"`
		Stale   bool           `json:"stale"`
		Daemon  *status.Status `json:"daemon"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if r.Running || r.Daemon == nil || r.Daemon.RecordsTotal != 345 || r.Daemon.Scanners[1].LastError == "" || r.Stale {
		t.Errorf("json report %+v", r)
	}
}

func TestStatusCommandStaleAndMissing(t *testing.T) {
	bin := offcircdBinary(t)
	dir := t.TempDir()
	cfg := stationConfig(t, dir)
	out, code := runBinary(t, bin, "status", "--config", cfg)
	if code != exitNotRunning || !strings.Contains(out, "none yet") {
		t.Errorf("no status file: exit %d\n%s", code, out)
	}
	// A daemon killed with -9 leaves "running" behind; its pid is gone.
	dead := exec.Command(bin, "version")
	dead.Run()
	status.Write(filepath.Join(dir, "state", status.FileName), status.Status{State: status.Running, PID: dead.Process.Pid})
	out, _ = runBinary(t, bin, "status", "--config", cfg)
	if !strings.Contains(out, "is gone") {
		t.Errorf("stale status not reported:\n%s", out)
	}
	out, code = runBinary(t, bin, "status", "--config", filepath.Join(dir, "none.toml"))
	if code != 1 {
		t.Errorf("missing explicit config: exit %d\n%s", code, out)
	}
}
