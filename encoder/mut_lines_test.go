package encoder

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

var mutOpt = Options{Location: time.UTC, Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}

// within runs f and fails the test if it does not return in time: check
// and merge must finish on any input, never wait for a buffer forever.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not finish within %v", what, d)
	}
}

// A file that is not an OffCirc file at all (a log or binary picked by
// mistake: many over-long lines in a row) is checked to its end: every
// over-long line is an error on its own line number and the good lines
// around them are counted. Merge of such an input writes its good lines.
func TestCheckManyLongLinesInARow(t *testing.T) {
	const long = 30 // more than check's and merge's buffers in flight
	var in strings.Builder
	in.WriteString(canon("202205101145", Loan, "1", "P1"))
	for i := range long {
		in.WriteString(strings.Repeat(string(rune('a'+i%26)), MaxLineLen+100+i) + "\n")
	}
	in.WriteString(canon("202205101146", Return, "1", ""))
	data := in.String()

	var want []string
	for i := range long {
		want = append(want, fmt.Sprintf("%d: error: %v", i+2, errTooLong))
	}
	for _, hint := range []int{0, 1} { // check's chunk size, its smallest buffer
		within(t, 20*time.Second, "check", func() {
			sum, probs, err := check(strings.NewReader(data), "f", mutOpt, hint)
			if err != nil {
				t.Error(err)
				return
			}
			if got := problemStrings(probs); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("hint %d: problems %q", hint, got)
			}
			if sum != (Summary{File: "f", Lines: long + 2, Loans: 1, Returns: 1, Errors: long}) {
				t.Errorf("hint %d: summary %+v", hint, sum)
			}
		})
	}
	old := mergeChunk
	t.Cleanup(func() { mergeChunk = old })
	for _, size := range []int{old, 0} {
		mergeChunk = size
		within(t, 20*time.Second, "merge", func() {
			m := NewMerger(mutOpt)
			m.Add("a", strings.NewReader(data))
			var out bytes.Buffer
			if _, err := m.WriteTo(&out); err != nil {
				t.Error(err)
				return
			}
			wantOut := canon("202205101145", Loan, "1", "P1") + canon("202205101146", Return, "1", "")
			sums, probs := m.Results()
			if out.String() != wantOut || sums[0].Errors != long || sums[0].Lines != long+2 {
				t.Errorf("chunk %d: merged %q, summary %+v", size, out.String(), sums[0])
			}
			if got := problemStrings(probs[0]); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("chunk %d: merge problems %q", size, got)
			}
		})
	}
}

// smallReads returns its data a few bytes per read, as a pipe or a slow
// share does.
type smallReads struct {
	data []byte
	n    int
}

func (r *smallReads) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.data)
	r.data = r.data[k:]
	return k, nil
}

// stalled returns its data and then, instead of EOF, nothing forever.
type stalled struct{ data []byte }

func (r *stalled) Read(p []byte) (int, error) {
	k := copy(p, r.data)
	r.data = r.data[k:]
	return k, nil
}

// Check reading from a pipe (`offcircd check -` with the file piped in,
// a few bytes per read) sees the same file as from disk; a reader that
// stops delivering without ending is an error, not a hang.
func TestCheckSmallReadsAndStalledInput(t *testing.T) {
	var in strings.Builder
	for i := range 200 {
		in.WriteString(canon(fmt.Sprint(202205101100+i/7), Loan, fmt.Sprint("I", i), "P1"))
	}
	in.WriteString("202205101200X1\r\n")
	data := []byte(in.String())
	wantSum, wantProbs, err := Check(bytes.NewReader(data), "f", mutOpt)
	if err != nil || wantSum.Lines != 201 || wantSum.Errors != 1 {
		t.Fatal(wantSum, err)
	}
	for _, n := range []int{1, 7, 93} {
		sum, probs, err := Check(&smallReads{data: data, n: n}, "f", mutOpt)
		if err != nil || sum != wantSum || strings.Join(problemStrings(probs), "\n") != strings.Join(problemStrings(wantProbs), "\n") {
			t.Fatalf("reads of %d bytes: %+v %v %v", n, sum, problemStrings(probs), err)
		}
		m := NewMerger(mutOpt)
		m.Add("a", &smallReads{data: data, n: n})
		var out bytes.Buffer
		if _, err := m.WriteTo(&out); err != nil || m.Written() != 200 {
			t.Fatalf("merge, reads of %d bytes: %d written, %v", n, m.Written(), err)
		}
	}
	within(t, 20*time.Second, "check of a stalled reader", func() {
		_, _, err := Check(&stalled{data: data[:1000]}, "f", mutOpt)
		if !errors.Is(err, io.ErrNoProgress) {
			t.Errorf("stalled input: %v, want %v", err, io.ErrNoProgress)
		}
	})
}

// A file that starts with an empty line followed by an over-long one:
// line 1 is the empty line (a warning), line 2 the long one (an error),
// and the lines after them count as they are.
func TestCheckEmptyLineBeforeLongLine(t *testing.T) {
	for _, longLen := range []int{MaxLineLen + 10, chunkSize + 10} {
		data := "\n" + strings.Repeat("x", longLen) + "\n" + canon("202205101145", Loan, "1", "P1")
		for _, hint := range []int{0, 1} {
			sum, probs, err := check(strings.NewReader(data), "f", mutOpt, hint)
			want := []string{"1: warning: empty line", fmt.Sprintf("2: error: %v", errTooLong)}
			if err != nil || strings.Join(problemStrings(probs), "\n") != strings.Join(want, "\n") || sum.Lines != 3 || sum.Loans != 1 {
				t.Fatalf("long %d hint %d: %+v %q %v", longLen, hint, sum, problemStrings(probs), err)
			}
		}
	}
}

// The last line of a file has no line end: up to MaxLineLen-1 bytes it is
// a torn write, from MaxLineLen bytes on it is too long to be a record, as
// the line-by-line Reader sees it.
func TestCheckTornLastLineAtTheLengthLimit(t *testing.T) {
	for _, n := range []int{MaxLineLen - 1, MaxLineLen, MaxLineLen + 1} {
		data := canon("202205101145", Loan, "1", "P1") + strings.Repeat("x", n)
		rd := NewReader(strings.NewReader(data), time.UTC)
		rd.Next()
		last, _ := rd.Next()
		want := []string{fmt.Sprintf("2: error: %v", last.Err)}
		if errors.Is(last.Err, ErrTorn) != (n < MaxLineLen) {
			t.Fatalf("%d bytes: the reader says %v", n, last.Err)
		}
		for _, hint := range []int{0, 1} {
			sum, probs, err := check(strings.NewReader(data), "f", mutOpt, hint)
			if err != nil || strings.Join(problemStrings(probs), "\n") != strings.Join(want, "\n") || sum.Lines != 2 {
				t.Fatalf("%d bytes hint %d: %+v %q %v, want %q", n, hint, sum, problemStrings(probs), err, want)
			}
		}
	}
}

// A big file in which runs of over-long lines (which check and merge skip
// without keeping) alternate with thousands of good and bad lines: check
// finds exactly the problems the line-by-line Reader finds, and merge
// writes exactly the good lines, whatever the buffer size. The buffers
// that back the chunks are recycled while others are still being parsed.
func TestCheckLongLineRunsBetweenManyLines(t *testing.T) {
	var b strings.Builder
	ts := 202205101100
	for block := range 12 {
		for i := range 1500 {
			if i%9 == 0 {
				ts++
			}
			switch i % 13 {
			case 5:
				fmt.Fprintf(&b, "%dX%d-%d\r\n", ts, block, i) // bad type
			case 7:
				fmt.Fprintf(&b, "%dR%d-%d\n", ts, block, i) // unpadded return
			default:
				b.WriteString(canon(fmt.Sprint(ts), Loan, fmt.Sprintf("%d-%d", block, i), fmt.Sprint("P", i%17)))
			}
		}
		for k := range 2 + block%3 {
			b.WriteString(strings.Repeat("#", MaxLineLen+k*777) + "\n")
		}
	}
	data := b.String()
	var want []string
	var wantOut bytes.Buffer
	rd := NewReader(strings.NewReader(data), time.UTC)
	for {
		l, ok := rd.Next()
		if !ok {
			break
		}
		if l.Err != nil {
			want = append(want, fmt.Sprintf("%d: error: %v", l.Num, l.Err))
			continue
		}
		wantOut.Write(AppendLine(nil, l.Record))
	}
	for _, hint := range []int{0, 1} {
		within(t, 60*time.Second, "check", func() {
			_, probs, err := check(strings.NewReader(data), "f", mutOpt, hint)
			var got []string // one entry per line, its errors joined as Reader joins them
			for i, p := range probs {
				switch {
				case p.Severity != SeverityError:
				case i > 0 && probs[i-1].Line == p.Line:
					got[len(got)-1] += "\n" + p.Msg
				default:
					got = append(got, p.String())
				}
			}
			if err != nil || strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("hint %d: %d problems (%v), the reader finds %d", hint, len(got), err, len(want))
			}
		})
	}
	old := mergeChunk
	t.Cleanup(func() { mergeChunk = old })
	for _, size := range []int{old, 0} {
		mergeChunk = size
		within(t, 60*time.Second, "merge", func() {
			m := NewMerger(mutOpt)
			m.Add("a", strings.NewReader(data))
			var out bytes.Buffer
			_, err := m.WriteTo(&out)
			if err != nil || !bytes.Equal(out.Bytes(), wantOut.Bytes()) {
				t.Errorf("chunk %d: merge wrote %d bytes (%v), want %d", size, out.Len(), err, wantOut.Len())
			}
		})
	}
}

// hiccups returns its data with a read of nothing (0, nil) before every
// piece, as some network file systems do now and then.
type hiccups struct {
	data []byte
	odd  bool
}

func (r *hiccups) Read(p []byte) (int, error) {
	if r.odd = !r.odd; r.odd {
		return 0, nil
	}
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), 500)], r.data)
	r.data = r.data[k:]
	return k, nil
}

// A reader that now and then returns nothing without an error is read to
// its end; a read error inside an over-long line names that line, as the
// line-by-line Reader does.
func TestCheckReadHiccupsAndErrorInLongLine(t *testing.T) {
	var in strings.Builder
	for i := range 100 {
		in.WriteString(canon(fmt.Sprint(202205101100+i/7), Loan, fmt.Sprint("I", i), "P1"))
	}
	sum, _, err := Check(&hiccups{data: []byte(in.String())}, "f", mutOpt)
	if err != nil || sum.Lines != 100 || sum.Loans != 100 {
		t.Fatalf("reads with empty ones between: %+v %v", sum, err)
	}
	data := canon("202205101145", Return, "1", "") + strings.Repeat("x", 2*chunkSize) // longer than check's buffer
	rd := NewReader(&ioErrReader{data: []byte(data)}, time.UTC)
	for {
		if _, ok := rd.Next(); !ok {
			break
		}
	}
	_, _, err = Check(&ioErrReader{data: []byte(data)}, "f", mutOpt)
	if !errors.Is(err, errDisk) || !errors.Is(rd.Err(), errDisk) || !strings.Contains(err.Error(), "line 2:") || !strings.Contains(rd.Err().Error(), "line 2:") {
		t.Fatalf("error inside the long line 2: check %v, reader %v", err, rd.Err())
	}
}
