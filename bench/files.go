//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/offcircd/offcircd/encoder"
)

// dayStart is the first minute of the generated day: in the past (check
// refuses future times) and fixed, so every run sorts the same input.
var dayStart = time.Date(2024, 3, 4, 8, 0, 0, 0, time.Local)

// dayMinutes is the opening time the records spread over (10 hours).
const dayMinutes = 600

// genDay writes stations files of perStation records each, as ten desks
// write them in a day (times non-decreasing per file, 60 % loans), and
// returns their paths and total size. The seed is fixed: the same bytes on
// every run.
func genDay(dir string, stations, perStation int) ([]string, int64, error) {
	rng := rand.New(rand.NewPCG(10, uint64(perStation)))
	var paths []string
	var total int64
	line := make([]byte, 0, 256)
	for s := range stations {
		path := filepath.Join(dir, fmt.Sprintf("desk-%02d.dat", s))
		f, err := os.Create(path)
		if err != nil {
			return nil, 0, fmt.Errorf("bench: %w", err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		for i := range perStation {
			r := genRecord(rng, s, i, perStation)
			line = encoder.AppendLine(line[:0], r)
			w.Write(line)
			total += int64(len(line))
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("bench: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, 0, fmt.Errorf("bench: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, total, nil
}

// genRecord is station s's i-th record of n: a unique item (so merge drops
// no duplicates) and, for loans, one of 5,000 patrons.
func genRecord(rng *rand.Rand, s, i, n int) encoder.Record {
	r := encoder.Record{
		Time: dayStart.Add(time.Duration(int64(i)*dayMinutes/int64(n)) * time.Minute),
		Type: encoder.Return,
		Item: fmt.Sprintf("3%02d%09d", s, i),
	}
	if rng.IntN(10) < 6 {
		r.Type = encoder.Loan
		r.Patron = fmt.Sprintf("2%09d", rng.IntN(5000)*7919)
	}
	return r
}

// timeCmd runs name with args (stdout to out when set) runs times and
// returns the fastest wall time: on a shared machine the minimum is the
// figure least disturbed by others.
func timeCmd(runs int, out string, name string, args ...string) (time.Duration, error) {
	best := time.Duration(0)
	for range runs {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		var f *os.File
		if out != "" {
			var err error
			if f, err = os.Create(out); err != nil {
				return 0, fmt.Errorf("bench: %w", err)
			}
			cmd.Stdout = f
		}
		t := time.Now()
		err := cmd.Run()
		d := time.Since(t)
		if f != nil {
			f.Close()
		}
		if err != nil {
			return 0, fmt.Errorf("bench: %s: %w: %s", name, err, bytes.TrimSpace(stderr.Bytes()))
		}
		if best == 0 || d < best {
			best = d
		}
	}
	return best, nil
}

// filesResult is section 6.
type filesResult struct {
	lines                  int
	bytes                  int64
	merge, sort, check, wc time.Duration
	mergeEqualsSort        bool
	runs                   int
}

// runFiles generates the day and times offcircd merge beside GNU sort -s
// on the same ten files (C locale: byte order, its fastest), and offcircd
// check beside wc -l on the merged file. Merge keeps each input's order
// within a minute and takes inputs in argument order, which is exactly a
// stable sort of the concatenation, so the two outputs must be identical.
func runFiles(bin, dir string, stations, perStation, runs int) (*filesResult, error) {
	paths, size, err := genDay(dir, stations, perStation)
	if err != nil {
		return nil, err
	}
	r := &filesResult{lines: stations * perStation, bytes: size, runs: runs}
	merged := filepath.Join(dir, "merged.dat")
	sorted := filepath.Join(dir, "sorted.dat")
	if r.merge, err = timeCmd(runs, "", bin, append([]string{"merge", "--force", "-o", merged}, paths...)...); err != nil {
		return nil, err
	}
	if r.sort, err = timeCmd(runs, sorted, "sort", append([]string{"-s", "-k1.1,1.12"}, paths...)...); err != nil {
		return nil, err
	}
	if r.check, err = timeCmd(runs, os.DevNull, bin, "check", merged); err != nil {
		return nil, err
	}
	if r.wc, err = timeCmd(runs, os.DevNull, "wc", "-l", merged); err != nil {
		return nil, err
	}
	a, err := os.ReadFile(merged)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	b, err := os.ReadFile(sorted)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	r.mergeEqualsSort = bytes.Equal(a, b)
	return r, nil
}

// mergeMemResult is section 7: merge of a gigabyte, as a station-class
// machine (1 GB of RAM) would have to do it.
type mergeMemResult struct {
	lines int
	bytes int64
	rssKB int64
	took  time.Duration
}

// mergeRSSTargetMB is the most a merge may hold in memory, whatever the
// size of its inputs: a station with 1 GB of RAM must merge a year of files.
const mergeRSSTargetMB = 64

// runMergeMem generates stations files of perStation records and merges
// them once, measuring the merge's peak resident memory: VmHWM of the
// merge process, read from /proc while it runs (the child's ru_maxrss would
// report this harness's own size: Linux carries the parent's high-water
// mark across a vfork and exec).
func runMergeMem(bin, dir string, stations, perStation int) (*mergeMemResult, error) {
	paths, size, err := genDay(dir, stations, perStation)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"merge", "--force", "-o", filepath.Join(dir, "merged.dat")}, paths...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: merge: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	r := &mergeMemResult{lines: stations * perStation, bytes: size}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			r.took = time.Since(t)
			if err != nil {
				return nil, fmt.Errorf("bench: merge: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
			}
			if r.rssKB == 0 {
				return nil, fmt.Errorf("bench: merge ended before its memory could be read")
			}
			return r, nil
		case <-tick.C:
			if s, err := sampleProc(cmd.Process.Pid); err == nil {
				r.rssKB = max(r.rssKB, s.hwmKB)
			}
		}
	}
}
