package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A byte flipped inside a spooled line (a bad sector, a stray editor) is
// found by the line's checksum: the line goes to a side file in state_dir,
// never into the data file and never away; the status names the side file
// and the store stays degraded (the alarm sounds) until staff delete it.
func TestDamagedSpoolLineSetAside(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	blockData(s)
	for i := 1; i <= 3; i++ {
		mustAppend(t, s, i, true)
	}
	s.Close()
	path := filepath.Join(e.state, spoolName)
	raw, _ := os.ReadFile(path)
	second := spoolLine([]byte(line(t, testRec(2))))
	i := strings.Index(string(raw), string(second))
	// P0000002 -> P0000003: still a canonical loan, for another patron.
	flipped := strings.Replace(string(second), "P0000002", "P0000003", 1)
	copy(raw[i:], flipped)
	os.WriteFile(path, raw, 0o600)

	s = e.open(t)
	st := s.Status()
	if st.SpoolDepth != 2 || !st.Degraded || len(st.Damaged) != 1 || !strings.Contains(st.LastError, st.Damaged[0]) {
		t.Fatalf("status %+v: want 2 pending, degraded, the side file named", st)
	}
	side, err := os.ReadFile(st.Damaged[0])
	if err != nil || string(side) != flipped {
		t.Fatalf("side file %q (%v), want the damaged line %q", side, err, flipped)
	}
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), line(t, testRec(1))+line(t, testRec(3)); got != want {
		t.Fatalf("data file %q\nwant %q", got, want)
	}
	if st := s.Status(); !st.Degraded || len(st.Damaged) != 1 {
		t.Fatalf("after the drain: %+v: the alarm must go on until the side file is dealt with", st)
	}
	os.Remove(st.Damaged[0])
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); st.Degraded || len(st.Damaged) != 0 || st.LastError != "" {
		t.Fatalf("after the side file was deleted: %+v", st)
	}
	// A restart does not bring the set-aside line back.
	s.Close()
	s = e.open(t)
	if st := s.Status(); st.Degraded {
		t.Fatalf("after restart: %+v", st)
	}
}

// Spools written before lines had checksums (bare records) still drain
// after an upgrade, next to new lines with checksums.
func TestOldSpoolLinesDrainAfterUpgrade(t *testing.T) {
	e := newEnv(t)
	os.MkdirAll(e.state, 0o750)
	os.WriteFile(filepath.Join(e.state, spoolName), []byte(linesOf(t, 1, 3)), 0o600)
	s := e.open(t)
	blockData(s)
	mustAppend(t, s, 3, true)
	unblockData(s)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), linesOf(t, 1, 4); got != want {
		t.Fatalf("data file %q\nwant %q", got, want)
	}
}
