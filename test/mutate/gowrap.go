package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
)

// realGoEnv names the environment variable through which the wrapper finds
// the real go command (gremlins finds the wrapper as "go" in PATH).
const realGoEnv = "OFFCIRCD_MUTATE_REAL_GO"

// skipEnv carries a target's go test -skip pattern to the wrapper.
const skipEnv = "OFFCIRCD_MUTATE_SKIP"

// exitNotViable is the exit status gremlins v0.6.0 reads as NOT VIABLE.
const exitNotViable = 2

// buildFailed matches go test's summary line for a package whose code or
// test binary did not compile or vet ("FAIL\tpkg [build failed]"), or
// whose setup failed (an import cycle, a bad embed pattern).
var buildFailed = regexp.MustCompile(`(?m)^FAIL\s+\S+\s+\[(build|setup) failed\]`)

// goWrapper runs the real go command with args and returns the exit status
// to leave with: that of go, except that a `go test` which failed only
// because the code did not build is reported as exitNotViable.
func goWrapper(args []string, stdout, stderr io.Writer) int {
	real := os.Getenv(realGoEnv)
	if real == "" {
		fmt.Fprintf(stderr, "mutate: go wrapper: %s is not set\n", realGoEnv)
		return 1
	}
	if skip := os.Getenv(skipEnv); skip != "" && len(args) > 0 && args[0] == "test" {
		args = append([]string{"test", "-skip", skip}, args[1:]...)
	}
	cmd := exec.Command(real, args...)
	cmd.Stdin = os.Stdin
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(stdout, &out)
	cmd.Stderr = io.MultiWriter(stderr, &out)
	dieWithParent(cmd)
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return wrappedStatus(args, exit.ExitCode(), out.Bytes())
	default:
		fmt.Fprintf(stderr, "mutate: go wrapper: %v\n", err)
		return 1
	}
}

// wrappedStatus maps go's exit status for args and its output to the
// status the wrapper exits with.
func wrappedStatus(args []string, code int, out []byte) int {
	if code == 1 && len(args) > 0 && args[0] == "test" && buildFailed.Match(out) {
		return exitNotViable
	}
	if code < 0 { // killed by a signal
		return 1
	}
	return code
}
