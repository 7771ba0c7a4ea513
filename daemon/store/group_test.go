package store

import (
	"errors"
	"hash/crc32"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/encoder"
)

func recsOf(from, to int) []encoder.Record {
	var recs []encoder.Record
	for i := from; i < to; i++ {
		recs = append(recs, testRec(i))
	}
	return recs
}

// A group is one write and one fsync, in order; Undo then takes back only
// its last record. Catches: a write or fsync per record, the last record's
// place computed wrong (Undo refused or cutting the wrong bytes).
func TestAppendGroupOneWrite(t *testing.T) {
	e := newEnv(t)
	tr := newTracer(e.path())
	s := e.openTraced(t, tr, time.Minute)
	mustAppend(t, s, 0, false)
	tr.reset()
	ack, err := s.AppendGroup(recsOf(1, 5))
	if err != nil || ack.Spooled {
		t.Fatalf("AppendGroup: %+v, %v", ack, err)
	}
	if got, want := tr.got(), "open:data write:data sync:data ack:data"; got != want {
		t.Fatalf("steps %q, want %q", got, want)
	}
	if got, want := e.content(t), linesOf(t, 0, 5); got != want {
		t.Fatalf("data file:\n%q\nwant\n%q", got, want)
	}
	if st := s.Status(); st.Appended != 5 || st.Degraded {
		t.Fatalf("status: %+v", st)
	}
	rec, err := s.Undo(time.Hour)
	if err != nil || rec != testRec(4) {
		t.Fatalf("Undo: %+v, %v", rec, err)
	}
	if got, want := e.content(t), linesOf(t, 0, 4); got != want {
		t.Fatalf("after undo:\n%q\nwant\n%q", got, want)
	}
}

// When the store takes records one at a time, AppendGroup writes nothing
// and says ErrNoGroup, so the station stores them with Append. Catches: a
// group written behind spooled records (out of order), a group written
// after its write failed (a record lost or half a group in the file).
func TestAppendGroupOneAtATime(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, s *Store, tr *tracer)
		recs  []encoder.Record
	}{
		{"records waiting in the spool", func(t *testing.T, s *Store, tr *tracer) {
			tr.failAt = "open"
			mustAppend(t, s, 1, true)
		}, recsOf(2, 4)},
		{"the data file does not open", func(_ *testing.T, _ *Store, tr *tracer) { tr.failAt = "open" }, recsOf(1, 3)},
		{"the group's fsync fails", func(_ *testing.T, _ *Store, tr *tracer) { tr.failAt = "sync" }, recsOf(1, 3)},
		{"too many at once", func(*testing.T, *Store, *tracer) {}, recsOf(1, 2+MaxGroup)},
		{"a record that does not encode", func(*testing.T, *Store, *tracer) {},
			append(recsOf(1, 2), encoder.Record{Time: t0, Type: encoder.Return, Item: "bad item"})},
		{"closed", func(_ *testing.T, s *Store, _ *tracer) { s.Close() }, recsOf(1, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tr := newTracer(e.path())
			s := e.openTraced(t, tr, time.Minute)
			mustAppend(t, s, 0, false)
			tt.setup(t, s, tr)
			before, spooled := e.content(t), s.Status().SpoolDepth
			if _, err := s.AppendGroup(tt.recs); !errors.Is(err, ErrNoGroup) {
				t.Fatalf("AppendGroup: %v, want ErrNoGroup", err)
			}
			if got := e.content(t); got != before {
				t.Errorf("data file changed:\n%q\nwas\n%q", got, before)
			}
			if st := s.Status(); st.SpoolDepth != spooled {
				t.Errorf("spool depth %d, was %d", st.SpoolDepth, spooled)
			}
		})
	}
}

// Item 4 for a group: its write hangs; after the bound all its records are
// spooled (one answer for all), later records queue behind them, and when
// the write returns every record is in the file once and in order, whether
// the group landed or not. Catches: landedLocked dropping one spooled copy
// instead of the group's (doubles), the intent or spool offsets of a group
// wrong, a group's records spooled apart.
func TestHungGroup(t *testing.T) {
	tests := []struct {
		name, holdAt, failAt string
		landed               bool
	}{
		{"hangs before writing (open)", "open", "", false},
		{"hangs in the write, which then lands", "write", "", true},
		{"hangs in fsync, which then fails", "sync", "sync", false},
		{"hangs in fsync, which then succeeds", "sync", "", true},
	}
	const timeout = 300 * time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tr := newTracer(e.path())
			s := e.openTraced(t, tr, timeout)
			mustAppend(t, s, 0, false)
			tr.holdAt = tt.holdAt
			ack, err := s.AppendGroup(recsOf(1, 4))
			if err != nil || !ack.Spooled {
				close(tr.hold)
				t.Fatalf("hung group: %+v, %v; want spooled", ack, err)
			}
			<-tr.held
			if st := s.Status(); !st.Degraded || st.SpoolDepth != 3 {
				t.Fatalf("status while hung: %+v", st)
			}
			if _, err := s.AppendGroup(recsOf(4, 6)); !errors.Is(err, ErrNoGroup) {
				t.Fatalf("group while hung: %v, want ErrNoGroup", err)
			}
			mustAppend(t, s, 4, true)
			mustAppend(t, s, 5, true)
			tr.mu.Lock()
			tr.failAt = tt.failAt
			tr.mu.Unlock()
			close(tr.hold)
			waitFor(t, func() bool { return s.Drain() == nil && s.Status().SpoolDepth == 0 })
			if got, want := e.content(t), linesOf(t, 0, 6); got != want {
				t.Fatalf("data file:\n%q\nwant\n%q", got, want)
			}
			logs := e.logs.String()
			_, first, _ := strings.Cut(logs, "answers again")
			first, _, _ = strings.Cut(first, "\n")
			if strings.Contains(first, "record_landed=true") != tt.landed {
				t.Errorf("landed = %v, want %v:\n%s", !tt.landed, tt.landed, logs)
			}
			if st := s.Status(); st.Degraded || st.Appended != 6 {
				t.Errorf("status after recovery: %+v", st)
			}
		})
	}
}

// A hung group with no spool to go to is refused as not stored, not handed
// back for Append: its write may still land, and a copy spooled by a retry
// would then be a second one. Catches: ErrNoGroup (a retry) after a hung
// write began.
func TestHungGroupNotStored(t *testing.T) {
	e := newEnv(t)
	tr := newTracer(e.path())
	s := e.openTraced(t, tr, 200*time.Millisecond)
	mustAppend(t, s, 0, false)
	if err := os.Remove(s.sp.path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(s.sp.path, 0o750); err != nil { // the spool cannot be written
		t.Fatal(err)
	}
	tr.holdAt = "write"
	_, err := s.AppendGroup(recsOf(1, 3))
	if !errors.Is(err, ErrNotStored) || errors.Is(err, ErrNoGroup) {
		close(tr.hold)
		t.Fatalf("AppendGroup: %v, want ErrNotStored (and not ErrNoGroup)", err)
	}
	<-tr.held
	close(tr.hold)
	waitFor(t, func() bool { return s.settled() })
	if got, want := e.content(t), linesOf(t, 0, 3); got != want {
		t.Fatalf("data file:\n%q\nwant\n%q (the refused group landed; nothing else may be there)", got, want)
	}
}

func (s *Store) settled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settleLocked()
}

// After a power cut in a group's hung write the data file may hold any
// prefix of the group: whole lines, then perhaps a torn one. At start each
// line is looked for at its own place: those found are not drained again,
// the rest are. Catches: a group taken as all or nothing (the kept lines
// doubled, or the missing ones lost), lines compared at the wrong offsets.
func TestGroupIntentAfterPowerCut(t *testing.T) {
	const n = 4
	tests := []struct {
		name  string
		keep  int  // whole lines of the group in the data file
		torn  bool // and part of the next
		undid bool // the group's last spooled line was undone before the cut
	}{
		{"nothing landed", 0, false, false},
		{"a torn first line", 0, true, false},
		{"one line", 1, false, false},
		{"two lines and a torn one", 2, true, false},
		{"all but one", n - 1, false, false},
		{"all", n, false, false},
		{"two lines, the last spooled one undone", 2, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.open(t)
			mustAppend(t, s, 0, false)
			id, size := dataPlace(t, e)
			s.Close()
			var blob, spool []byte
			for i := 1; i <= n; i++ {
				l := []byte(line(t, testRec(i)))
				blob = append(blob, l...)
				if !tt.undid || i < n {
					spool = append(spool, spoolLine(l)...)
				}
			}
			in := intent{SpoolOff: 0, Len: len(blob), CRC: crc32.ChecksumIEEE(blob), DataSize: size, ID: id, N: n}
			write(t, s.sp.logPath, in.marshal())
			write(t, s.sp.path, spool)
			kept := linesOf(t, 1, 1+tt.keep)
			if tt.torn {
				kept += line(t, testRec(1+tt.keep))[:10]
			}
			appendTo(t, e.path(), kept)

			s2 := e.open(t)
			if err := s2.Drain(); err != nil {
				t.Fatal(err)
			}
			last := n + 1
			if tt.undid {
				last = n
			}
			if got, want := e.content(t), linesOf(t, 0, max(last, 1+tt.keep)); got != want {
				t.Fatalf("data file:\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func dataPlace(t *testing.T, e *env) (fileID, int64) {
	t.Helper()
	fi, err := os.Stat(e.path())
	if err != nil {
		t.Fatal(err)
	}
	return dataID(t, e), fi.Size()
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// A failed group write that could not be taken back at once and stopped at
// a line end leaves whole lines: they are taken back as one, never left
// for the drain to write a second time. Without takeBack (a restart) the
// whole lines found are landed. Catches: the partial group left in the file
// (doubles after the drain), the count of lines found wrong.
func TestCheckPlacementGroup(t *testing.T) {
	for _, takeBack := range []bool{true, false} {
		e := newEnv(t)
		s := e.open(t)
		mustAppend(t, s, 0, false)
		id, size := dataPlace(t, e)
		blob := []byte(linesOf(t, 1, 4))
		appendTo(t, e.path(), linesOf(t, 1, 3))
		v, k := s.checkPlacement(placement{id: id, off: size}, blob, takeBack)
		switch {
		case takeBack && (v != notLanded || e.content(t) != linesOf(t, 0, 1)):
			t.Errorf("takeBack: verdict %v, k %d, file %q: want the two lines taken back", v, k, e.content(t))
		case !takeBack && (v != landed || k != 2 || e.content(t) != linesOf(t, 0, 3)):
			t.Errorf("restart: verdict %v, k %d, file %q: want 2 landed", v, k, e.content(t))
		}
		// Lines after the group's (another station's) keep it landed.
		appendTo(t, e.path(), line(t, testRec(9)))
		if v, k := s.checkPlacement(placement{id: id, off: size}, []byte(linesOf(t, 1, 4)), true); !takeBack && (v != landed || k != 2) {
			t.Errorf("followed by another line: verdict %v, k %d", v, k)
		}
	}
}

// Drain-log intents of one line keep the six fields every earlier version
// wrote; a group's carry its count. Catches: a group read back as one line
// (the rest doubled at start), old logs no longer read.
func TestIntentGroupField(t *testing.T) {
	one := intent{SpoolOff: 10, Len: 5, CRC: 0xabc, DataSize: 99, ID: fileID{1, 2}, N: 1}
	if got := string(one.marshal()); got != "10 5 00000abc 99 1 2\n" {
		t.Errorf("one line: %q", got)
	}
	group := one
	group.N = 7
	b := group.marshal()
	got, err := parseIntent(b[:len(b)-1])
	if err != nil || got != group {
		t.Errorf("group round trip: %+v, %v", got, err)
	}
	for _, bad := range []string{"10 5 00000abc 99 1 2 1", "10 5 00000abc 99 1 2 33", "10 5 00000abc 99 1 2 3 4"} {
		if _, err := parseIntent([]byte(bad)); err == nil {
			t.Errorf("parseIntent(%q) accepted", bad)
		}
	}
}

// A hung group that landed after all leaves its last record undoable in
// the data file, at its own place. Catches: the last record's data-file
// offset taken as the group's start (Undo refused, or the wrong bytes cut).
func TestUndoAfterHungGroupLanded(t *testing.T) {
	e := newEnv(t)
	tr := newTracer(e.path())
	s := e.openTraced(t, tr, 200*time.Millisecond)
	mustAppend(t, s, 0, false)
	tr.holdAt = "sync"
	if ack, err := s.AppendGroup(recsOf(1, 4)); err != nil || !ack.Spooled {
		close(tr.hold)
		t.Fatalf("hung group: %+v, %v", ack, err)
	}
	<-tr.held
	close(tr.hold)
	waitFor(t, func() bool { return s.Drain() == nil && s.Status().SpoolDepth == 0 })
	if got, want := e.content(t), linesOf(t, 0, 4); got != want {
		t.Fatalf("data file:\n%q\nwant\n%q", got, want)
	}
	rec, err := s.Undo(time.Hour)
	if err != nil || rec != testRec(3) {
		t.Fatalf("Undo: %+v, %v", rec, err)
	}
	if got, want := e.content(t), linesOf(t, 0, 3); got != want {
		t.Fatalf("after undo:\n%q\nwant\n%q", got, want)
	}
}
