//go:build !offcircd_nofsync

package store

import (
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fsyncs records every fsync the store makes: which file, at which size.
type fsyncs struct {
	mu   sync.Mutex
	seen []synced
}

type synced struct {
	path string
	size int64
}

// watchFsyncs sets the store's fsync trace for the rest of the test.
func watchFsyncs(t *testing.T) *fsyncs {
	fs := &fsyncs{}
	fsyncTrace = func(f *os.File) {
		fi, err := f.Stat()
		size := int64(-1)
		if err == nil {
			size = fi.Size()
		}
		fs.mu.Lock()
		fs.seen = append(fs.seen, synced{f.Name(), size})
		fs.mu.Unlock()
	}
	t.Cleanup(func() { fsyncTrace = nil })
	return fs
}

func (fs *fsyncs) reset() {
	fs.mu.Lock()
	fs.seen = nil
	fs.mu.Unlock()
}

// durable fails the test unless, since the last reset, path was fsynced
// when it had its current size (its last change is on disk) and, with
// dirToo, its folder was fsynced (a file just created keeps its name).
func (fs *fsyncs) durable(t *testing.T, what, path string, dirToo bool) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	file, dir := false, false
	for _, s := range fs.seen {
		file = file || (s.path == path && s.size == fi.Size())
		dir = dir || s.path == filepath.Dir(path)
	}
	if !file || (dirToo && !dir) {
		t.Fatalf("%s: %s (%d bytes) not made durable: fsynced file %v, folder %v (wanted %v); fsyncs: %v",
			what, path, fi.Size(), file, dir, dirToo, fs.seen)
	}
}

// syncedAfter fails the test unless dir was fsynced after file was.
func (fs *fsyncs) syncedAfter(t *testing.T, what, dir, file string) {
	t.Helper()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	seenFile := false
	for _, s := range fs.seen {
		seenFile = seenFile || s.path == file
		if seenFile && s.path == dir {
			return
		}
	}
	t.Fatalf("%s: %s not fsynced after %s; fsyncs: %v", what, dir, file, fs.seen)
}

// synced fails the test unless path was fsynced since the reset.
func (fs *fsyncs) synced(t *testing.T, what, path string) {
	t.Helper()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, s := range fs.seen {
		if s.path == path {
			return
		}
	}
	t.Fatalf("%s: %s never fsynced; fsyncs: %v", what, path, fs.seen)
}

// syncedAt fails the test unless path was fsynced at size since the reset.
func (fs *fsyncs) syncedAt(t *testing.T, what, path string, size int64) {
	t.Helper()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, s := range fs.seen {
		if s.path == path && s.size == size {
			return
		}
	}
	t.Fatalf("%s: %s never fsynced at %d bytes; fsyncs: %v", what, path, size, fs.seen)
}

// The good beep's promise on the disk: every change the store makes to a
// file it relies on after a power cut is fsynced before the call returns,
// and a file it creates has its folder fsynced. Each case is one path of
// the store; deleting any one fsync (syncFile call) of it fails its case.
func TestEveryChangeIsFsynced(t *testing.T) {
	t.Run("first record creates the data file", func(t *testing.T) {
		e := newEnv(t)
		fs := watchFsyncs(t)
		s := e.open(t)
		fs.reset()
		mustAppend(t, s, 0, false)
		fs.durable(t, "record", e.path(), true)
		fs.reset()
		mustAppend(t, s, 1, false)
		fs.durable(t, "second record", e.path(), false)
	})
	t.Run("state lock", func(t *testing.T) {
		e := newEnv(t)
		fs := watchFsyncs(t)
		l, err := LockState(e.state, Owner{PID: 1, Since: t0, Config: "/etc/offcircd.toml"})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		fs.durable(t, "lock owner", filepath.Join(e.state, LockFileName), false)
	})
	t.Run("spooled records and their drain", func(t *testing.T) {
		e := newEnv(t)
		fs := watchFsyncs(t)
		s := e.open(t) // creates the spool file (and fsyncs its folder)
		mustAppend(t, s, 0, false)
		blockData(s)
		mustAppend(t, s, 1, true)
		spool := filepath.Join(e.state, spoolName)
		fs.durable(t, "spooled record", spool, true)
		fs.reset()
		mustAppend(t, s, 2, true)
		fs.durable(t, "second spooled record", spool, false)
		unblockData(s)
		fs.reset()
		if err := s.Drain(); err != nil {
			t.Fatal(err)
		}
		fs.durable(t, "drained records", e.path(), false)
		fs.syncedAt(t, "emptied spool", spool, 0)
		fs.durable(t, "drain log", filepath.Join(e.state, drainLogName), false)
		if got, want := e.content(t), linesOf(t, 0, 3); got != want {
			t.Fatalf("file %q, want %q", got, want)
		}
	})
	t.Run("a failed fsync takes the line back", func(t *testing.T) {
		e := newEnv(t)
		fs := watchFsyncs(t)
		tr := newTracer(e.path())
		s := e.openTraced(t, tr, time.Second)
		mustAppend(t, s, 0, false)
		before := int64(len(e.content(t)))
		tr.failAt = "sync"
		fs.reset()
		mustAppend(t, s, 1, true)
		fs.syncedAt(t, "line taken back", e.path(), before)
		fs.durable(t, "spooled instead", filepath.Join(e.state, spoolName), false)
	})
	t.Run("a line whose take-back failed is cut off by the check", func(t *testing.T) {
		// The fsync failed and so did the truncate that takes the line
		// back: the store looks (checkPlacement), finds the line last and
		// cuts it off. That cut must be on disk before the record is
		// acknowledged from the spool, or a power cut brings the line back
		// beside its spooled copy: a double.
		e := newEnv(t)
		fs := watchFsyncs(t)
		tr := newTracer(e.path())
		s := e.openTraced(t, tr, time.Minute)
		mustAppend(t, s, 0, false)
		before := int64(len(e.content(t)))
		tr.failAt = "sync truncate"
		fs.reset()
		mustAppend(t, s, 1, true)
		if got, want := e.content(t), line(t, testRec(0)); got != want {
			t.Fatalf("data file %q, want %q: the failed line must be cut off", got, want)
		}
		fs.syncedAt(t, "line cut off by the check", e.path(), before)
		fs.durable(t, "spooled instead", filepath.Join(e.state, spoolName), false)
	})
	t.Run("a line found after a crash is fsynced before its spooled copy is dropped", func(t *testing.T) {
		// A station died while its hung write was open: the drain log
		// names the spooled record and where in the data file it may have
		// landed. The line is there, written but perhaps never fsynced:
		// the restart fsyncs it before counting the spooled copy as done.
		l0, l1 := line(t, testRec(0)), line(t, testRec(1))
		e := newEnv(t)
		os.MkdirAll(e.data, 0o750)
		os.MkdirAll(e.state, 0o750)
		os.WriteFile(e.path(), []byte(l0+l1), 0o640)
		os.WriteFile(filepath.Join(e.state, spoolName), spoolLine([]byte(l1)), 0o600)
		f, err := os.Open(e.path())
		if err != nil {
			t.Fatal(err)
		}
		id, err := fileIdentity(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		in := intent{SpoolOff: 0, Len: len(l1), CRC: crc32.ChecksumIEEE([]byte(l1)), DataSize: int64(len(l0)), ID: id}
		os.WriteFile(filepath.Join(e.state, drainLogName), in.marshal(), 0o600)
		fs := watchFsyncs(t)
		s := e.open(t)
		if st := s.Status(); st.SpoolDepth != 0 {
			t.Fatalf("spooled copy of a landed line still pending: %+v", st)
		}
		fs.syncedAt(t, "landed line", e.path(), int64(len(l0+l1)))
		if err := s.Drain(); err != nil {
			t.Fatal(err)
		}
		if got, want := e.content(t), l0+l1; got != want {
			t.Fatalf("data file %q, want %q", got, want)
		}
	})
	t.Run("records drained into a data file the probe created", func(t *testing.T) {
		// The data file did not exist while records were spooled: the probe
		// that finds the folder writable again creates it, and the drained
		// records' file name must survive a power cut like any new file's.
		e := newEnv(t)
		fs := watchFsyncs(t)
		s := e.open(t)
		blockData(s)
		mustAppend(t, s, 0, true)
		unblockData(s)
		if _, err := os.Stat(e.path()); err == nil {
			t.Fatal("data file exists before the drain")
		}
		fs.reset()
		if err := s.Drain(); err != nil {
			t.Fatal(err)
		}
		fs.durable(t, "drained record in a new data file", e.path(), true)
		if got, want := e.content(t), linesOf(t, 0, 1); got != want {
			t.Fatalf("file %q, want %q", got, want)
		}
	})
	t.Run("archive", func(t *testing.T) {
		// Both folders' entries are durable after the move: a power cut
		// must not bring the old name back (records uploaded twice) nor
		// lose the archived file.
		e := newEnv(t)
		s := e.open(t)
		mustAppend(t, s, 0, false)
		fs := watchFsyncs(t)
		if _, err := Archive(e.data, "OffCirc.dat", t0); err != nil {
			t.Fatal(err)
		}
		fs.synced(t, "archive folder", filepath.Join(e.data, ArchiveDir))
		fs.synced(t, "data folder", e.data)
	})
	t.Run("undo", func(t *testing.T) {
		e := newEnv(t)
		fs := watchFsyncs(t)
		s := e.open(t)
		mustAppend(t, s, 0, false)
		mustAppend(t, s, 1, false)
		fs.reset()
		if _, err := s.Undo(time.Minute); err != nil {
			t.Fatal(err)
		}
		fs.durable(t, "undone line", e.path(), false)
		if got, want := e.content(t), linesOf(t, 0, 1); got != want {
			t.Fatalf("file %q, want %q", got, want)
		}
	})
	t.Run("torn tail moved aside", func(t *testing.T) {
		// A torn last line that appears while the station runs (another
		// writer on a share died mid-line) is repaired before the next append.
		e := newEnv(t)
		good := linesOf(t, 0, 2)
		fs := watchFsyncs(t)
		s := e.open(t)
		mustAppend(t, s, 0, false)
		mustAppend(t, s, 1, false)
		f, err := os.OpenFile(e.path(), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("20250304")
		f.Close()
		fs.reset()
		mustAppend(t, s, 2, false)
		fs.syncedAt(t, "torn tail cut off", e.path(), int64(len(good)))
		sides, _ := filepath.Glob(filepath.Join(e.state, "*"+tornMark+"*"))
		if len(sides) != 1 {
			t.Fatalf("side files %v", sides)
		}
		fs.durable(t, "torn tail kept aside", sides[0], false)
		fs.syncedAfter(t, "torn tail's name", filepath.Dir(sides[0]), sides[0])
		if !strings.HasSuffix(e.content(t), line(t, testRec(2))) {
			t.Fatalf("record not appended after the repair: %q", e.content(t))
		}
	})
}
