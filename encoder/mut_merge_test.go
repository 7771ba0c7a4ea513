package encoder

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// An input that cannot be read to its end fails the merge, naming the
// input, whichever input it is: a merge must not look complete when a
// station's file was cut short.
func TestMergeReadErrorFailsTheMerge(t *testing.T) {
	good := canon("202205101145", Loan, "1", "P1")
	for bad := range 2 {
		m := NewMerger(mutOpt)
		for i := range 2 {
			if i == bad {
				m.Add("broken", &ioErrReader{data: []byte(good)})
			} else {
				m.Add("fine", strings.NewReader(good))
			}
		}
		var out bytes.Buffer
		_, err := m.WriteTo(&out)
		if !errors.Is(err, errDisk) || !strings.Contains(err.Error(), "broken") {
			t.Fatalf("broken input %d: WriteTo = %v, want the read error naming the input", bad, err)
		}
	}
}

// A Merger that is not made by NewMerger (its zero value) merges like one
// that is: duplicates across and within inputs are dropped.
func TestMergeZeroMerger(t *testing.T) {
	a := canon("202205101145", Loan, "1", "P1") + canon("202205101145", Loan, "1", "P1") + canon("202205101146", Return, "1", "")
	var m Merger
	m.opt = mutOpt
	m.Add("a", strings.NewReader(a))
	m.Add("b", strings.NewReader(a))
	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	want := canon("202205101145", Loan, "1", "P1") + canon("202205101146", Return, "1", "")
	if out.String() != want || m.Duplicates() != 4 {
		t.Fatalf("merged %q, %d duplicates", out.String(), m.Duplicates())
	}
}

// When a minute of output is too big for the duplicate table, lines it
// cannot check are kept (a line too many is safer than one lost), but two
// copies of one station's file still merge to one copy: the copies meet
// at the inputs' heads, even where the file's times go back.
func TestMergeCopiesWithFullDupTable(t *testing.T) {
	old := maxDupArena
	t.Cleanup(func() { maxDupArena = old })
	maxDupArena = 0 // nothing fits: every line is unchecked
	file := canon("202205101145", Loan, "1", "P1") + canon("202205101145", Loan, "2", "P1") +
		canon("202205101146", Return, "1", "") + canon("202205101144", Return, "2", "") + // clock stepped back
		canon("202205101147", Loan, "3", "P2")
	got, m, _ := mergeStrings(t, file, file)
	if got != file || m.Duplicates() != 5 {
		t.Fatalf("two copies merged to %d lines, %d duplicates:\n%s", strings.Count(got, "\n"), m.Duplicates(), got)
	}
	// One input repeating a line back to back: the table cannot say it is
	// a repeat, so both stay.
	twice := canon("202205101145", Loan, "1", "P1") + canon("202205101145", Loan, "1", "P1")
	got, m, _ = mergeStrings(t, twice)
	if got != twice || m.Duplicates() != 0 || m.Unchecked() != 2 {
		t.Fatalf("merged %q, %d duplicates, %d unchecked", got, m.Duplicates(), m.Unchecked())
	}
}
