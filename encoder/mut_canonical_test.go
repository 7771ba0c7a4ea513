package encoder

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// Merge writes every usable line in the canonical layout, whatever layout
// the input used: item padded to column 93, the patron from column 94 for
// a loan, nothing after the item field for a return (a stray patron is
// dropped), CRLF. Lines that are canonical already are copied, the others
// re-encoded; either way the output is what Encode gives for the record.
// The layouts cover blanks and tabs between the fields, returns carrying
// a patron before, at and after column 94, trailing blanks, and items and
// patrons of every length around the field widths.
func TestMergeWritesCanonicalLines(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('!' + rng.IntN(0x7E-'!'+1))
		}
		return string(b)
	}
	blanks := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(" \t"[rng.IntN(4)/3])
		}
		return b.String()
	}
	var lines []string
	ts := "202205101145"
	for _, itemLen := range []int{1, 2, 7, 8, 9, 40, 71, 72, 73, 79, 80} {
		for _, patLen := range []int{0, 1, 7, 8, 9, 12, 70, 71, 72, 80, 81, 254} {
			item, pat := word(itemLen), word(patLen)
			for _, typ := range []string{"L", "R"} {
				if typ == "L" && patLen == 0 {
					continue
				}
				canonical := ts + typ + item + strings.Repeat(" ", ItemWidth-itemLen) + pat
				lines = append(lines,
					canonical,
					canonical+blanks(1+rng.IntN(9)),
					ts+typ+item+blanks(1+rng.IntN(3))+pat,
					ts+typ+item+blanks(ItemWidth-itemLen+1+rng.IntN(3))+pat,
				)
				if patLen > 0 && ItemWidth-itemLen > 1 {
					// the patron ends in column 93, the item field's last
					lines = append(lines, ts+typ+item+" "+strings.Repeat(" ", max(0, ItemWidth-itemLen-1-patLen))+pat)
				}
				if patLen > 0 && patLen < ItemWidth-itemLen-1 {
					// the patron inside the item field, padded to column 93
					l := ts + typ + item + " " + pat
					lines = append(lines, l+strings.Repeat(" ", ReturnLen-len(l)))
				}
			}
		}
	}
	for _, end := range []string{"\r\n", "\n"} {
		var in bytes.Buffer
		var want bytes.Buffer
		for i, l := range lines {
			// one minute per line: no line is a repeat of another
			l = fmt.Sprintf("%012d", 202205101100+i%60+100*(i/60)) + l[TimeLen:]
			rec, err := ParseLine([]byte(l), time.UTC)
			if err != nil {
				continue
			}
			in.WriteString(l + end)
			want.Write(AppendLine(nil, rec))
		}
		m := NewMerger(mutOpt)
		m.Add("a", bytes.NewReader(in.Bytes()))
		var out bytes.Buffer
		if _, err := m.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want.Bytes()) {
			gl, wl := strings.SplitAfter(out.String(), "\n"), strings.SplitAfter(want.String(), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("line end %q: output line %d\n%q\nwant\n%q", end, i+1, gl[i], wl[i])
				}
			}
			t.Fatalf("line end %q: %d output lines, want %d", end, len(gl), len(wl))
		}
		if strings.Count(want.String(), "\n") < 500 {
			t.Fatalf("only %d usable lines", strings.Count(want.String(), "\n"))
		}
	}
}

// A minute whose lines fill the duplicate table exactly is still checked
// in full: a repeat of its last line is dropped. One byte less room and
// that line is unchecked, so its repeat stays.
func TestMergeDupTableExactlyFull(t *testing.T) {
	old := maxDupArena
	t.Cleanup(func() { maxDupArena = old })
	a := canon("202205101145", Loan, "1", "P1") // 97 bytes
	b := canon("202205101145", Return, "2", "") // 95 bytes
	c := canon("202205101145", Return, "1", "") // replaces item 1's line
	in := a + b + b                             // new items: b's repeat
	in2 := a + c + c                            // a replaced line: c's repeat
	for _, tc := range []struct {
		in       string
		room     int
		dups     int
		unchecke int
	}{
		{in, len(a) + len(b), 1, 0},
		{in, len(a) + len(b) - 1, 0, 2},
		{in2, len(a) + len(c), 1, 0},
		{in2, len(a) + len(c) - 1, 0, 2},
	} {
		maxDupArena = tc.room
		_, m, _ := mergeStrings(t, tc.in)
		if m.Duplicates() != tc.dups || m.Unchecked() != tc.unchecke {
			t.Errorf("table of %d bytes: %d duplicates, %d unchecked; want %d, %d", tc.room, m.Duplicates(), m.Unchecked(), tc.dups, tc.unchecke)
		}
	}
}

// Short lines (unpadded returns, CRLF) one of which ends exactly where a
// read buffer ends: merge writes them all, re-encoded, and check counts
// them, for merge's and check's buffer sizes.
func TestShortLinesEndingAtABufferEnd(t *testing.T) {
	old := mergeChunk
	t.Cleanup(func() { mergeChunk = old })
	for _, size := range []int{MaxLineLen + 1, old} {
		var in, want strings.Builder
		n, i := 0, 0
		add := func(item string) {
			l := time.Date(2022, 5, 10, 8, i/50, 0, 0, time.UTC).Format(TimeLayout) + "R" + item + "\r\n"
			in.WriteString(l)
			want.WriteString(canon(l[:TimeLen], Return, item, ""))
			n, i = n+len(l), i+1
		}
		for k := 1; k <= 3; k++ { // lines end at the first three buffer ends
			for n+40 < k*size {
				add(fmt.Sprint(i))
			}
			add(strings.Repeat("9", k*size-n-15)) // ends at k*size exactly
		}
		add("last")
		for _, ms := range []int{0, old} {
			mergeChunk = ms
			if max(ms, MaxLineLen+1) != size {
				continue
			}
			m := NewMerger(mutOpt)
			m.Add("a", strings.NewReader(in.String()))
			var out strings.Builder
			if _, err := m.WriteTo(&out); err != nil || out.String() != want.String() {
				t.Fatalf("buffer %d: merge wrote %d bytes (%v), want %d", size, out.Len(), err, want.Len())
			}
		}
		sum, _, err := check(strings.NewReader(in.String()), "f", mutOpt, 1)
		if err != nil || sum.Returns != i || sum.Errors != 0 {
			t.Fatalf("buffer %d: check %+v %v, want %d returns", size, sum, err, i)
		}
	}
}
