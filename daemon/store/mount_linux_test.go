//go:build linux

package store

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// mountTmpfs mounts a size-limited tmpfs for the test, or skips when the
// test cannot mount (not root, or no CAP_SYS_ADMIN in this container).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs (CI runs as root); skipping the real-filesystem failure test")
	}
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size="+size+",mode=0755"); err != nil {
		t.Skipf("cannot mount tmpfs here (%v); skipping the real-filesystem failure test", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// waitDrained runs the store's background drain until the spool is empty.
func waitDrained(t *testing.T, s *Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	select {
	case s.wake <- struct{}{}:
	default: // already woken
	}
	deadline := time.After(10 * time.Second)
	for s.Status().Degraded {
		select {
		case <-deadline:
			cancel()
			t.Fatalf("spool not drained: %+v", s.Status())
		case <-time.After(2 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestDiskFull fills a real 64 KiB tmpfs so that a line is cut by ENOSPC in
// the middle (a short write), checks that it and the following records are
// spooled and the data file keeps only whole lines, then frees space and
// checks the spool drains exactly once, in order.
func TestDiskFull(t *testing.T) {
	mnt := mountTmpfs(t, "64k")
	e := newEnv(t)
	e.data = filepath.Join(mnt, "files")
	s := e.open(t)
	mustAppend(t, s, 0, false)
	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	// The data file's first page still has room for about 42 lines; the
	// one crossing into a new page gets a short write.
	n := 1
	for ; n < 200; n++ {
		ack, err := s.Append(testRec(n))
		if err != nil {
			t.Fatalf("Append(%d): %v", n, err)
		}
		if ack.Spooled {
			break
		}
	}
	if n == 200 {
		t.Fatal("disk never filled")
	}
	firstSpooled := n
	for n++; n < firstSpooled+5; n++ {
		mustAppend(t, s, n, true)
	}
	st := s.Status()
	if !st.Degraded || st.SpoolDepth != 5 || !strings.Contains(st.LastError, "disk full") || !strings.Contains(st.LastError, "no space left") {
		t.Fatalf("status %+v", st)
	}
	if got, want := e.content(t), linesOf(t, 0, firstSpooled); got != want {
		t.Fatalf("data file after ENOSPC holds more than the whole lines written (%d bytes, want %d)", len(got), len(want))
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, s)
	if got, want := e.content(t), linesOf(t, 0, n); got != want {
		t.Fatalf("after drain: %d bytes, want %d (records 0..%d once, in order)", len(got), len(want), n-1)
	}
	t.Logf("line %d hit ENOSPC; %d records spooled and drained", firstSpooled, n-firstSpooled)
}

// TestReadOnlyRemount remounts the data file system read-only (EROFS).
func TestReadOnlyRemount(t *testing.T) {
	mnt := mountTmpfs(t, "1m")
	e := newEnv(t)
	e.data = filepath.Join(mnt, "files")
	s := e.open(t)
	mustAppend(t, s, 0, false)
	mustAppend(t, s, 1, false)
	if err := unix.Mount("", mnt, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount read-only: %v", err)
	}
	for i := 2; i < 5; i++ {
		mustAppend(t, s, i, true)
	}
	if st := s.Status(); st.SpoolDepth != 3 || !strings.Contains(st.LastError, "read-only") {
		t.Fatalf("status %+v", st)
	}
	if _, err := s.Undo(time.Minute); err != nil { // undo from the spool works while read-only
		t.Fatal(err)
	}
	if err := unix.Mount("", mnt, "", unix.MS_REMOUNT, ""); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, s)
	if got, want := e.content(t), linesOf(t, 0, 4); got != want {
		t.Fatalf("file %q\nwant %q", got, want)
	}
}

// TestPermissionDenied makes the data file unwritable in a way that holds
// for root too: the immutable attribute (EPERM). Without root it uses
// chmod (EACCES).
func TestPermissionDenied(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	mustAppend(t, s, 0, false)
	lock, unlock := func() error { return os.Chmod(e.path(), 0o444) }, func() error { return os.Chmod(e.path(), 0o640) }
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("chattr"); err != nil {
			t.Skip("root ignores chmod and chattr is not installed")
		}
		lock = func() error { return chattr(e.path(), "+i") }
		unlock = func() error { return chattr(e.path(), "-i") }
	}
	if err := lock(); err != nil {
		t.Skipf("cannot make the file unwritable here: %v", err)
	}
	t.Cleanup(func() { unlock() })
	mustAppend(t, s, 1, true)
	mustAppend(t, s, 2, true)
	if st := s.Status(); st.SpoolDepth != 2 || !strings.Contains(st.LastError, "permission denied") {
		t.Fatalf("status %+v", st)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, s)
	if got, want := e.content(t), linesOf(t, 0, 3); got != want {
		t.Fatalf("file %q\nwant %q", got, want)
	}
}

func chattr(path, flag string) error {
	out, err := exec.Command("chattr", flag, path).CombinedOutput()
	if err != nil {
		return errors.New(strings.TrimSpace(string(out)))
	}
	return nil
}

// TestDataFolderMissing: a folder that disappears at run time (an unmounted
// share) is not recreated; records spool until it is back.
func TestDataFolderMissing(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	mustAppend(t, s, 0, false)
	if err := os.Rename(e.data, e.data+".away"); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, 1, true)
	if st := s.Status(); !strings.Contains(st.LastError, "folder missing") {
		t.Fatalf("status %+v", st)
	}
	if _, err := os.Stat(e.data); !os.IsNotExist(err) {
		t.Fatalf("data folder recreated: %v", err)
	}
	if err := os.Rename(e.data+".away", e.data); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, s)
	if got, want := e.content(t), linesOf(t, 0, 2); got != want {
		t.Fatalf("file %q", got)
	}
}
