//go:build linux

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/offcircd/offcircd/daemon/feedback"
)

// latencyResult holds the samples of sections 1 and 2, taken from the
// same scans, and the floor taken between them.
type latencyResult struct {
	durable, beep, floor []time.Duration
}

// warmup scans are not counted: the first record creates the file and
// fsyncs the folder, and the first scans warm caches and the scheduler.
const warmup = 10

// runLatency sends n scans one at a time through one pty scanner and times
// each from the write to the pty master to (a) IN_CLOSE_WRITE of the data
// file, which the store does after fsync, and (b) the good beep handed to
// the in-process sink. After each scan one floor write is timed in the
// same folder, so floor and daemon see the same disk and load.
func runLatency(dir string, n int) (*latencyResult, error) {
	p, err := startPipeline(dir, 1)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	w, err := newCloseWatch(filepath.Dir(p.dataPath), filepath.Base(p.dataPath))
	if err != nil {
		return nil, err
	}
	defer w.Close()
	floorPath := filepath.Join(filepath.Dir(p.dataPath), "floor.dat")
	r := &latencyResult{}
	m := p.masters[0]
	for i := range n + warmup {
		code := fmt.Sprintf("LAT%07d", i)
		t := time.Now()
		if _, err := m.Write([]byte(code + "\r")); err != nil {
			return nil, fmt.Errorf("bench: pty write: %w", err)
		}
		var durable, beeped time.Duration
		timeout := time.After(10 * time.Second)
		for durable == 0 || beeped == 0 {
			select {
			case at := <-w.ch:
				durable = at.Sub(t)
			case b := <-p.sink.ch:
				if b.p != feedback.Good {
					return nil, fmt.Errorf("bench: scan %d (%s): daemon played %q, not good (%v)", i, code, b.p, p.logs.problems)
				}
				beeped = b.at.Sub(t)
			case <-timeout:
				return nil, fmt.Errorf("bench: scan %d (%s): no record/beep within 10s (durable %v, beep %v)", i, code, durable, beeped)
			}
		}
		f, err := floorWrite(floorPath, floorLine)
		if err != nil {
			return nil, err
		}
		if i >= warmup {
			r.durable = append(r.durable, durable)
			r.beep = append(r.beep, beeped)
			r.floor = append(r.floor, f)
		}
	}
	if err := p.stop(); err != nil {
		return nil, err
	}
	// Every scan must be in the file, once, in order.
	b, err := os.ReadFile(p.dataPath)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	i := 0
	for sc.Scan() {
		want := fmt.Sprintf("LAT%07d ", i)
		if ln := sc.Bytes(); len(ln) < 13+len(want) || string(ln[13:13+len(want)]) != want {
			return nil, fmt.Errorf("bench: line %d is %q, want item %s", i+1, ln, want)
		}
		i++
	}
	if i != n+warmup {
		return nil, errors.New("bench: " + fmt.Sprint(n+warmup-i) + " scans missing from the data file")
	}
	return r, nil
}
