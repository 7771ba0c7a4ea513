//go:build linux

package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/offcircd/offcircd/internal/frozenfs"
)

func remount(t *testing.T, mnt string, ro bool) {
	t.Helper()
	flags := uintptr(unix.MS_REMOUNT)
	if ro {
		flags |= unix.MS_RDONLY
	}
	if err := unix.Mount("", mnt, "", flags, ""); err != nil {
		t.Skipf("cannot remount %s: %v", mnt, err)
	}
}

// Item 6: data folder and spool both read-only (real file systems): the
// record is refused with ErrNotStored, the status says so truthfully, and
// it stays degraded until storing works again; with the spool back (data
// still read-only) it says write-failure, not not-stored, and with the data
// folder back the alarm ends.
func TestNotStored(t *testing.T) {
	dataMnt, stateMnt := mountTmpfs(t, "1m"), mountTmpfs(t, "1m")
	e := newEnv(t)
	e.data, e.state = filepath.Join(dataMnt, "files"), filepath.Join(stateMnt, "state")
	s := e.open(t)
	mustAppend(t, s, 0, false)
	remount(t, dataMnt, true)
	remount(t, stateMnt, true)
	_, err := s.Append(testRec(1))
	if !errors.Is(err, ErrNotStored) {
		t.Fatalf("Append: %v, want ErrNotStored", err)
	}
	st := s.Status()
	if !st.Degraded || !st.NotStored || st.SpoolDepth != 0 || !strings.Contains(st.LastError, "not stored") || !strings.Contains(st.LastError, "read-only") {
		t.Fatalf("status with nowhere to write: %+v", st)
	}
	if err := s.Drain(); err == nil || !s.Status().NotStored {
		t.Fatalf("probe with both still read-only: %v, %+v", err, s.Status())
	}
	remount(t, stateMnt, false)
	if err := s.Drain(); err == nil {
		t.Fatal("probe succeeded with the data folder still read-only")
	}
	if st := s.Status(); st.NotStored || !st.Degraded || !strings.Contains(st.LastError, "read-only") {
		t.Fatalf("spool back, data read-only: %+v (want degraded, not not-stored)", st)
	}
	mustAppend(t, s, 2, true)
	remount(t, dataMnt, false)
	waitDrained(t, s)
	if st := s.Status(); st.Degraded || st.NotStored || st.LastError != "" {
		t.Fatalf("after both came back: %+v", st)
	}
	if got, want := e.content(t), line(t, testRec(0))+line(t, testRec(2)); got != want {
		t.Fatalf("data file %q, want %q", got, want)
	}
}

// Item 7: a data folder that cannot be written at start is what it is at
// runtime: Open succeeds, the store is degraded from the start (the alarm
// sounds), records spool and drain once the folder is writable.
func TestStartWithReadOnlyDataFolder(t *testing.T) {
	dataMnt := mountTmpfs(t, "1m")
	remount(t, dataMnt, true)
	e := newEnv(t)
	e.data = filepath.Join(dataMnt, "files") // cannot even be created
	s := e.open(t)
	if st := s.Status(); !st.Degraded || !strings.Contains(st.LastError, "read-only") {
		t.Fatalf("status at start: %+v", st)
	}
	mustAppend(t, s, 1, true)
	remount(t, dataMnt, false)
	waitDrained(t, s)
	if got, want := e.content(t), line(t, testRec(1)); got != want {
		t.Fatalf("data file %q", got)
	}
}

// Item 4 on a real frozen file system: ext4 on a loop device frozen with
// fsfreeze (the kernel holds every write, as a share that went away does).
// The record is spooled after the bound, later ones at once, and after the
// thaw every record is in the file once, in order.
func TestFrozenFilesystem(t *testing.T) {
	mnt := frozenfs.Mount(t)
	e := newEnv(t)
	e.data = filepath.Join(mnt, "files")
	o := e.opts()
	o.WriteTimeout = 300 * time.Millisecond
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustAppend(t, s, 0, false)
	frozenfs.Freeze(t, mnt, true)
	thawed := false
	defer func() {
		if !thawed {
			frozenfs.Freeze(t, mnt, false)
		}
	}()
	start := time.Now()
	mustAppend(t, s, 1, true)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("frozen append took %v", d)
	}
	start = time.Now()
	mustAppend(t, s, 2, true)
	mustAppend(t, s, 3, true)
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Errorf("appends while frozen took %v: they must not wait again", d)
	}
	if st := s.Status(); !st.Degraded || st.SpoolDepth != 3 || !strings.Contains(st.LastError, "did not return in time") {
		t.Fatalf("status while frozen: %+v", st)
	}
	frozenfs.Freeze(t, mnt, false)
	thawed = true
	waitDrained(t, s)
	if got, want := e.content(t), linesOf(t, 0, 4); got != want {
		t.Fatalf("data file after the thaw:\n%q\nwant\n%q", got, want)
	}
	t.Logf("frozen write resolved: %s", strings.TrimSpace(grepLine(e.logs.String(), "answers again")))
}

func grepLine(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
