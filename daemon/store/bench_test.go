package store

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/offcircd/offcircd/encoder"
)

func benchStore(tb testing.TB) *Store {
	dir := tb.TempDir()
	s, err := Open(Options{DataDir: filepath.Join(dir, "files"), StateDir: filepath.Join(dir, "state"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// floorWrite is the least any durable append can cost: open, one write,
// fsync, close, on the same directory.
func floorWrite(path string, line []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// BenchmarkAppend measures Store.Append of a loan line.
func BenchmarkAppend(b *testing.B) {
	s := benchStore(b)
	for i := 0; b.Loop(); i++ {
		if _, err := s.Append(testRec(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloor measures floorWrite of the same line length.
func BenchmarkFloor(b *testing.B) {
	s := benchStore(b)
	path := filepath.Join(filepath.Dir(s.Path()), "floor.dat")
	ln := []byte(line(b, testRec(0)))
	for b.Loop() {
		if err := floorWrite(path, ln); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendVsFloor interleaves Append and the floor in the same run
// and directory and reports both latency distributions and their ratio, so
// `make bench` prints p50/p99 next to the floor.
func BenchmarkAppendVsFloor(b *testing.B) {
	s := benchStore(b)
	floorPath := filepath.Join(filepath.Dir(s.Path()), "floor.dat")
	var app, floor []time.Duration
	for i := 0; b.Loop(); i++ {
		a, f, err := latencyPair(s, floorPath, i)
		if err != nil {
			b.Fatal(err)
		}
		app, floor = append(app, a), append(floor, f)
	}
	r := summarize(app, floor)
	b.ReportMetric(us(r.appP50), "append-p50-µs")
	b.ReportMetric(us(r.appP99), "append-p99-µs")
	b.ReportMetric(us(r.floorP50), "floor-p50-µs")
	b.ReportMetric(us(r.floorP99), "floor-p99-µs")
	b.ReportMetric(r.ratio50, "p50-ratio")
	b.ReportMetric(r.ratio99, "p99-ratio")
}

func latencyPair(s *Store, floorPath string, i int) (app, floor time.Duration, err error) {
	ln, err := encoder.Encode(testRec(i))
	if err != nil {
		return 0, 0, err
	}
	t := time.Now()
	if err := floorWrite(floorPath, ln); err != nil {
		return 0, 0, err
	}
	floor = time.Since(t)
	t = time.Now()
	if _, err := s.Append(testRec(i)); err != nil {
		return 0, 0, err
	}
	return time.Since(t), floor, nil
}

type latency struct {
	appP50, appP99, floorP50, floorP99 time.Duration
	ratio50, ratio99                   float64
}

func summarize(app, floor []time.Duration) latency {
	var r latency
	r.appP50, r.appP99 = pct(app, 50), pct(app, 99)
	r.floorP50, r.floorP99 = pct(floor, 50), pct(floor, 99)
	if r.floorP50 > 0 {
		r.ratio50 = float64(r.appP50) / float64(r.floorP50)
	}
	if r.floorP99 > 0 {
		r.ratio99 = float64(r.appP99) / float64(r.floorP99)
	}
	return r
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// TestAppendLatencyReport prints an append-vs-floor latency table when
// OFFCIRC_BENCH=1 (make bench); skipped otherwise to keep tests fast.
func TestAppendLatencyReport(t *testing.T) {
	if os.Getenv("OFFCIRC_BENCH") != "1" {
		t.Skip("set OFFCIRC_BENCH=1 to measure append latency against the fsync floor")
	}
	s := benchStore(t)
	floorPath := filepath.Join(filepath.Dir(s.Path()), "floor.dat")
	const n = 500
	var app, floor []time.Duration
	for i := range n {
		a, f, err := latencyPair(s, floorPath, i)
		if err != nil {
			t.Fatal(err)
		}
		app, floor = append(app, a), append(floor, f)
	}
	r := summarize(app, floor)
	fmt.Printf("store append latency, %d samples, dir %s\n", n, filepath.Dir(s.Path()))
	fmt.Printf("  %-28s %10s %10s\n", "", "p50", "p99")
	fmt.Printf("  %-28s %10s %10s\n", "Append", r.appP50.Round(time.Microsecond), r.appP99.Round(time.Microsecond))
	fmt.Printf("  %-28s %10s %10s\n", "floor open+write+fsync+close", r.floorP50.Round(time.Microsecond), r.floorP99.Round(time.Microsecond))
	fmt.Printf("  %-28s %10.2f %10.2f\n", "ratio", r.ratio50, r.ratio99)
}
