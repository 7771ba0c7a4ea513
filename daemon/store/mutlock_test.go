package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// When the running station's lock file names no process (its text was
// lost, or written by a version that wrote none), the refusal of a second
// instance names none either: never "pid 0", and never the advice
// `kill 0`, which would signal the whole process group of the shell.
func TestSecondInstanceWithUnknownOwner(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	first, err := LockState(dir, Owner{PID: 812})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if err := os.Truncate(filepath.Join(dir, LockFileName), 0); err != nil {
		t.Fatal(err)
	}
	_, err = LockState(dir, Owner{PID: 999})
	if !errors.Is(err, ErrInstanceRunning) {
		t.Fatalf("second LockState: %v", err)
	}
	msg := err.Error()
	for _, bad := range []string{"pid 0", "kill 0", "built-in configuration"} {
		if strings.Contains(msg, bad) {
			t.Errorf("refusal %q says %q about an unknown process", msg, bad)
		}
	}
	if !strings.Contains(msg, "kill PID") {
		t.Errorf("refusal %q does not show how to stop it", msg)
	}
}

// Closing a state lock twice, or a nil one (a start that failed before
// taking it), is harmless.
func TestStateLockCloseTwice(t *testing.T) {
	l, err := LockState(filepath.Join(t.TempDir(), "state"), Owner{PID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	var none *StateLock
	if err := none.Close(); err != nil {
		t.Errorf("Close of a nil lock: %v", err)
	}
}
