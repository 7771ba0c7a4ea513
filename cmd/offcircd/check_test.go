package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/internal/golden"
)

// runInDir runs the built binary in dir with stdin and returns stdout,
// stderr and the exit code.
func runInDir(t *testing.T, dir, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return runOffcircd(t, dir, stdin, args...)
}

// TestCheckGolden checks each file of testdata/check against its .want
// output (what a librarian sees) and exit code.
func TestCheckGolden(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "check")
	tests := []struct {
		file string
		args []string
		code int
	}{
		{"clean.dat", nil, 0},
		{"tabs.dat", nil, 0},
		{"lf.dat", nil, 0},
		{"torn.dat", nil, 1},
		{"errors.dat", nil, 1},
		{"warnings.dat", nil, 0},
		{"warnings.dat", []string{"--strict"}, 1},
		{"clean.dat", []string{"--strict"}, 0},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append(tt.args, tt.file), " "), func(t *testing.T) {
			args := append(append([]string{"check", "--timezone", "Europe/Oslo"}, tt.args...), tt.file)
			stdout, stderr, code := runInDir(t, dir, "", args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			golden.Check(t, filepath.Join(dir, strings.TrimSuffix(tt.file, ".dat")+".want"), []byte(stdout))
		})
	}
}

func TestCheckAlmaGoldenIsClean(t *testing.T) {
	stdout, _, code := runInDir(t, filepath.Join("..", "..", "testdata", "alma"), "", "check", "--strict", "OffCirc.dat")
	if code != 0 || stdout != "OffCirc.dat: 6 lines, 5 loans, 1 returns, 0 errors, 0 warnings\n" {
		t.Fatalf("exit %d, output %q", code, stdout)
	}
}

func TestCheckSeveralFilesAndStdin(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "check")
	stdout, stderr, code := runInDir(t, dir, "202403110901R1\r\nbad\n", "check", "clean.dat", "-", "torn.dat")
	if code != 1 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want := "clean.dat: 5 lines, 3 loans, 2 returns, 0 errors, 0 warnings\n" +
		"-:2: error: line too short for a record (3 characters, a record needs at least 14)\n" +
		"-: 2 lines, 0 loans, 1 returns, 1 errors, 0 warnings\n" +
		"torn.dat:3: error: last line has no line end (torn write)\n" +
		"torn.dat: 3 lines, 1 loans, 1 returns, 1 errors, 0 warnings\n"
	if stdout != want {
		t.Fatalf("output:\n%s\nwant:\n%s", stdout, want)
	}
}

func TestCheckUsageAndIOErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no files", []string{"check"}, 2, "no files given"},
		{"bad flag", []string{"check", "--nope", "x"}, 2, "unknown flag"},
		{"bad zone", []string{"check", "--timezone", "Mars/Base", "x"}, 2, "Mars/Base"},
		{"missing file", []string{"check", "missing.dat"}, 1, "missing.dat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runInDir(t, t.TempDir(), "", tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
		})
	}
}
