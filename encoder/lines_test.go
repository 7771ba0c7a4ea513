package encoder

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// randomFile mixes good lines in both layouts and line ends with every kind
// of bad line, including lines too long for the reader, so chunk and line
// boundaries fall everywhere.
func randomFile(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	ts := 202205101100
	for range n {
		if rng.IntN(4) == 0 {
			ts++
		}
		item := fmt.Sprintf("I%d", rng.IntN(30))
		switch r := rng.IntN(100); {
		case r < 40:
			b.WriteString(canon(fmt.Sprint(ts), Loan, item, fmt.Sprintf("P%d", rng.IntN(3))))
		case r < 60:
			b.WriteString(canon(fmt.Sprint(ts), Return, item, ""))
		case r < 70:
			fmt.Fprintf(&b, "%dL%s\tP%d\n", ts, item, rng.IntN(3))
		case r < 75:
			fmt.Fprintf(&b, "%dR%s\n", ts-rng.IntN(3), item)
		case r < 78:
			b.WriteString("\r\n")
		case r < 81:
			fmt.Fprintf(&b, "%dX%s\r\n", ts, item)
		case r < 83:
			fmt.Fprintf(&b, "%dR%s\x07 P\r\n", ts, item)
		case r < 84:
			b.WriteString(strings.Repeat("y", MaxLineLen-1+rng.IntN(3)) + "\n") // at the limit
		case r < 85 && rng.IntN(4) == 0:
			b.WriteString(strings.Repeat("z", 3*MaxLineLen+rng.IntN(1000)) + "\r\n")
		default:
			fmt.Fprintf(&b, "%dL%s P%d \r\n", ts, item, rng.IntN(3)) // trailing blank
		}
	}
	if rng.IntN(2) == 0 {
		fmt.Fprintf(&b, "%dR1", ts) // torn
	}
	return b.Bytes()
}

// TestCheckMatchesReader: Check, which cuts lines out of big chunks and
// parses them on several goroutines, finds errors on exactly the lines
// where the line-by-line Reader does, with the same line numbers, whatever
// the chunk size.
func TestCheckMatchesReader(t *testing.T) {
	opt := Options{Location: time.UTC, Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	for seed := range 4 {
		data := randomFile(rand.New(rand.NewPCG(uint64(seed), 3)), 3000)
		var wantBad []int
		wantMsg := map[int]string{}
		rd := NewReader(bytes.NewReader(data), time.UTC)
		lines := 0
		for {
			l, ok := rd.Next()
			if !ok {
				break
			}
			lines++
			if l.Err != nil && !errors.Is(l.Err, ErrEmptyLine) {
				wantBad = append(wantBad, l.Num)
				wantMsg[l.Num] = l.Err.Error()
			}
		}
		for _, hint := range []int{0, 1, 3000} { // chunkSize, the smallest buffer, about a third
			sum, probs, err := check(bytes.NewReader(data), "f", opt, hint)
			if err != nil {
				t.Fatal(err)
			}
			var gotBad []int
			gotMsg := map[int]string{}
			for _, p := range probs {
				if p.Severity != SeverityError {
					continue
				}
				if !slices.Contains(gotBad, p.Line) {
					gotBad = append(gotBad, p.Line)
					gotMsg[p.Line] = p.Msg
				} else {
					gotMsg[p.Line] += "\n" + p.Msg // as errors.Join shows them
				}
			}
			for _, n := range wantBad {
				if gotMsg[n] != wantMsg[n] {
					t.Fatalf("seed %d hint %d line %d: %q, reader says %q", seed, hint, n, gotMsg[n], wantMsg[n])
				}
			}
			if sum.Lines != lines || !slices.Equal(gotBad, wantBad) {
				t.Fatalf("seed %d hint %d: %d lines, error lines %v; reader: %d lines, %v", seed, hint, sum.Lines, gotBad, lines, wantBad)
			}
			if !slices.IsSortedFunc(probs, func(a, b Problem) int { return a.Line - b.Line }) {
				t.Fatalf("seed %d hint %d: problems out of line order", seed, hint)
			}
		}
	}
}

// TestCheckReadErrorLine: a read error names the line that could not be
// read, as Reader does.
func TestCheckReadErrorLine(t *testing.T) {
	in := canon("202205101145", Return, "1", "") + canon("202205101146", Return, "2", "") + "2022051011"
	sum, _, err := Check(&ioErrReader{data: []byte(in)}, "x", Options{Location: testLoc, Now: refNow})
	if !errors.Is(err, errDisk) || !strings.Contains(err.Error(), "line 3:") || sum.Lines != 2 {
		t.Fatalf("sum %+v err %v", sum, err)
	}
}

// chopReader returns its data in reads of random length.
type chopReader struct {
	data []byte
	rng  *rand.Rand
}

func (r *chopReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 1+r.rng.IntN(5000))], r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestMergeMatchesReference compares Merger, which reads inputs in
// chunks on goroutines, copies canonical lines and keeps a hash table of
// the current minute, with the plain rule: repeatedly the input whose next
// usable line is earliest (the first input on a tie), re-encoded, dropping
// a line identical to the previous kept line for its item in the current
// run of equal minutes of the output, and then every input's next lines
// identical to it. The random inputs go back in time now and then.
func TestMergeMatchesReference(t *testing.T) {
	old := mergeChunk
	t.Cleanup(func() { mergeChunk = old })
	mergeChunk = 0 // the smallest chunks: lines come from many of them
	opt := Options{Location: time.UTC, Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	type kept struct {
		ts   string
		line []byte
	}
	for seed := range 3 {
		rng := rand.New(rand.NewPCG(uint64(seed), 4))
		var inputs [][]kept
		m := NewMerger(opt)
		for i := range 3 {
			data := randomFile(rng, 3000)
			var in []kept
			rd := NewReader(bytes.NewReader(data), time.UTC)
			for {
				l, ok := rd.Next()
				if !ok {
					break
				}
				if l.Err == nil {
					in = append(in, kept{string(l.Raw[:TimeLen]), AppendLine(nil, l.Record)})
				}
			}
			inputs = append(inputs, in)
			m.Add(fmt.Sprint(i), &chopReader{data, rand.New(rand.NewPCG(uint64(seed), uint64(i)))}) // one rng per reader: they run at once
		}
		var out []kept
		dups, back := 0, 0
		for {
			best := -1
			for i, in := range inputs {
				if len(in) > 0 && (best < 0 || in[0].ts < inputs[best][0].ts) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			k := inputs[best][0]
			inputs[best] = inputs[best][1:]
			if n := len(out); n > 0 && k.ts < out[n-1].ts {
				back++
			}
			dup := false
			for j := len(out) - 1; j >= 0 && out[j].ts == k.ts; j-- {
				if bytes.Equal(itemField(out[j].line), itemField(k.line)) {
					dup = bytes.Equal(out[j].line, k.line)
					break
				}
			}
			if dup {
				dups++
			} else {
				out = append(out, k)
			}
			// Copies of this line at the other inputs' heads (or right
			// after it in its own input) are dropped at once.
			for again := true; again; {
				again = false
				for i, in := range inputs {
					if len(in) > 0 && bytes.Equal(in[0].line, k.line) {
						inputs[i] = in[1:]
						dups++
						again = true
					}
				}
			}
		}
		var want bytes.Buffer
		for _, k := range out {
			want.Write(k.line)
		}
		var got bytes.Buffer
		n, err := m.WriteTo(&got)
		if err != nil || n != int64(got.Len()) {
			t.Fatal(n, err)
		}
		if dups == 0 || back == 0 {
			t.Fatalf("seed %d: %d duplicates to drop, %d steps back in time: the test needs both", seed, dups, back)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) || m.Duplicates() != dups {
			gl, wl := strings.SplitAfter(got.String(), "\n"), strings.SplitAfter(want.String(), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Logf("line %d: got %q want %q", i+1, gl[i], wl[i])
					break
				}
			}
			t.Fatalf("seed %d: merge differs from the reference (%d vs %d bytes, %d vs %d duplicates)", seed, got.Len(), want.Len(), m.Duplicates(), dups)
		}
	}
}

// TestHashTabGrows keeps every entry of a generation across growth and
// forgets them all on reset.
func TestHashTabGrows(t *testing.T) {
	var tab hashTab
	tab.reset()
	find := func(k uint64) (uint32, bool) {
		for i := k & tab.mask; tab.slots[i].gen == tab.gen; i = (i + 1) & tab.mask {
			if tab.slots[i].key == k {
				return tab.slots[i].val, true
			}
		}
		return 0, false
	}
	const mul = 0x9E3779B97F4A7C15
	five := uint64(5)
	for round := range 3 {
		for k := range uint64(1000) {
			tab.insert(k*mul, uint32(k))
		}
		for k := range uint64(1000) {
			if v, ok := find(k * mul); !ok || v != uint32(k) {
				t.Fatalf("round %d key %d: %d %v", round, k, v, ok)
			}
		}
		tab.reset()
		if _, ok := find(five * mul); ok {
			t.Fatalf("round %d: entry survived reset", round)
		}
	}
}
