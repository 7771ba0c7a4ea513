//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/encoder"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name, in     string
		utime, stime uint64
		ok           bool
	}{
		{"plain", "4242 (offcircd) S 1 4242 4242 0 -1 4194560 1005 0 0 0 17 9 0 0 20 0 11 0 123 1 2", 17, 9, true},
		{"name with spaces and parens", "7 (a) b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 5 6 7", 3, 4, true},
		{"no name", "7 a R 1 2 3", 0, 0, false},
		{"short", "7 (x) R 1 2 3", 0, 0, false},
		{"bad utime", "7 (x) S 1 7 7 0 -1 0 0 0 0 0 x 4 0", 0, 0, false},
		{"empty", "", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, s, err := parseStat([]byte(tc.in))
			if (err == nil) != tc.ok || u != tc.utime || s != tc.stime {
				t.Fatalf("parseStat = %d, %d, %v; want %d, %d, ok=%v", u, s, err, tc.utime, tc.stime, tc.ok)
			}
		})
	}
}

const statusSample = "Name:\toffcircd\nVmPeak:\t 1262104 kB\nVmHWM:\t    9012 kB\nVmRSS:\t    8490 kB\nThreads:\t9\n"

func TestParseStatusKB(t *testing.T) {
	for _, tc := range []struct {
		in, key string
		want    int64
		ok      bool
	}{
		{statusSample, "VmRSS", 8490, true},
		{statusSample, "VmHWM", 9012, true},
		{statusSample, "VmSwap", 0, false},
		{"VmRSS:\t12 MB\n", "VmRSS", 0, false},
		{"VmRSS:\t-1 kB\n", "VmRSS", 0, false},
		{"VmRSS:\n", "VmRSS", 0, false},
	} {
		got, err := parseStatusKB([]byte(tc.in), tc.key)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseStatusKB(%q, %s) = %d, %v; want %d ok=%v", tc.in, tc.key, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseSchedstat(t *testing.T) {
	if n, err := parseSchedstat([]byte("123456 789 10\n")); err != nil || n != 123456 {
		t.Fatalf("got %d, %v", n, err)
	}
	for _, in := range []string{"", "x 1 2", "-5 1 2"} {
		if _, err := parseSchedstat([]byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestSampleProcSelf(t *testing.T) {
	s, err := sampleProc(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if s.rssKB <= 0 || s.hwmKB < s.rssKB {
		t.Fatalf("implausible memory: %+v", s)
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("4242 (offcircd) S 1 4242 4242 0 -1 4194560 1005 0 0 0 17 9 0 0 20"))
	f.Add([]byte(")))"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, _, err := parseStat(b); err != nil && !strings.Contains(err.Error(), "unexpected /proc format") {
			t.Fatalf("unwrapped error %v", err)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(statusSample))
	f.Add([]byte("VmRSS:"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := parseStatusKB(b, "VmRSS"); err == nil && n < 0 {
			t.Fatalf("negative size %d", n)
		}
		parseSchedstat(b)
	})
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {1, time.Millisecond}} {
		if got := percentile(d, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if d[0] != 100*time.Millisecond {
		t.Error("percentile sorted its input in place")
	}
	if percentile(nil, 50) != 0 || median([]time.Duration{7}) != 7 {
		t.Error("edge cases")
	}
}

// burstFile builds a data file of the given items as the store writes them.
func burstFile(t *testing.T, items ...string) []byte {
	var b []byte
	for _, it := range items {
		ln, err := encoder.Encode(encoder.Record{Time: dayStart, Type: encoder.Return, Item: it})
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, ln...)
	}
	return b
}

func TestCheckBurst(t *testing.T) {
	all := []string{burstItem(0, 0), burstItem(1, 0), burstItem(0, 1), burstItem(1, 1)}
	good := burstFile(t, all...)
	torn := append(burstFile(t, all[:2]...), good[len(good)/2+5:]...) // two half lines glued
	for _, tc := range []struct {
		name string
		data []byte
		want burstCheck
	}{
		{"all there", good, burstCheck{lines: 4}},
		{"one lost", burstFile(t, all[0], all[1], all[3]), burstCheck{lines: 3, lost: 1}},
		{"reordered", burstFile(t, all[2], all[1], all[0], all[3]), burstCheck{lines: 4, outOfOrder: 1}},
		{"duplicate", burstFile(t, append(all, all[1])...), burstCheck{lines: 5, duplicates: 1}},
		{"foreign item", burstFile(t, append(all, "B9-000000")...), burstCheck{lines: 5, malformed: 1}},
		{"interleaved bytes", torn, burstCheck{lines: 4, malformed: 1, lost: 1}},
		{"empty", nil, burstCheck{lost: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkBurst(tc.data, 2, 2); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseBurstItem(t *testing.T) {
	for _, tc := range []struct {
		in   string
		s, n int
		ok   bool
	}{
		{"B3-000017", 3, 17, true},
		{"B3-17", 0, 0, false},
		{"X3-000017", 0, 0, false},
		{"B8-000001", 0, 0, false}, // scanner out of range
		{"B1-001000", 0, 0, false}, // scan out of range
		{"B-1-000001", 0, 0, false},
	} {
		s, n, ok := parseBurstItem(tc.in, 8, 1000)
		if s != tc.s || n != tc.n || ok != tc.ok {
			t.Errorf("%s: %d %d %v", tc.in, s, n, ok)
		}
	}
}

// The generated day must be what check and merge accept as clean input:
// valid lines, times never going backwards, no duplicates.
func TestGenDay(t *testing.T) {
	dir := t.TempDir()
	paths, size, err := genDay(dir, 3, 500)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	seen := map[string]bool{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		total += int64(len(b))
		sum, probs, err := encoder.Check(bytes.NewReader(b), p, encoder.Options{})
		if err != nil || len(probs) != 0 {
			t.Fatalf("%s: %v %v %+v", p, err, probs, sum)
		}
		var last time.Time
		for ln := range bytes.Lines(b) {
			r, err := encoder.ParseLine(ln, time.Local)
			if err != nil {
				t.Fatal(err)
			}
			if r.Time.Before(last) || seen[r.Item] {
				t.Fatalf("%s: %q out of order or duplicate", p, ln)
			}
			last, seen[r.Item] = r.Time, true
		}
	}
	if total != size || len(seen) != 1500 {
		t.Fatalf("size %d (reported %d), %d items", total, size, len(seen))
	}
	// Fixed seed: the same input every run, so runs are comparable.
	again, _, _ := genDay(t.TempDir(), 3, 500)
	a, _ := os.ReadFile(paths[2])
	b, _ := os.ReadFile(again[2])
	if !bytes.Equal(a, b) {
		t.Fatal("generated day differs between runs")
	}
}

func TestGenRecordLoansHavePatrons(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	loans := 0
	for i := range 1000 {
		r := genRecord(rng, 4, i, 1000)
		if err := r.Validate(); err != nil {
			t.Fatal(err)
		}
		if r.Type == encoder.Loan {
			loans++
		}
	}
	if loans < 500 || loans > 700 {
		t.Fatalf("%d loans of 1000, want about 600", loans)
	}
}

func TestTableAndJSON(t *testing.T) {
	r := &Results{Commit: "abc", Rows: []Row{
		{Section: "1 x", Name: "p99", Value: 1.5, Unit: "ms", FloorName: "floor", Floor: 1, Ratio: 1.5, Target: "≤ 1.3×", Pass: pass(false), Note: "why"},
		{Section: "1 x", Name: "lost", Value: 0, Unit: "records", Target: "0", Pass: pass(true)},
	}, Failures: []string{"idle: boom"}}
	var b strings.Builder
	printTable(&b, r)
	out := b.String()
	for _, want := range []string{"1.50 ms", "1.00 ms floor", "1.50×", "NO", "yes", "0 records", "notes:", "why", "FAILED: idle: boom"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if table, _, _ := strings.Cut(out, "notes:"); strings.Count(table, "1 x") != 1 {
		t.Errorf("section repeated:\n%s", out)
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := writeJSON(path, r); err != nil {
		t.Fatal(err)
	}
	var back Results
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &back); err != nil || len(back.Rows) != 2 || *back.Rows[0].Pass || back.Rows[0].Ratio != 1.5 {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	if !correct(r.Rows) || correct([]Row{{Unit: "records", Pass: pass(false)}}) {
		t.Error("correct() misjudges the correctness rows")
	}
}

func TestFmtNum(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 1234.5: "1234", 123.45: "123.5", 1.234: "1.23", 0.01234: "0.0123"} {
		if got := fmtNum(in); got != want {
			t.Errorf("fmtNum(%v) = %s, want %s", in, got, want)
		}
	}
}
