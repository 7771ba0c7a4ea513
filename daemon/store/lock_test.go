package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lockHolderEnv makes the test binary a process that holds the state lock
// of the folder it names until it is killed.
const lockHolderEnv = "OFFCIRC_STORE_LOCK_HOLDER"

func lockHolder() int {
	l, err := LockState(os.Getenv(lockHolderEnv), Owner{PID: os.Getpid(), Since: time.Now(), Config: "/etc/holder.toml"})
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	defer l.Close()
	fmt.Println("LOCKED")
	time.Sleep(time.Minute)
	return 0
}

func TestStateLockRefusesASecondInstance(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	since := time.Date(2026, 5, 6, 9, 30, 0, 0, time.Local)
	first, err := LockState(dir, Owner{PID: 812, Since: since, Config: "/etc/offcircd/offcircd.toml"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockState(dir, Owner{PID: 999})
	var ie *InstanceError
	if !errors.As(err, &ie) || !errors.Is(err, ErrInstanceRunning) {
		t.Fatalf("second LockState: %v, want an InstanceError", err)
	}
	for _, want := range []string{"pid 812", "since 2026-05-06 09:30:00", "config /etc/offcircd/offcircd.toml", "kill 812", dir} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not name %q", err, want)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := LockState(dir, Owner{PID: 999})
	if err != nil {
		t.Fatalf("LockState after the first closed: %v", err)
	}
	again.Close()
}

func TestStateLockDiesWithItsProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHolderEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if l, err := bufio.NewReader(out).ReadString('\n'); err != nil || l != "LOCKED\n" {
		t.Fatalf("holder said %q, %v", l, err)
	}
	_, err = LockState(dir, Owner{PID: os.Getpid()})
	if !errors.Is(err, ErrInstanceRunning) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("while the holder runs: %v, want a refusal naming pid %d", err, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no chance to unlock
		t.Fatal(err)
	}
	cmd.Wait()
	l, err := LockState(dir, Owner{PID: os.Getpid()})
	if err != nil {
		t.Fatalf("after the holder was killed: %v (a dead process's lock must not block)", err)
	}
	l.Close()
}

// otherStation holds the data file's lock as a second station on the same
// file would around its own append.
func otherStation(t *testing.T, path string) *os.File {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	f, _, err := openLocked(path, true, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A second station half way through its line holds the lock: our append
// waits for it instead of taking its partial line for a torn tail.
func TestAppendWaitsForAnotherStationsLock(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	other := otherStation(t, e.path())
	theirs := line(t, testRec(100))
	if _, err := other.Write([]byte(theirs[:10])); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.Append(testRec(1)); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("Append returned (%v) while another station held the data file's lock", err)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := other.Write([]byte(theirs[10:])); err != nil {
		t.Fatal(err)
	}
	other.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), theirs+line(t, testRec(1)); got != want {
		t.Fatalf("data file:\n%q\nwant\n%q", got, want)
	}
}

// Archive waits for a record being written, so the archived file never
// ends in half a line.
func TestArchiveWaitsForTheLock(t *testing.T) {
	e := newEnv(t)
	other := otherStation(t, e.path())
	theirs := line(t, testRec(7))
	other.Write([]byte(theirs[:5]))
	done := make(chan error, 1)
	var dst string
	go func() {
		var err error
		dst, err = Archive(e.data, "OffCirc.dat", t0)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Archive returned (%v) while a record was being written", err)
	case <-time.After(300 * time.Millisecond):
	}
	other.Write([]byte(theirs[5:]))
	other.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != theirs {
		t.Fatalf("archived %q, want %q", b, theirs)
	}
}
