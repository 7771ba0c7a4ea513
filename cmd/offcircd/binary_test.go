package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// offcircdBinary builds the real binary once per test process so end-to-end
// tests run exactly what users run.
func offcircdBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "offcircd-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "offcircd")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = &buildError{out: string(out), err: err}
		}
	})
	if binErr != nil {
		t.Fatalf("building offcircd: %v", binErr)
	}
	return binPath
}

// runOffcircd runs the built binary in dir (the test's working directory
// when "") with stdin and returns its stdout, stderr and exit code.
func runOffcircd(t testing.TB, dir, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return runCommand(t, offcircdBinary(t), dir, stdin, args...)
}

// runCommand runs bin with a timeout, so a hung command fails the test
// instead of the whole run.
func runCommand(t testing.TB, bin, dir, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return runCommandWithin(t, 60*time.Second, bin, dir, stdin, args...)
}

// runOffcircdWithin is runOffcircd with its own timeout, for a test whose
// point is that the command does not hang.
func runOffcircdWithin(t testing.TB, timeout time.Duration, dir, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return runCommandWithin(t, timeout, offcircdBinary(t), dir, stdin, args...)
}

// runCommandWithin is runCommand with the given timeout.
func runCommandWithin(t testing.TB, timeout time.Duration, bin, dir, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &ee) && ctx.Err() == nil:
		return out.String(), errb.String(), ee.ExitCode()
	}
	t.Fatalf("running %s %v: %v (stderr: %s)", bin, args, err, errb.String())
	return "", "", -1
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
