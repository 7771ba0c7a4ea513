package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The status (and the status file staff read) says why the store is
// degraded: at a start with records left in the spool, that they are
// waiting; with the data folder unusable as well, what is wrong with it.
func TestStartStatusSaysWhy(t *testing.T) {
	t.Run("records waiting", func(t *testing.T) {
		e := newEnv(t)
		s := e.open(t)
		blockData(s)
		mustAppend(t, s, 0, true)
		s.Close()
		s = e.open(t)
		st := s.Status()
		if !st.Degraded || !strings.Contains(st.LastError, "spooled by an earlier run") {
			t.Fatalf("status %+v: want the waiting records named", st)
		}
	})
	t.Run("data folder unusable too", func(t *testing.T) {
		e := newEnv(t)
		s := e.open(t)
		blockData(s)
		mustAppend(t, s, 0, true)
		s.Close()
		// The data folder's place is taken by a file: it cannot be created.
		os.RemoveAll(e.data)
		os.WriteFile(e.data, nil, 0o640)
		s = e.open(t)
		st := s.Status()
		if !st.Degraded || !strings.Contains(st.LastError, "data folder") {
			t.Fatalf("status %+v: want the data folder's problem named", st)
		}
	})
}

// A data file every user can read (patron IDs are personal data) is
// warned about at start; one with the store's own mode is not.
func TestWorldReadableDataFileWarned(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix modes")
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
		e := newEnv(t)
		os.MkdirAll(e.data, 0o750)
		os.WriteFile(e.path(), []byte(line(t, testRec(0))), mode)
		os.Chmod(e.path(), mode)
		e.open(t)
		warned := strings.Contains(e.logs.String(), "readable by every user")
		if want := mode&0o007 != 0; warned != want {
			t.Errorf("mode %04o: warned %v, want %v:\n%s", mode, warned, want, e.logs)
		}
	}
}

// When neither the data file nor the spool can be written, the refusal
// (and the status) names both causes: the full disk of the data file,
// not some other reason.
func TestNotStoredNamesTheDataFileCause(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	blockData(s) // disk full
	spool := filepath.Join(e.state, spoolName)
	os.Remove(spool)
	if err := os.Mkdir(spool, 0o750); err != nil {
		t.Fatal(err)
	}
	_, err := s.Append(testRec(0))
	if !errors.Is(err, ErrNotStored) {
		t.Fatalf("err %v, want ErrNotStored", err)
	}
	st := s.Status()
	for _, msg := range []string{err.Error(), st.LastError} {
		if !strings.Contains(msg, "disk full") || !strings.Contains(msg, "spool") {
			t.Errorf("%q: want the data file's full disk and the spool named", msg)
		}
	}
	if !st.NotStored {
		t.Errorf("status %+v: want NotStored", st)
	}
}

// While a write to the data file hangs, later records go to the spool
// without touching the data file; when the share answers, every record is
// in the data file exactly once, in order, whether the hung one landed
// or not.
func TestRecordsDuringAHungWriteOnceInOrder(t *testing.T) {
	t.Parallel() // waits on timers only
	for _, landed := range []bool{true, false} {
		name := "lands"
		if !landed {
			name = "fails"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			tr := newTracer(e.path())
			s := e.openTraced(t, tr, 100*time.Millisecond) // the held write always overruns it
			tr.holdAt = "sync"
			mustAppend(t, s, 0, true)
			<-tr.held
			for i := 1; i <= 3; i++ {
				mustAppend(t, s, i, true)
			}
			if !landed {
				tr.mu.Lock()
				tr.failAt = "sync"
				tr.mu.Unlock()
			}
			close(tr.hold)
			s.mu.Lock()
			s.timeout = time.Minute // a loaded machine must not hang the drain too
			s.mu.Unlock()
			waitFor(t, func() bool { return s.Drain() == nil && s.Status().SpoolDepth == 0 })
			if got, want := e.content(t), linesOf(t, 0, 4); got != want {
				t.Fatalf("data file %q\nwant %q", got, want)
			}
			if st := s.Status(); st.Appended != 4 {
				t.Fatalf("status %+v", st)
			}
			// The log says when the share answered and what became of the
			// hung record.
			l := logLine(e.logs.String(), "data file answers again")
			if want := fmt.Sprintf("record_landed=%v", landed); !strings.Contains(l, want) {
				t.Fatalf("log line %q, want %s:\n%s", l, want, e.logs)
			}
		})
	}
}

// A restart while a write still hangs (the old process's write holds the
// data file's lock): the records spooled meanwhile are all kept, and the
// hung one is in the data file exactly once, whether it landed or not.
func TestRestartDuringAHungWriteKeepsEveryRecord(t *testing.T) {
	t.Parallel() // waits on timers only
	for _, landed := range []bool{true, false} {
		name := "lands"
		if !landed {
			name = "fails"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			tr := newTracer(e.path())
			s := e.openTraced(t, tr, 100*time.Millisecond)
			tr.holdAt = "sync"
			mustAppend(t, s, 0, true)
			<-tr.held
			mustAppend(t, s, 1, true)
			s.Close() // restarted; the hung write lives on

			o := e.opts()
			o.WriteTimeout = 100 * time.Millisecond
			s2, err := Open(o)
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if !landed {
				tr.mu.Lock()
				tr.failAt = "sync"
				tr.mu.Unlock()
			}
			close(tr.hold)
			waitFor(t, func() bool { return s2.Drain() == nil && s2.Status().SpoolDepth == 0 })
			if got, want := e.content(t), linesOf(t, 0, 2); got != want {
				t.Fatalf("data file %q\nwant %q", got, want)
			}
		})
	}
}

// Started while the data file does not answer (another station hung
// holding its lock): the start waits the write timeout once, and then
// every scan is spooled at once, without waiting for the data file again;
// once it answers, the records drain in order.
func TestScansSpooledAtOnceWhileHungSinceStart(t *testing.T) {
	t.Parallel() // waits on timers only
	e := newEnv(t)
	os.MkdirAll(e.data, 0o750)
	os.WriteFile(e.path(), []byte(line(t, testRec(0))), 0o640)
	holder := otherStation(t, e.path())
	o := e.opts()
	const timeout = time.Second
	o.WriteTimeout = timeout
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 1; i <= 2; i++ {
		start := time.Now()
		mustAppend(t, s, i, true)
		if d := time.Since(start); d >= timeout {
			t.Fatalf("scan %d took %v: it waited for the hung data file again", i, d)
		}
	}
	holder.Close()
	waitFor(t, func() bool { return s.Drain() == nil && s.Status().SpoolDepth == 0 })
	if got, want := e.content(t), linesOf(t, 0, 3); got != want {
		t.Fatalf("data file %q\nwant %q", got, want)
	}
}

// An undo that the data file does not answer (another station hung
// holding its lock) is refused within the write timeout, and the store
// is degraded (the alarm sounds) until the file answers; the background
// drain then finds the undo never happened and the alarm stops.
func TestUndoThatHangsSoundsTheAlarmUntilAnswered(t *testing.T) {
	t.Parallel() // waits on timers only
	e := newEnv(t)
	o := e.opts()
	o.WriteTimeout = 200 * time.Millisecond
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.mu.Lock()
	s.timeout = time.Minute // the append itself must not hit the short bound
	s.mu.Unlock()
	mustAppend(t, s, 0, false)
	s.mu.Lock()
	s.timeout = o.WriteTimeout
	s.mu.Unlock()
	holder := otherStation(t, e.path())
	if _, err := s.Undo(time.Hour); !errors.Is(err, ErrUndoRefused) {
		t.Fatalf("Undo with the data file hung: %v, want a refusal", err)
	}
	if st := s.Status(); !st.Degraded || !strings.Contains(st.LastError, "did not return in time") {
		t.Fatalf("status while the undo hangs: %+v", st)
	}
	start := time.Now()
	mustAppend(t, s, 1, true) // a scan meanwhile is spooled at once
	if d := time.Since(start); d >= o.WriteTimeout {
		t.Fatalf("scan during the hung undo took %v: it waited for the data file", d)
	}
	if err := s.Drain(); err == nil {
		t.Fatal("Drain succeeded while the data file does not answer")
	}
	ctx, cancel := contextWithCancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	holder.Close()
	waitFor(t, func() bool { return !s.Status().Degraded })
	if got, want := e.content(t), linesOf(t, 0, 2); got != want {
		t.Fatalf("data file %q, want %q", got, want)
	}
}

// The status names only what is wrong: degraded because records wait in
// the spool, it says nothing about damaged spool lines.
func TestStatusNamesNoDamageThatIsNotThere(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	blockData(s)
	mustAppend(t, s, 0, true)
	st := s.Status()
	if !st.Degraded || strings.Contains(st.LastError, "damaged") {
		t.Fatalf("status %+v", st)
	}
}

// An undo of a record in the data file needs nothing from the spool: it
// works while the spool cannot be written (the state folder's trouble is
// the spool's alarm, not a reason to refuse the desk's undo).
func TestUndoWhileTheSpoolIsUnusable(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	spool := filepath.Join(e.state, spoolName)
	os.Remove(spool)
	if err := os.Mkdir(spool, 0o750); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, 0, false)
	mustAppend(t, s, 1, false)
	if rec, err := s.Undo(time.Hour); err != nil || rec != testRec(1) {
		t.Fatalf("Undo: %+v, %v", rec, err)
	}
	if got, want := e.content(t), line(t, testRec(0)); got != want {
		t.Fatalf("data file %q, want %q", got, want)
	}
}

// The log tells staff at start how many records from an earlier run wait
// in the spool, and when a drain stops part way, how many went and how
// many are left; a retry that moves nothing logs no progress.
func TestSpoolProgressLogged(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	blockData(s)
	for i := range 3 {
		mustAppend(t, s, i, true)
	}
	s.Close()
	s = e.open(t)
	logs := e.logs.String()
	if l := logLine(logs, "from an earlier run are waiting"); !strings.Contains(l, "records=3") {
		t.Fatalf("start log %q: want records=3\n%s", l, logs)
	}
	calls := 0
	s.mu.Lock()
	s.failData = func() error { // the share fails again after one record
		calls++
		if calls > 1 {
			return &os.PathError{Op: "write", Path: s.dataPath, Err: syscall.ENOSPC}
		}
		return nil
	}
	s.mu.Unlock()
	if err := s.Drain(); err == nil {
		t.Fatal("Drain succeeded with the share failing")
	}
	if err := s.Drain(); err == nil {
		t.Fatal("Drain succeeded with the share failing")
	}
	logs = e.logs.String()
	if n := strings.Count(logs, "spool partly drained"); n != 1 {
		t.Fatalf("%d partly-drained lines, want 1 (the retry moved nothing):\n%s", n, logs)
	}
	if l := logLine(logs, "spool partly drained"); !strings.Contains(l, "records=1") || !strings.Contains(l, "left=2") {
		t.Fatalf("partly-drained log %q: want records=1 left=2", l)
	}

	// A start with nothing spooled logs no waiting records.
	e2 := newEnv(t)
	e2.open(t)
	if strings.Contains(e2.logs.String(), "from an earlier run are waiting") {
		t.Fatalf("empty spool: %s", e2.logs)
	}
}

// logLine returns the first log line containing sub.
func logLine(logs, sub string) string {
	_, after, ok := strings.Cut(logs, sub)
	if !ok {
		return ""
	}
	l, _, _ := strings.Cut(after, "\n")
	return sub + l
}

// A write hangs, the next scan is spooled behind it, then the hung write
// lands: the desk can still undo that next scan (it is the last record),
// which is taken out of the spool; the landed one stays, once.
func TestUndoOfTheRecordBehindALateLandedWrite(t *testing.T) {
	t.Parallel() // waits on timers only
	e := newEnv(t)
	tr := newTracer(e.path())
	s := e.openTraced(t, tr, 100*time.Millisecond) // the held write always overruns it
	tr.holdAt = "sync"
	mustAppend(t, s, 0, true)
	<-tr.held
	mustAppend(t, s, 1, true)
	close(tr.hold)
	var rec = testRec(-1)
	var err error
	waitFor(t, func() bool {
		rec, err = s.Undo(time.Hour)
		return err == nil || !strings.Contains(err.Error(), "not answered")
	})
	if err != nil || rec != testRec(1) {
		t.Fatalf("Undo: %+v, %v", rec, err)
	}
	if st := s.Status(); st.SpoolDepth != 0 {
		t.Fatalf("status after the undo %+v", st)
	}
	s.Close()
	s2 := e.open(t)
	if err := s2.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), line(t, testRec(0)); got != want {
		t.Fatalf("data file %q, want %q", got, want)
	}
}
