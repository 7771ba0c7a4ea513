package encoder

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// canon builds a canonical line for tests.
func canon(ts string, typ Type, item, patron string) string {
	return ts + string(rune(typ)) + item + strings.Repeat(" ", ItemWidth-len(item)) + patron + "\r\n"
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  []string // Problem.String() values, in order
		sum   Summary
		isBad bool
	}{
		{
			name: "clean",
			in:   canon("202205101145", Loan, "1", "P1") + canon("202205101146", Return, "1", ""),
			sum:  Summary{Lines: 2, Loans: 1, Returns: 1},
		},
		{
			name: "empty file",
			in:   "",
			sum:  Summary{},
		},
		{
			name: "duplicate, also across separator styles",
			in:   canon("202205101145", Loan, "1", "P1") + "202205101145L1\tP1\n" + canon("202205101145", Loan, "2", "P1"),
			want: []string{"2: warning: duplicate of line 1"},
			sum:  Summary{Lines: 3, Loans: 3, Warnings: 1},
		},
		{
			name: "repeat after another line for the item is no duplicate",
			in: canon("202205101145", Loan, "1", "P1") + canon("202205101145", Return, "1", "") +
				canon("202205101145", Loan, "1", "P1") + canon("202205101145", Loan, "1", "P1"),
			want: []string{"4: warning: duplicate of line 3"},
			sum:  Summary{Lines: 4, Loans: 3, Returns: 1, Warnings: 1},
		},
		{
			name: "backwards",
			in:   canon("202205101145", Return, "1", "") + canon("202205101144", Return, "2", "") + canon("202205101144", Return, "3", ""),
			want: []string{"2: warning: time 202205101144 is earlier than line 1 (Alma applies lines in file order, and so does merge: is the station's clock right?)"},
			sum:  Summary{Lines: 3, Returns: 3, Warnings: 1},
		},
		{
			name: "return with patron",
			in:   "202205101145R1 P1\r\n",
			want: []string{"1: warning: return with a patron ID (merge drops it)"},
			sum:  Summary{Lines: 1, Returns: 1, Warnings: 1},
		},
		{
			name: "empty line",
			in:   "202205101145R1\r\n\r\n",
			want: []string{"2: warning: empty line"},
			sum:  Summary{Lines: 2, Returns: 1, Warnings: 1},
		},
		{
			name: "future beyond tolerance",
			in:   "202601011209R1\r\n202601011211R2\r\n",
			want: []string{"2: error: time 202601011211 is in the future (more than 10m0s ahead of this computer's clock)"},
			sum:  Summary{Lines: 2, Returns: 1, Errors: 1},
		},
		{
			name: "torn tail",
			in:   "202205101145R1\r\n202205101146R2",
			want: []string{"2: error: last line has no line end (torn write)"},
			sum:  Summary{Lines: 2, Returns: 1, Errors: 1},
		},
		{
			name: "every error kind",
			in: "202213101145R1\r\n" +
				"202205101145X1 P\r\n" +
				"202205101145R\r\n" +
				"202205101145R" + strings.Repeat("1", 81) + "\r\n" +
				"202205101145R1\x07\r\n" +
				"202205101145L1\r\n" +
				"199901011200R1\r\n" +
				"202205101145L1 Jane Doe\r\n" +
				"2022\r\n",
			want: []string{
				`1: error: bad date/time "202213101145": month out of range`,
				`2: error: type must be L or R, found "X" in column 13`,
				`3: error: item barcode is empty`,
				`4: error: item barcode longer than 80 characters (81)`,
				`5: error: item: byte 0x07 at column 15: character outside printable ASCII 0x21-0x7E`,
				`6: error: loan without patron ID`,
				`7: error: bad date/time "199901011200": time before 2000-01-01 (is the clock set?)`,
				`8: error: patron ID contains whitespace at column 20 (a reader splitting on whitespace sees an extra field)`,
				`9: error: line too short for a record (4 characters, a record needs at least 14)`,
			},
			sum:   Summary{Lines: 9, Errors: 9},
			isBad: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, probs, err := Check(strings.NewReader(tt.in), "f", Options{Location: testLoc, Now: refNow})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			tt.sum.File = "f"
			if sum != tt.sum {
				t.Errorf("summary %+v, want %+v", sum, tt.sum)
			}
			if sum.OK(false) == (tt.sum.Errors > 0) {
				t.Errorf("OK(false) = %v with %d errors", sum.OK(false), sum.Errors)
			}
		})
	}
}

func TestCheckReportStreams(t *testing.T) {
	var got []Problem
	sum, probs, err := Check(strings.NewReader("x\r\ny\r\n"), "f", Options{Report: func(p Problem) { got = append(got, p) }})
	if err != nil || probs != nil {
		t.Fatalf("Check with Report: probs %v err %v", probs, err)
	}
	if len(got) != 2 || got[1].Line != 2 || sum.Errors != 2 {
		t.Fatalf("reported %+v, summary %+v", got, sum)
	}
}

func TestCheckFile(t *testing.T) {
	sum, probs, err := CheckFile("../testdata/alma/OffCirc.dat", Options{Location: testLoc, Now: refNow})
	if err != nil || len(probs) != 0 {
		t.Fatalf("golden file: %v %v", probs, err)
	}
	want := "../testdata/alma/OffCirc.dat: 6 lines, 5 loans, 1 returns, 0 errors, 0 warnings"
	if sum.String() != want {
		t.Fatalf("summary %q, want %q", sum, want)
	}
	if _, _, err := CheckFile(filepath.Join(t.TempDir(), "missing"), Options{}); !os.IsNotExist(unwrapAll(err)) {
		t.Fatalf("missing file: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

// mergeStrings merges inputs with Merger and returns the output and each
// input's summary.
func mergeStrings(t *testing.T, inputs ...string) (string, *Merger, []Summary) {
	t.Helper()
	m := NewMerger(Options{Location: testLoc, Now: refNow})
	for i, in := range inputs {
		m.Add(fmt.Sprint(i), strings.NewReader(in))
	}
	var out bytes.Buffer
	n, err := m.WriteTo(&out)
	if err != nil || n != int64(out.Len()) {
		t.Fatalf("WriteTo: %d %v", n, err)
	}
	sums, _ := m.Results()
	return out.String(), m, sums
}

func TestMerge(t *testing.T) {
	a := canon("202205101145", Loan, "1", "P1") + // a1
		canon("202205101200", Loan, "2", "P1") + // a2
		canon("202205101200", Loan, "3", "P1") // a3
	b := "202205101100R9\n" + // b1, LF and unpadded
		"202205101200L4\tP2\n" + // b2, same minute as a2/a3: after them
		"202205101200L1\tP1\n" + // b3, same minute, other item
		"202205101300R5 P7\n" // b4, return with patron
	c := canon("202205101200", Loan, "3", "P1") + // duplicate of a3, in its minute: dropped
		canon("202205101400", Loan, "7", "P3") + // L, R, L of one item in one minute: all kept
		canon("202205101400", Return, "7", "") +
		canon("202205101400", Loan, "7", "P3") +
		canon("202205101400", Loan, "7", "P3") // exact repeat right after: dropped
	want := canon("202205101100", Return, "9", "") +
		canon("202205101145", Loan, "1", "P1") +
		canon("202205101200", Loan, "2", "P1") +
		canon("202205101200", Loan, "3", "P1") +
		canon("202205101200", Loan, "4", "P2") +
		canon("202205101200", Loan, "1", "P1") +
		canon("202205101300", Return, "5", "") +
		canon("202205101400", Loan, "7", "P3") +
		canon("202205101400", Return, "7", "") +
		canon("202205101400", Loan, "7", "P3")
	got, m, sums := mergeStrings(t, a, b, c)
	for i, sum := range sums {
		if sum.Errors != 0 {
			t.Fatalf("input %d: %+v", i, sum)
		}
	}
	if got != want {
		t.Fatalf("merged:\n%s\nwant:\n%s", got, want)
	}
	if m.Written() != 10 || m.Duplicates() != 2 || m.Unchecked() != 0 {
		t.Fatalf("written %d dups %d unchecked %d", m.Written(), m.Duplicates(), m.Unchecked())
	}
	// Output is clean by check's rules.
	sum, probs, _ := Check(strings.NewReader(got), "out", Options{Location: testLoc, Now: refNow})
	if len(probs) != 0 || sum.Lines != 10 {
		t.Fatalf("merged output not clean: %v %+v", probs, sum)
	}
}

// TestMergeKeepsFileOrder: Alma applies lines in file order, so a file
// whose times go backwards (the autumn clock change) keeps its order, and
// the other input's lines fall in by time around it.
func TestMergeKeepsFileOrder(t *testing.T) {
	tests := []struct {
		name   string
		inputs []string
		want   string
	}{
		{"one file going back", []string{
			canon("202210300250", Loan, "BOOK7", "P1") + canon("202210300210", Return, "BOOK7", ""),
		}, canon("202210300250", Loan, "BOOK7", "P1") + canon("202210300210", Return, "BOOK7", "")},
		{"two files, first going back", []string{
			canon("202210300250", Loan, "BOOK7", "P1") + canon("202210300210", Return, "BOOK7", "") + canon("202210300300", Loan, "BOOK8", "P1"),
			canon("202210300200", Return, "BOOK1", "") + canon("202210300220", Return, "BOOK2", "") + canon("202210300255", Return, "BOOK3", ""),
		}, canon("202210300200", Return, "BOOK1", "") +
			canon("202210300220", Return, "BOOK2", "") +
			canon("202210300250", Loan, "BOOK7", "P1") +
			canon("202210300210", Return, "BOOK7", "") +
			canon("202210300255", Return, "BOOK3", "") +
			canon("202210300300", Loan, "BOOK8", "P1")},
		{"tie: first input first", []string{
			canon("202210300200", Return, "B", ""),
			canon("202210300200", Return, "A", ""),
		}, canon("202210300200", Return, "B", "") + canon("202210300200", Return, "A", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _, _ := mergeStrings(t, tt.inputs...); got != tt.want {
				t.Fatalf("merged:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestMergeSkipsBadLines(t *testing.T) {
	m := NewMerger(Options{Location: testLoc, Now: refNow})
	m.Add("bad", strings.NewReader("202205101145R1\r\nnonsense\r\n202205101146R2"))
	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	sums, probs := m.Results()
	if sum := sums[0]; sum.Errors != 2 || len(probs[0]) != 2 || probs[0][0].Line != 2 || probs[0][1].Line != 3 {
		t.Fatalf("sum %+v probs %v", sum, probs)
	}
	if out.String() != canon("202205101145", Return, "1", "") {
		t.Fatalf("merged %q", out.String())
	}
}

// TestMergeBoundsProblems: a garbage input keeps at most maxMergeProblems
// messages, and its summary still counts every one.
func TestMergeBoundsProblems(t *testing.T) {
	_, m, sums := mergeStrings(t, strings.Repeat("nonsense\r\n", maxMergeProblems+10))
	if _, probs := m.Results(); len(probs[0]) != maxMergeProblems || sums[0].Errors != maxMergeProblems+10 {
		t.Fatalf("%d problems kept, %d counted", len(probs[0]), sums[0].Errors)
	}
}

// TestMergeFullDupTable: beyond the duplicate table's bound lines are
// written unchecked (counted), never dropped on a stale entry.
func TestMergeFullDupTable(t *testing.T) {
	old := maxDupArena
	t.Cleanup(func() { maxDupArena = old })
	maxDupArena = 2 * (ReturnLen + 2 + 2)
	in := canon("202205101145", Loan, "7", "P1") + canon("202205101145", Return, "8", "") +
		canon("202205101145", Return, "7", "") + // does not fit: item 7 unknown from here
		canon("202205101145", Loan, "7", "P1") // equal to the first, but not a repeat
	got, m, _ := mergeStrings(t, in)
	if got != in || m.Duplicates() != 0 || m.Unchecked() != 2 {
		t.Fatalf("dups %d unchecked %d, merged:\n%s", m.Duplicates(), m.Unchecked(), got)
	}
}

func TestMergeLargeMinuteGroup(t *testing.T) {
	// Many lines in one minute grow the duplicate table; it must agree with
	// the plain rule.
	var in strings.Builder
	for i := range 200 {
		in.WriteString(canon("202205101145", Loan, fmt.Sprint(i%50), "P"))
		if i%50 == 49 {
			in.WriteString(canon("202205101145", Return, "0", "")) // breaks repeats of item 0 only
		}
	}
	_, m, _ := mergeStrings(t, in.String())
	// 50 distinct loans; item 0 reloaned after each of the first 3 returns;
	// 4 returns of item 0: the return lines repeat each other only with a
	// loan of item 0 in between, so all are kept.
	if got, want := m.Written(), 50+3+4; got != want {
		t.Fatalf("written %d, want %d (dups %d)", got, want, m.Duplicates())
	}
}

// TestDupIndexMatchesReference drives dupIndex with random, partly unsorted
// minutes (revisits, very full minutes) and compares it with the plain rule:
// a line duplicates the newest earlier kept line of the same minute and item
// when everything else is equal too.
func TestDupIndexMatchesReference(t *testing.T) {
	type ln struct{ ts, item, rest uint64 }
	spread := func(item uint64) uint64 { return item * 0x9E3779B97F4A7C15 }
	// Hashes that agree in their low bits land in one slot of the minute's
	// table: the probing and the table's growth decide then.
	collide := func(item uint64) uint64 { return (item + 1) << 20 }
	for seed := range 30 {
		rng := rand.New(rand.NewPCG(uint64(seed), 2))
		var d dupIndex
		var kept []ln
		keptNum := map[int]uint32{}
		ts := uint64(202401010000)
		items, step, back, hash := 60, 6, 3, spread
		switch seed % 5 {
		case 1:
			items = 4 // few items: many repeats
		case 2:
			items, step = 200, 2 // crowded minutes: the item index
		case 3:
			items, step, back, hash = 200, 1, 0, collide // sorted, crowded, colliding
		case 4:
			items, step, back = 100, 3, 0 // sorted
		}
		for num := 1; num <= 3000; num++ {
			switch r := rng.IntN(100); {
			case r < back:
				ts -= uint64(rng.IntN(5)) // go back in time
			case r < back+step*5:
				ts++
			}
			l := ln{ts, uint64(rng.IntN(items)), uint64(rng.IntN(2))}
			want := uint32(0)
			for k := len(kept) - 1; k >= 0; k-- {
				if kept[k].ts == l.ts && kept[k].item == l.item {
					if kept[k].rest == l.rest {
						want = keptNum[k]
					}
					break
				}
			}
			got := d.add(l.ts, hash(l.item), l.rest, uint32(num))
			if got != want {
				t.Fatalf("seed %d line %d %+v: duplicate of %d, want %d", seed, num, l, got, want)
			}
			if want == 0 {
				keptNum[len(kept)] = uint32(num)
				kept = append(kept, l)
			}
		}
		if sorted := back == 0; sorted != (d.heads == nil) {
			t.Fatalf("seed %d: sorted %v but the unsorted index is %v", seed, sorted, d.heads != nil)
		}
	}
}
