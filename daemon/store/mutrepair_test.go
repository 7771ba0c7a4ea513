package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// However long the junk after the last line end (another program wrote
// into OffCirc.dat, a crash left a block of garbage), the repair at start
// moves exactly that junk aside: every whole record before it stays in the
// data file for Alma. Lengths around the repair's read size (4 KiB) put the
// last line end at the first byte of a read.
func TestTornTailOfAnyLengthKeepsWholeLines(t *testing.T) {
	good := linesOf(t, 0, 3)
	for _, n := range []int{1, 4094, 4095, 4096, 8191, 8192} {
		e := newEnv(t)
		os.MkdirAll(e.data, 0o750)
		junk := strings.Repeat("x", n)
		os.WriteFile(e.path(), []byte(good+junk), 0o640)
		e.open(t)
		if got := e.content(t); got != good {
			t.Errorf("%d bytes of junk: data file after repair %q\nwant %q", n, got, good)
			continue
		}
		side, _ := filepath.Glob(filepath.Join(e.state, "OffCirc.dat.torn-*"))
		if len(side) != 1 {
			t.Errorf("%d bytes of junk: side files %v", n, side)
			continue
		}
		if b, _ := os.ReadFile(side[0]); string(b) != junk {
			t.Errorf("%d bytes of junk: side file holds %d bytes, want exactly the junk", n, len(b))
		}
	}
}

// A spool whose last line is a few bytes short of a record but ends in
// CRLF (written by something else, or cut and closed by an editor) must
// not crash the start: the daemon would fail at every restart. The line
// is set aside as damaged, the records before it drain.
func TestShortLastSpoolLineSetAside(t *testing.T) {
	good := line(t, testRec(1))
	item := "N1" + strings.Repeat(" ", 78)
	for _, short := range []int{2, 3, 4, 10} { // bytes missing from a 95-byte return
		for _, sum := range []bool{true, false} {
			e := newEnv(t)
			os.MkdirAll(e.state, 0o750)
			l := "202503041000R" + item[:80-short] + "\r\n"
			spool := good + l
			if sum {
				spool = string(spoolLine([]byte(good))) + string(spoolLine([]byte(l)))
			}
			os.WriteFile(filepath.Join(e.state, spoolName), []byte(spool), 0o600)
			s := e.open(t)
			if st := s.Status(); st.SpoolDepth != 1 || len(st.Damaged) != 1 {
				t.Fatalf("%d-byte last line (checksum %v): status %+v, want it set aside", len(l), sum, st)
			}
			if err := s.Drain(); err != nil {
				t.Fatal(err)
			}
			if got := e.content(t); got != good {
				t.Fatalf("%d-byte last line: data file %q, want %q", len(l), got, good)
			}
		}
	}
}

// Staff fix a damaged spool line by hand from the log: the reason names
// the byte at fault, counted from 1 as an editor's column.
func TestDamagedLineReasonNamesTheByte(t *testing.T) {
	e := newEnv(t)
	os.MkdirAll(e.state, 0o750)
	l := []byte(line(t, testRec(1)))
	l[4] = 'x' // the fifth byte, the month's first digit
	os.WriteFile(filepath.Join(e.state, spoolName), spoolLine(l), 0o600)
	e.open(t)
	if !strings.Contains(e.logs.String(), "time: byte 5 is not a digit") {
		t.Fatalf("log does not name byte 5:\n%s", e.logs)
	}
}

// A crash while a record was being spooled leaves part of a line at the
// spool's end. That record was never acknowledged: the part is moved
// aside as a torn tail, without the damaged-line alarm (nothing
// acknowledged is missing), and the records before it drain. A spool that
// ends cleanly has nothing moved aside.
func TestTornSpoolTailIsNoDamage(t *testing.T) {
	for _, torn := range []string{"", "1a2b3c4d 2025030"} {
		e := newEnv(t)
		os.MkdirAll(e.state, 0o750)
		spool := string(spoolLine([]byte(line(t, testRec(1))))) + torn
		os.WriteFile(filepath.Join(e.state, spoolName), []byte(spool), 0o600)
		s := e.open(t)
		if st := s.Status(); st.SpoolDepth != 1 || len(st.Damaged) != 0 {
			t.Errorf("torn tail %q: status %+v, want one record pending and no damage", torn, st)
		}
		side, _ := filepath.Glob(filepath.Join(e.state, spoolName+tornMark+"*"))
		if want := min(len(torn), 1); len(side) != want {
			t.Errorf("torn tail %q: torn side files %v, want %d", torn, side, want)
		}
		if err := s.Drain(); err != nil {
			t.Fatal(err)
		}
		if got, want := e.content(t), line(t, testRec(1)); got != want {
			t.Errorf("torn tail %q: data file %q, want %q", torn, got, want)
		}
		if st := s.Status(); st.Degraded {
			t.Errorf("torn tail %q: still degraded after the drain: %+v", torn, st)
		}
	}
}
