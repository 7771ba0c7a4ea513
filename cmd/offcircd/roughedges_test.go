package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/daemon/status"
)

// TestVersionFlag: `offcircd --version` (what people type first) prints
// what `offcircd version` prints.
func TestVersionFlag(t *testing.T) {
	want, _, code := runOffcircd(t, "", "", "version")
	if code != 0 || !strings.HasPrefix(want, "offcircd ") {
		t.Fatalf("version: exit %d %q", code, want)
	}
	for _, flag := range []string{"--version", "-v"} {
		got, errOut, code := runOffcircd(t, "", "", flag)
		if code != 0 || got != want {
			t.Errorf("%s: exit %d, %q (stderr %q), want %q", flag, code, got, errOut, want)
		}
	}
}

// TestTrialRunPipedThenStatus is a newcomer's session through the built
// binary: `offcircd run` without a config, scans piped in (not a terminal),
// then `offcircd status` in the same folder without --config. The piped
// lines are read as a console scanner and the run ends with its input; the
// status command finds ./OffCirc (not the installed service's state_dir)
// and, the station being stopped, shows no open patron session.
func TestTrialRunPipedThenStatus(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := runOffcircd(t, dir, "P1234567\n39000001\n39000002\n", "run")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "standard input is not a terminal: reading one scan per line") {
		t.Errorf("run does not say it reads the piped input:\n%s", errOut)
	}
	data, err := os.ReadFile(filepath.Join(dir, "OffCirc", "files", "OffCirc.dat"))
	if err != nil {
		t.Fatalf("no data file after piped scans: %v\n%s", err, errOut)
	}
	if n := strings.Count(string(data), "P1234567\r\n"); n != 2 {
		t.Errorf("%d loans for the patron, want 2:\n%q", n, data)
	}
	statusPath := filepath.Join(dir, "OffCirc", "state", status.FileName)
	s, err := status.Read(statusPath)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != status.Stopped || s.PatronPresent || s.ItemsInSession != 0 {
		t.Errorf("status file after the stop: state %s, patron_present %v, items %d", s.State, s.PatronPresent, s.ItemsInSession)
	}

	out, _, _ := runOffcircd(t, dir, "", "status")
	for _, want := range []string{statusPath, "stopped at", "records           2 today"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "patron session open") {
		t.Errorf("a stopped station shows an open patron session:\n%s", out)
	}
}

// TestStatusOfCrashedStationShowsNoSession: a daemon killed with -9 leaves
// "running" and an open session in its last snapshot; neither is true.
func TestStatusOfCrashedStationShowsNoSession(t *testing.T) {
	bin := offcircdBinary(t)
	dir := t.TempDir()
	cfg := stationConfig(t, dir)
	dead := exec.Command(bin, "version")
	dead.Run()
	if err := status.Write(filepath.Join(dir, "state", status.FileName), status.Status{
		State: status.Running, PID: dead.Process.Pid, Mode: "loan", PatronPresent: true, ItemsInSession: 3,
	}); err != nil {
		t.Fatal(err)
	}
	out, _, _ := runOffcircd(t, "", "", "status", "--config", cfg)
	if !strings.Contains(out, "is gone") || strings.Contains(out, "patron session open") {
		t.Errorf("crashed station:\n%s", out)
	}
	if !strings.Contains(out, "no patron session") {
		t.Errorf("mode line does not say the session is gone:\n%s", out)
	}
	// --json keeps the daemon's last words (stale tells they are old).
	js, _, _ := runOffcircd(t, "", "", "status", "--config", cfg, "--json")
	var r struct{ Stale bool }
	if err := json.Unmarshal([]byte(js), &r); err != nil || !r.Stale {
		t.Errorf("--json: %v %s", err, js)
	}
}

// TestCheckEmptyAndNotText: an empty file is a warning that says so; a
// file that is not text is one clear error, not one per line of noise.
func TestCheckEmptyAndNotText(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("empty.dat", nil)
	bin := make([]byte, 300_000) // a binary file of many "lines" of noise
	for i := range bin {
		bin[i] = byte(i*131 + i/7)
	}
	write("photo.dat", bin)
	utf16 := []byte{0xFF, 0xFE}
	for _, c := range "202403110901R39000001\r\n" {
		utf16 = append(utf16, byte(c), 0)
	}
	write("unicode.dat", utf16)
	write("noise.dat", []byte(strings.Repeat("\x80\x81\x9f\xe9\r\n", 400)))

	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string // exact
		stderr string // contained
	}{
		{"empty", []string{"empty.dat"}, "", 0,
			"empty.dat: warning: empty file (no records to upload)\nempty.dat: 0 lines, 0 loans, 0 returns, 0 errors, 1 warnings\n", ""},
		{"empty strict", []string{"--strict", "empty.dat"}, "", 1,
			"empty.dat: warning: empty file (no records to upload)\nempty.dat: 0 lines, 0 loans, 0 returns, 0 errors, 1 warnings\n", ""},
		{"empty stdin", []string{"-"}, "", 0,
			"-: warning: empty file (no records to upload)\n-: 0 lines, 0 loans, 0 returns, 0 errors, 1 warnings\n", ""},
		{"binary", []string{"photo.dat"}, "", 1, "", "check: photo.dat: not a text data file: a NUL byte at offset 0"},
		{"utf-16", []string{"unicode.dat"}, "", 1, "", "not a text data file: UTF-16"},
		{"noise", []string{"noise.dat"}, "", 1, "", "not a text data file: 1600 of the first 2400 bytes"},
		{"binary stdin", []string{"-"}, string(bin), 1, "", "check: -: not a text data file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runOffcircd(t, dir, tt.stdin, append([]string{"check"}, tt.args...)...)
			if code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, want %d\nstdout %q\nwant   %q\nstderr %q, want it to contain %q", code, tt.code, stdout, tt.stdout, stderr, tt.stderr)
			}
			if n := strings.Count(stderr, "\n"); n > 1 {
				t.Errorf("%d lines of errors, want one", n)
			}
		})
	}
}
