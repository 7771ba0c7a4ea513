package encoder

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"
)

// genFile returns n canonical lines like a busy desk's: mostly loans, some
// returns, a few scans per minute, 8–14 character barcodes and patron IDs.
func genFile(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	t := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	buf := make([]byte, 0, n*105)
	for i := 0; i < n; i++ {
		if rng.IntN(3) == 0 {
			t = t.Add(time.Minute)
		}
		r := Record{Time: t, Type: Loan, Item: fmt.Sprintf("3%0*d", 7+rng.IntN(7), rng.Uint64()%1e13),
			Patron: fmt.Sprintf("P%0*d", 7+rng.IntN(7), rng.Uint64()%1e13)}
		if rng.IntN(4) == 0 {
			r.Type, r.Patron = Return, ""
		}
		buf = AppendLine(buf, r)
	}
	return buf
}

const benchLines = 200_000

var benchNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkParse reads records (with their strings and times) through Reader.
func BenchmarkParse(b *testing.B) {
	data := genFile(benchLines, 1)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd := NewReader(bytes.NewReader(data), time.UTC)
		n := 0
		for {
			l, ok := rd.Next()
			if !ok {
				break
			}
			if l.Err != nil {
				b.Fatal(l.Err)
			}
			n++
		}
		if n != benchLines {
			b.Fatal(n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLines), "ns/line")
}

// BenchmarkCheck is what `offcircd check` does per file (duplicate index
// included).
func BenchmarkCheck(b *testing.B) {
	data := genFile(benchLines, 2)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sum, _, err := check(bytes.NewReader(data), "f", Options{Location: time.UTC, Now: benchNow}, len(data)/(ReturnLen+2))
		if err != nil || sum.Lines != benchLines || sum.Errors != 0 {
			b.Fatal(sum, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLines), "ns/line")
}

// BenchmarkMerge merges three stations' files of benchLines/3 lines each.
func BenchmarkMerge(b *testing.B) {
	var inputs [][]byte
	total := 0
	for i := range 3 {
		d := genFile(benchLines/3, uint64(10+i))
		inputs = append(inputs, d)
		total += len(d)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		m := NewMerger(Options{Location: time.UTC, Now: benchNow})
		for i, d := range inputs {
			m.Add(fmt.Sprint(i), bytes.NewReader(d))
		}
		if _, err := m.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
