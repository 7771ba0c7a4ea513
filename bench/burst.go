//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/offcircd/offcircd/encoder"
)

// burstResult is section 3.
type burstResult struct {
	scanners, perScanner int
	rounds               int
	elapsed              time.Duration // per round first pty write → last record in the file, summed
	floorN               int           // floor writes in all
	floorElapsed         time.Duration // their time
	check                burstCheck
}

func (r *burstResult) rate() float64 {
	return float64(r.scanners*r.perScanner) / r.elapsed.Seconds()
}

func (r *burstResult) floorRate() float64 { return float64(r.floorN) / r.floorElapsed.Seconds() }

// burstRounds splits the burst, and the floor beside it, into rounds: a
// shared disk whose speed drifts over seconds then moves the floor with
// the burst instead of against it (one floor before one burst gave 0.41×
// to 1.77× with the same code in consecutive runs on a loaded machine).
const burstRounds = 8

func floorWrites(path string, n int) (time.Duration, error) {
	t := time.Now()
	for range n {
		if _, err := floorWrite(path, floorLine); err != nil {
			return 0, err
		}
	}
	return time.Since(t), nil
}

// burstCheck is what the data file holds after a burst.
type burstCheck struct {
	lines      int
	malformed  int // lines the encoder's reader refuses, or foreign items: torn or interleaved writes
	lost       int // expected scans not in the file
	duplicates int
	outOfOrder int // a scanner's scan after a later one of the same scanner
}

// burstItem is the barcode of scanner s's n-th scan.
func burstItem(s, n int) string { return fmt.Sprintf("B%d-%06d", s, n) }

// runBurst has each of scanners pty scanners send perScanner scans as fast
// as the pty takes them, all at once, and times until the last record is in
// the data file. The burst runs in burstRounds rounds; floor writes before
// each round and after the last (floorN of them in all) measure the
// folder's sequential fsync rate while the daemon is idle.
func runBurst(dir string, scanners, perScanner, floorN int, timeout time.Duration) (*burstResult, error) {
	p, err := startPipeline(dir, scanners)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	rounds := min(burstRounds, perScanner)
	r := &burstResult{scanners: scanners, perScanner: perScanner, rounds: rounds}
	floorPath := filepath.Join(filepath.Dir(p.dataPath), "floor.dat")
	floorSeg := max(floorN/(rounds+1), 1)
	floor := func() error {
		d, err := floorWrites(floorPath, floorSeg)
		r.floorN += floorSeg
		r.floorElapsed += d
		return err
	}
	for round := range rounds {
		if err := floor(); err != nil {
			return nil, err
		}
		from, to := round*perScanner/rounds, (round+1)*perScanner/rounds
		var wg sync.WaitGroup
		werr := make(chan error, scanners)
		t := time.Now()
		for s, m := range p.masters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := from; n < to; n++ {
					if _, err := m.Write([]byte(burstItem(s, n) + "\r")); err != nil {
						werr <- fmt.Errorf("bench: pty %d write: %w", s, err)
						return
					}
				}
			}()
		}
		want := scanners * to
		lines, err := waitLines(p.dataPath, want, timeout)
		r.elapsed += time.Since(t)
		wg.Wait()
		close(werr)
		if err := errors.Join(err, <-werr); err != nil {
			return nil, fmt.Errorf("%w (%d of %d records after %s; daemon said: %v)", err, lines, want, r.elapsed.Round(time.Millisecond), p.logs.problems)
		}
	}
	if err := floor(); err != nil {
		return nil, err
	}
	if err := p.stop(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p.dataPath)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	r.check = checkBurst(b, scanners, perScanner)
	return r, nil
}

// waitLines polls path every millisecond until it holds n complete lines.
// Polling only reads the new bytes, so it costs little beside the daemon.
func waitLines(path string, n int, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	var off int64
	lines := 0
	buf := make([]byte, 256*1024)
	for {
		if f, err := os.Open(path); err == nil {
			for {
				k, err := f.ReadAt(buf, off)
				lines += bytes.Count(buf[:k], []byte{'\n'})
				off += int64(k)
				if err != nil || k == 0 {
					break
				}
			}
			f.Close()
		}
		if lines >= n {
			return lines, nil
		}
		if time.Now().After(deadline) {
			return lines, fmt.Errorf("bench: burst not done within %s", timeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// checkBurst reads the data file as Alma would and checks every scan is
// there exactly once, whole, and in each scanner's order.
func checkBurst(data []byte, scanners, perScanner int) burstCheck {
	var c burstCheck
	next := make([]int, scanners)
	seen := make(map[string]bool, scanners*perScanner)
	rd := encoder.NewReader(bytes.NewReader(data), time.Local)
	for {
		ln, ok := rd.Next()
		if !ok {
			break
		}
		c.lines++
		if ln.Err != nil {
			c.malformed++
			continue
		}
		s, n, ok := parseBurstItem(ln.Record.Item, scanners, perScanner)
		if !ok || ln.Record.Type != encoder.Return {
			c.malformed++
			continue
		}
		if seen[ln.Record.Item] {
			c.duplicates++
			continue
		}
		seen[ln.Record.Item] = true
		if n < next[s] {
			c.outOfOrder++
		}
		next[s] = max(next[s], n+1)
	}
	c.lost = scanners*perScanner - len(seen)
	return c
}

func parseBurstItem(item string, scanners, perScanner int) (s, n int, ok bool) {
	a, b, found := strings.Cut(strings.TrimPrefix(item, "B"), "-")
	if !found || !strings.HasPrefix(item, "B") {
		return 0, 0, false
	}
	s, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || s < 0 || s >= scanners || n < 0 || n >= perScanner || burstItem(s, n) != item {
		return 0, 0, false
	}
	return s, n, true
}
