package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// runConfigCmd runs the built binary and returns stdout, stderr and the exit code.
func runConfigCmd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runOffcircd(t, "", "", args...)
}

func TestConfigCommand(t *testing.T) {
	// The printed default must be accepted by config check as-is.
	out, _, code := runConfigCmd(t, "config")
	if code != 0 || !strings.Contains(out, "control_prefix = \"OFFCIRC:\"") {
		t.Fatalf("config: exit %d, output %q", code, out)
	}
	dir := t.TempDir()
	def := filepath.Join(dir, "offcircd.toml")
	if err := os.WriteFile(def, []byte(out), 0o640); err != nil {
		t.Fatal(err)
	}

	good := filepath.Join("..", "..", "testdata", "config", "good-full.toml")
	minimal := filepath.Join("..", "..", "testdata", "config", "good-minimal.toml")
	bad := filepath.Join("..", "..", "testdata", "config", "bad-many.toml")
	syntax := filepath.Join("..", "..", "testdata", "config", "bad-syntax.toml")

	tests := []struct {
		name string
		args []string
		code int
		out  []string // lines that must appear on stdout
		err  string   // text that must appear on stderr
	}{
		{"default accepted", []string{"config", "check", def}, 0, []string{def + ": ok"}, ""},
		{"good files", []string{"config", "check", good, minimal}, 0, []string{good + ": ok", minimal + ": ok"}, ""},
		{"bad file", []string{"config", "check", bad}, 1, []string{
			bad + ":4: unknown key \"bogus\"",
			bad + ":12: scanner \"a\": type \"serail\" is not one of serial | hid-pos | hid-keyboard | console | replay",
			bad + ":13: scanner 1: baud: expected an integer, found a TOML string",
			bad + ":32: patterns: \"bad\" is not a pattern name",
		}, ""},
		{"syntax error", []string{"config", "check", syntax}, 1, []string{syntax + ":3: syntax error"}, ""},
		{"good and bad", []string{"config", "check", good, bad}, 1, []string{good + ": ok", bad + ":2: data_dir"}, ""},
		{"missing file", []string{"config", "check", filepath.Join(dir, "nope.toml")}, 1, []string{filepath.Join(dir, "nope.toml") + ": cannot read"}, ""},
		{"no file", []string{"config", "check"}, 2, nil, "requires at least 1 arg"},
		{"extra argument", []string{"config", "extra"}, 2, nil, "unknown command"},
		{"bad flag", []string{"config", "check", "--nope", good}, 2, nil, "unknown flag"},
		{"help", []string{"config", "check", "--help"}, 0, []string{"Usage:"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runConfigCmd(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, want := range tt.out {
				if !hasConfigLine(stdout, want) {
					t.Errorf("stdout lacks a line starting %q:\n%s", want, stdout)
				}
			}
			if tt.err != "" && !strings.Contains(stderr, tt.err) {
				t.Errorf("stderr lacks %q:\n%s", tt.err, stderr)
			}
		})
	}
}

func TestConfigCheckPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits on Windows")
	}
	out, _, _ := runConfigCmd(t, "config")
	f := filepath.Join(t.TempDir(), "offcircd.toml")
	os.WriteFile(f, []byte(out), 0o600)
	os.Chmod(f, 0o666)
	stdout, _, code := runConfigCmd(t, "config", "check", f)
	if code != 1 || !hasConfigLine(stdout, f+": config: "+f+" is world-writable") {
		t.Errorf("world-writable config: exit %d\n%s", code, stdout)
	}
}

// TestConfigCheckNotAFile: a path that is no configuration file at all
// (missing, a folder, a device) is one clear line, not the same problem
// said twice.
func TestConfigCheckNotAFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.toml")
	tests := []struct{ name, path, want string }{
		{"missing", missing, missing + ": cannot read: no such file or directory"},
		{"folder", dir, dir + ": cannot read: not a regular file (a folder): give the path of the configuration file"},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests, struct{ name, path, want string }{"device", "/dev/zero",
			"/dev/zero: cannot read: not a regular file (a character device): give the path of the configuration file"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runConfigCmd(t, "config", "check", tt.path)
			if code != 1 || stdout != tt.want+"\n" {
				t.Errorf("exit %d, stdout %q (stderr %q); want exit 1 and the one line %q", code, stdout, stderr, tt.want)
			}
		})
	}
}

func hasConfigLine(s, prefix string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// TestBadTZ: with timezone = "" a TZ that Go cannot load (it would quietly
// stamp every record in UTC) stops both config check and run with an error
// naming TZ and the fix; an explicit timezone makes TZ irrelevant.
func TestBadTZ(t *testing.T) {
	dir := t.TempDir()
	local := filepath.Join(dir, "local.toml")
	explicit := filepath.Join(dir, "explicit.toml")
	base := "data_dir = 'files'\nstate_dir = 'state'\n"
	if err := os.WriteFile(local, []byte(base), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(explicit, []byte(base+"timezone = 'Europe/Berlin'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TZ", "Nowhere/Land") // inherited by the binary
	const want = `the TZ environment variable is "Nowhere/Land", which is no time zone this system knows`
	stdout, _, code := runOffcircd(t, dir, "", "config", "check", local)
	if code != 1 || !strings.Contains(stdout, want) || !strings.Contains(stdout, "or set timezone in the configuration") {
		t.Errorf("config check: exit %d\n%s", code, stdout)
	}
	_, stderr, code := runOffcircdWithin(t, 15*time.Second, dir, "", "run", "--config", local)
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("run: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "files", "OffCirc.dat")); err == nil {
		t.Error("run wrote a data file")
	}
	if stdout, _, code := runOffcircd(t, dir, "", "config", "check", explicit); code != 0 {
		t.Errorf("explicit timezone: exit %d\n%s", code, stdout)
	}
}
