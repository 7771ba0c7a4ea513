package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A write that hung and then landed leaves its record drained but still
// in the spool, with the drain log's intent naming where it landed. An
// undo of that record takes it out of the data file; a restart must not
// find the intent's line missing from the data file and write the undone
// loan back (the patron would be charged for a loan the desk took back).
func TestUndoOfALateLandedWriteSurvivesRestart(t *testing.T) {
	t.Parallel() // waits on timers only
	e := newEnv(t)
	tr := newTracer(e.path())
	s := e.openTraced(t, tr, 100*time.Millisecond) // the held write always overruns it
	tr.holdAt = "write"
	mustAppend(t, s, 0, true) // written, not fsynced in time: spooled
	<-tr.held
	close(tr.hold) // the share answers: the write lands
	var rec, undoErr = testRec(-1), error(nil)
	waitFor(t, func() bool {
		rec, undoErr = s.Undo(time.Hour)
		return undoErr == nil || !strings.Contains(undoErr.Error(), "not answered")
	})
	if undoErr != nil || rec != testRec(0) {
		t.Fatalf("Undo after the late write landed: %+v, %v", rec, undoErr)
	}
	if got := e.content(t); got != "" {
		t.Fatalf("data file after the undo %q, want it empty", got)
	}
	if st := s.Status(); st.SpoolDepth != 0 || st.Appended != 0 {
		t.Fatalf("status after the undo %+v", st)
	}
	s.Close()

	s2 := e.open(t)
	if err := s2.Drain(); err != nil {
		t.Fatal(err)
	}
	if got := e.content(t); got != "" {
		t.Fatalf("after a restart the data file holds %q: the undone record came back", got)
	}
	if st := s2.Status(); st.SpoolDepth != 0 || st.Degraded || st.Appended != 0 {
		t.Fatalf("status after the restart %+v", st)
	}
}

// A crash after the last spooled line was drained but before the spool was
// emptied: the next start finds that line in the data file and must empty
// the spool and drain log then, not keep them for later. Otherwise, once
// the day's file has been archived (uploaded to Alma), the following start
// no longer finds the line in the (new) data file and writes it again: a
// loan uploaded twice.
func TestDrainedSpoolEmptiedAtStart(t *testing.T) {
	e := newEnv(t)
	l := func(i int) string { return line(t, testRec(i)) }
	os.MkdirAll(e.data, 0o750)
	os.MkdirAll(e.state, 0o750)
	os.WriteFile(e.path(), []byte(l(0)+l(1)), 0o640)
	spool := spoolLine([]byte(l(1)))
	os.WriteFile(filepath.Join(e.state, spoolName), spool, 0o600)
	writeIntent(t, e, []byte(l(1)), 0, len(l(1)), int64(len(l(0)))) // names the record inside the spool line

	s := e.open(t)
	if st := s.Status(); st.SpoolDepth != 0 || st.Degraded {
		t.Fatalf("start after the crash: %+v, want nothing pending", st)
	}
	mustAppend(t, s, 2, false) // the day goes on; nothing fails, nothing drains
	s.Close()
	if _, err := Archive(e.data, "OffCirc.dat", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	s2 := e.open(t)
	if err := s2.Drain(); err != nil {
		t.Fatal(err)
	}
	if got := e.content(t); got != "" {
		t.Fatalf("new data file after the archive holds %q: a record already archived was written again", got)
	}
	if st := s2.Status(); st.SpoolDepth != 0 || st.Degraded {
		t.Fatalf("status %+v", st)
	}
}

// The same once the share is back and the station drained its spool
// itself: the drained spool is emptied, so after the day's file was
// archived a restart writes nothing again.
func TestDrainedSpoolEmptiedAfterDrain(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	blockData(s)
	mustAppend(t, s, 0, true)
	mustAppend(t, s, 1, true)
	unblockData(s)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, 2, false)
	s.Close()
	if _, err := Archive(e.data, "OffCirc.dat", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s2 := e.open(t)
	if err := s2.Drain(); err != nil {
		t.Fatal(err)
	}
	if got := e.content(t); got != "" {
		t.Fatalf("new data file after the archive holds %q: records already archived were written again", got)
	}
}

// Spooled records wait through any number of restarts until they are
// drained: a station restarted twice while the share is down (staff
// trying to fix it) still has every record, in order.
func TestSpoolSurvivesRestarts(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	blockData(s)
	mustAppend(t, s, 0, true)
	mustAppend(t, s, 1, true)
	s.Close()
	for restart := 1; restart <= 2; restart++ {
		s = e.open(t)
		if st := s.Status(); st.SpoolDepth != 2 {
			t.Fatalf("restart %d: %d records pending, want 2", restart, st.SpoolDepth)
		}
		s.Close()
	}
	s = e.open(t)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), linesOf(t, 0, 2); got != want {
		t.Fatalf("data file %q\nwant %q", got, want)
	}
}

// A spool holding only damaged lines: Open moves them to a side file and
// empties the spool. After staff checked and deleted the side file, a
// restart must not find the same lines again, set them aside a second
// time and sound the alarm once more.
func TestDamagedLinesSetAsideOnce(t *testing.T) {
	e := newEnv(t)
	os.MkdirAll(e.state, 0o750)
	good := spoolLine([]byte(line(t, testRec(2))))
	bad := strings.Replace(string(good), "P0000002", "P0000003", 1) // checksum no longer matches
	os.WriteFile(filepath.Join(e.state, spoolName), []byte(bad), 0o600)

	s := e.open(t)
	st := s.Status()
	if len(st.Damaged) != 1 || !st.Degraded || st.SpoolDepth != 0 {
		t.Fatalf("status %+v: want the damaged line set aside", st)
	}
	s.Close()
	if err := os.Remove(st.Damaged[0]); err != nil {
		t.Fatal(err)
	}

	s2 := e.open(t)
	if st := s2.Status(); st.Degraded || len(st.Damaged) != 0 {
		t.Fatalf("restart after the side file was dealt with: %+v (the damaged line was set aside again)", st)
	}
	if got := e.content(t); got != "" {
		t.Fatalf("data file %q: a damaged line reached it", got)
	}
}

// A crash after the spool was emptied but before the drain log was: the
// log's last intent names spool offset 0 and a line that is in the data
// file there. A record spooled later at offset 0 must not be taken for
// that drained line at the next start, not even when it is the same line
// (the same item returned twice within a minute): both returns were
// acknowledged, both must reach the data file.
func TestStaleDrainLogDoesNotSwallowALaterRecord(t *testing.T) {
	e := newEnv(t)
	l := line(t, testRec(1)) // a return
	os.MkdirAll(e.data, 0o750)
	os.MkdirAll(e.state, 0o750)
	os.WriteFile(e.path(), []byte(l), 0o640)
	os.WriteFile(filepath.Join(e.state, spoolName), nil, 0o600)
	writeIntent(t, e, []byte(l), 0, len(l), 0)

	s := e.open(t)
	blockData(s) // the share goes away
	mustAppend(t, s, 1, true)
	s.Close()

	s2 := e.open(t) // restarted with the share back
	if st := s2.Status(); st.SpoolDepth != 1 {
		t.Fatalf("after restart %+v: the spooled return must still be pending", st)
	}
	if err := s2.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), l+l; got != want {
		t.Fatalf("data file %q\nwant %q (both acknowledged returns)", got, want)
	}
}

// While the data file keeps failing, the background drain backs off
// exponentially instead of hammering the share (a file server that is
// struggling, a disk that is full), and tries again quickly once writes
// work again.
func TestDrainBacksOffWhileFailing(t *testing.T) {
	t.Parallel() // waits on timers only
	e := newEnv(t)
	o := e.opts()
	o.RetryMin, o.RetryMax = 5*time.Millisecond, time.Minute
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var tries atomic.Int64
	fail := atomic.Bool{}
	fail.Store(true)
	s.mu.Lock()
	s.failData = func() error {
		tries.Add(1)
		if fail.Load() {
			return &os.PathError{Op: "write", Path: s.dataPath, Err: syscall.ENOSPC}
		}
		return nil
	}
	s.mu.Unlock()
	mustAppend(t, s, 0, true) // tries once itself
	ctx, cancel := contextWithCancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// 5+10+20+40+80+160 ms: at most 6 tries in the first 400 ms, and
	// fewer on a loaded machine; without backoff it would be 80.
	time.Sleep(400 * time.Millisecond)
	if n := tries.Load() - 1; n > 8 {
		t.Fatalf("%d write attempts in 400 ms with a 5 ms minimum: no exponential backoff", n)
	} else if n < 1 {
		t.Fatalf("no retry in 400 ms")
	}
	fail.Store(false)
	waitFor(t, func() bool { return s.Status().SpoolDepth == 0 })
	if got, want := e.content(t), line(t, testRec(0)); got != want {
		t.Fatalf("data file %q, want %q", got, want)
	}
	if st := s.Status(); st.Degraded {
		t.Fatalf("status %+v", st)
	}
}

// After damaged lines were set aside at start (the spool had no drain log
// yet), the emptied spool still takes records when the data file fails:
// nothing is refused as not stored.
func TestSpoolTakesRecordsAfterDamageSetAside(t *testing.T) {
	e := newEnv(t)
	os.MkdirAll(e.state, 0o750)
	good := spoolLine([]byte(line(t, testRec(2))))
	bad := strings.Replace(string(good), "P0000002", "P0000003", 1)
	os.WriteFile(filepath.Join(e.state, spoolName), []byte(bad), 0o600)
	s := e.open(t)
	blockData(s)
	mustAppend(t, s, 4, true)
	mustAppend(t, s, 5, true)
	s.Close()
	s = e.open(t)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), linesOf(t, 4, 6); got != want {
		t.Fatalf("data file %q\nwant %q", got, want)
	}
}

// A second outage after the spool was drained once: its records, too,
// survive a restart before they are drained.
func TestSecondOutageSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	blockData(s)
	mustAppend(t, s, 0, true)
	unblockData(s)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	blockData(s)
	mustAppend(t, s, 1, true)
	mustAppend(t, s, 2, true)
	s.Close()
	s = e.open(t)
	if st := s.Status(); st.SpoolDepth != 2 {
		t.Fatalf("after restart %d records pending, want 2", st.SpoolDepth)
	}
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), linesOf(t, 0, 3); got != want {
		t.Fatalf("data file %q\nwant %q", got, want)
	}
}

// A drain whose write to the data file hangs (the share stops answering
// mid-write) and then lands: the record is in the data file once, not
// drained a second time from the spool.
func TestDrainWriteThatHangsThenLandsIsWrittenOnce(t *testing.T) {
	e := newEnv(t)
	tr := newTracer(e.path())
	s := e.openTraced(t, tr, time.Minute)
	blockData(s)
	mustAppend(t, s, 0, true)
	mustAppend(t, s, 1, true)
	unblockData(s)
	s.mu.Lock()
	s.timeout = 100 * time.Millisecond // the held write always overruns it
	s.mu.Unlock()
	tr.holdAt = "write"
	if err := s.Drain(); err == nil {
		t.Fatal("Drain succeeded with its write held")
	}
	<-tr.held
	close(tr.hold)
	s.mu.Lock()
	s.timeout = time.Minute
	s.mu.Unlock()
	waitFor(t, func() bool { return s.Drain() == nil && s.Status().SpoolDepth == 0 })
	if got, want := e.content(t), linesOf(t, 0, 2); got != want {
		t.Fatalf("data file %q\nwant %q", got, want)
	}
	if st := s.Status(); st.Appended != 2 || st.Degraded {
		t.Fatalf("status %+v", st)
	}
}

// The drain log cannot be emptied after a drain (something took its
// name): its stale intents would name offsets that new spool lines reuse,
// so nothing is spooled until it can be; the record is refused as not
// stored (the station's not-stored alarm) rather than risked. Once the
// log can be emptied again, records spool and drain as before.
func TestStaleDrainLogBlocksSpoolingUntilReset(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	logPath := filepath.Join(e.state, drainLogName)
	blockData(s)
	mustAppend(t, s, 0, true)
	unblockData(s)
	s.mu.Lock()
	s.trace = func(step, path string) error {
		if step == "sync" && path == e.path() { // the drained line is in the data file
			os.Remove(logPath)
			os.Mkdir(logPath, 0o750)
		}
		return nil
	}
	s.mu.Unlock()
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.trace = nil
	s.mu.Unlock()

	blockData(s)
	if _, err := s.Append(testRec(1)); !errors.Is(err, ErrNotStored) {
		t.Fatalf("Append with a stale drain log: %v, want ErrNotStored", err)
	}
	if err := os.Remove(logPath); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, 2, true)
	unblockData(s)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), line(t, testRec(0))+line(t, testRec(2)); got != want {
		t.Fatalf("data file %q\nwant %q", got, want)
	}
}
