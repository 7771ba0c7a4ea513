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

// A log_file in a folder that does not exist yet is created at start, as
// data_dir and state_dir are; one that cannot be created is refused by
// `config check` (naming its line) before a service could loop on it.
func TestLogFileFolder(t *testing.T) {
	dir := t.TempDir()
	cfg := stationConfig(t, dir)
	body, _ := os.ReadFile(cfg)
	good := strings.Replace(string(body), "default_mode", "log_file = \"logs/desk/offcircd.log\"\ndefault_mode", 1)
	os.WriteFile(cfg, []byte(good), 0o640)
	if out, errb, code := runOffcircd(t, dir, "", "config", "check", cfg); code != 0 {
		t.Fatalf("config check: exit %d\n%s%s", code, out, errb)
	}
	st := startStation(t, cfg, filepath.Join(dir, "state"))
	fmt.Fprintf(st.stdin, "P12345678\n39000001\n")
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.RecordsTotal == 1 })
	st.stop(t)
	if b, err := os.ReadFile(filepath.Join(dir, "logs", "desk", "offcircd.log")); err != nil || !strings.Contains(string(b), "record written") {
		t.Errorf("log file in the created folder: %v %q", err, b)
	}

	os.WriteFile(filepath.Join(dir, "plain"), nil, 0o640)
	for _, tt := range []struct{ logFile, want string }{
		{"plain/offcircd.log", "not a directory"},
		{"logs", "is a directory"},
	} {
		bad := strings.Replace(string(body), "default_mode", "log_file = \""+tt.logFile+"\"\ndefault_mode", 1)
		os.WriteFile(cfg, []byte(bad), 0o640)
		out, errb, code := runOffcircd(t, dir, "", "config", "check", cfg)
		if code != 1 || !strings.Contains(out+errb, "offcircd.toml:4:") || !strings.Contains(out+errb, tt.want) {
			t.Errorf("config check with log_file %s: exit %d, want 1 naming line 4 and %q:\n%s%s", tt.logFile, code, tt.want, out, errb)
		}
	}
}
