package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigCannotHurt: every problem of a configuration a person really
// writes is reported with FILE:LINE, type errors included, none hiding
// another; what run would trip over is found by config check; and a file
// the configuration points at is never echoed.
func TestConfigCannotHurt(t *testing.T) {
	dir := t.TempDir()
	dirs := "data_dir = '" + filepath.Join(dir, "files") + "'\nstate_dir = '" + filepath.Join(dir, "state") + "'\n"
	secret := filepath.Join(dir, "patrons.csv")
	if err := os.WriteFile(secret, []byte("2345678901,Jane Doe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		body  string
		code  int
		lines []string // lines of stdout, FILE: prefix added
		not   []string // must not appear anywhere
	}{
		{"type errors, each with its line, none hiding the others", dirs +
			"double_read_window = 5\npatron_timeout = 30\ndefault_mode = \"lend\"\nmax_items_per_patron = \"ten\"\n", 1, []string{
			":3: double_read_window: expected a duration string such as \"30s\", found a TOML integer",
			":4: patron_timeout: expected a duration string such as \"30s\", found a TOML integer",
			":5: default_mode \"lend\" is not one of loan | return",
			":6: max_items_per_patron: expected an integer, found a TOML string",
		}, nil},
		{"type errors in a scanner", dirs +
			"[[scanner]]\nname = \"desk\"\ntype = \"serial\"\nport = \"/dev/null\"\nbaud = \"9600\"\nframe_timeout = 1\n", 1, []string{
			":7: scanner 1: baud: expected an integer, found a TOML string",
			":8: scanner 1: frame_timeout: expected a duration string such as \"30s\", found a TOML integer",
		}, nil},
		{"UTF-8 byte order mark (Notepad)", "\xEF\xBB\xBF" + dirs + "station = \"desk-1\"\n", 0, []string{": ok"}, nil},
		{"escapes in a double-quoted path", dirs + "log_file = \"C:\\temp\\new.log\"\n", 1, []string{
			`:3: log_file: the value contains a TAB and a line break; in a double-quoted string a backslash starts an escape (\t is a TAB, \n a line break): write it in single quotes, where a backslash is a backslash: 'C:\temp\new.log'`,
		}, nil},
		{"single-quoted path is fine", dirs + "log_file = '" + filepath.Join(dir, `C:\temp\new.log`) + "'\n", 0, []string{": ok"}, nil},
		{"intervals out of bounds", dirs + "alarm_interval = \"1ns\"\nhotplug_interval = \"2h\"\ndouble_read_window = \"0s\"\n", 1, []string{
			":3: alarm_interval 1ns is outside 1s..1h",
			":4: hotplug_interval 2h0m0s is outside 100ms..1h",
		}, nil},
		{"beeper command missing", dirs + "[[beeper]]\ntype = \"command\"\ncommand = [\"" + filepath.Join(dir, "no-such-player") + "\", \"-q\"]\n", 1, []string{
			":5: beeper 1: command \"" + filepath.Join(dir, "no-such-player") + "\" cannot be run: no such file",
		}, nil},
		{"beeper command not executable", dirs + "[[beeper]]\ntype = \"command\"\ncommand = ['" + secret + "']\n", 1, []string{
			":5: beeper 1: command \"" + secret + "\" cannot be run: not executable",
		}, []string{"Jane", "2345678901"}},
		{"replay file that is not a capture", dirs + "[[scanner]]\nname = \"r\"\ntype = \"replay\"\ndecoder = \"serial\"\nfile = '" + secret + "'\n", 1, []string{
			":7: scanner \"r\": replay: " + secret + ": capture: line 1: bad time: want milliseconds (is this a capture file?)",
		}, []string{"Jane", "2345678901"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.Repeat("c", i+1)+".toml")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code := runOffcircd(t, "", "", "config", "check", path)
			stdout = withoutPatternWarning(stdout)
			var want []string
			for _, l := range tt.lines {
				want = append(want, path+l)
			}
			if code != tt.code || strings.TrimSpace(stdout) != strings.Join(want, "\n") {
				t.Fatalf("exit %d, stdout:\n%s\nstderr: %s\nwant exit %d and:\n%s", code, stdout, stderr, tt.code, strings.Join(want, "\n"))
			}
			for _, s := range tt.not {
				if strings.Contains(stdout+stderr, s) {
					t.Errorf("output shows %q from a file it was pointed at", s)
				}
			}
			// run finds the same and refuses to start.
			if tt.code != 0 {
				if _, stderr, code := runOffcircd(t, "", "", "run", "--config", path); code == 0 || !strings.Contains(stderr, want[0][len(path):]) {
					t.Errorf("run: exit %d, stderr %q", code, stderr)
				}
			}
		})
	}
}

// TestConfigStatesBounds: `offcircd config` states the range of every
// bounded duration next to its key.
func TestConfigStatesBounds(t *testing.T) {
	out, _, code := runOffcircd(t, "", "", "config")
	for _, want := range []string{"(1s..24h)", "(0s..1m)", "(0s..24h)", "(100ms..1h)", "(1s..1h)", "(1ms..10s)", "(10ms..1m)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("offcircd config does not state %s", want)
		}
	}
}

// withoutPatternWarning drops the no-patron_pattern warning (tested in
// TestNoPatternWarning) from config check's output.
func withoutPatternWarning(out string) string {
	var keep []string
	for _, l := range strings.SplitAfter(out, "\n") {
		if !strings.Contains(l, "warning: no patron_pattern") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// TestNoPatternWarning: config check warns when a station that can lend
// has no patron_pattern, and only then.
func TestNoPatternWarning(t *testing.T) {
	dir := t.TempDir()
	dirs := "data_dir = 'files'\nstate_dir = 'state'\n"
	tests := []struct {
		name, body string
		warn       bool
	}{
		{"no patterns, lending desk", dirs + "[[scanner]]\nname = \"desk\"\ntype = \"console\"\n", true},
		{"patterns", dirs + "patron_pattern = '^P'\nitem_pattern = '^3'\n[[scanner]]\nname = \"desk\"\ntype = \"console\"\n", false},
		{"a book drop that only returns", dirs + "[[scanner]]\nname = \"drop\"\ntype = \"console\"\nmode = \"return\"\n", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.Repeat("w", i+1)+".toml")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			stdout, _, code := runOffcircd(t, "", "", "config", "check", path)
			if got := strings.Contains(stdout, path+": warning: no patron_pattern") && strings.Contains(stdout, "offcircd learn"); code != 0 || got != tt.warn {
				t.Fatalf("exit %d, warning %v (want %v):\n%s", code, got, tt.warn, stdout)
			}
		})
	}
}
