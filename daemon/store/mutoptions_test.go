package store

import (
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// triesWhileFailing opens a store with min and max as its retry bounds,
// spools one record with the data file failing and runs the background
// drain for window; it returns how often the drain tried the data file.
func triesWhileFailing(t *testing.T, min, max, window time.Duration) int64 {
	t.Helper()
	e := newEnv(t)
	o := e.opts()
	o.RetryMin, o.RetryMax = min, max
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var tries atomic.Int64
	s.mu.Lock()
	s.failData = func() error {
		tries.Add(1)
		return &os.PathError{Op: "write", Path: s.dataPath, Err: syscall.ENOSPC}
	}
	s.mu.Unlock()
	mustAppend(t, s, 0, true)
	ctx, cancel := contextWithCancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	time.Sleep(window)
	cancel()
	<-done
	return tries.Load() - 1 // the append's own try
}

// The retry bounds as configured: unset, the drain waits 500 ms first
// (never a tight loop against a failing share); a maximum caps the
// backoff; equal bounds retry at that fixed interval.
func TestRetryBounds(t *testing.T) {
	tests := []struct {
		name        string
		min, max    time.Duration
		window      time.Duration
		least, most int64
		what        string
	}{
		{"unset: 500 ms first", 0, 0, 300 * time.Millisecond, 0, 0, "no retry before 500 ms"},
		{"max caps the backoff", 5 * time.Millisecond, 20 * time.Millisecond, 400 * time.Millisecond, 9, 100, "a retry every 20 ms at most"},
		{"equal bounds: fixed interval", 20 * time.Millisecond, 20 * time.Millisecond, 400 * time.Millisecond, 8, 25, "a retry every 20 ms"},
		{"max below min: raised", 20 * time.Millisecond, time.Millisecond, 400 * time.Millisecond, 1, 5, "backoff from 20 ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := triesWhileFailing(t, tt.min, tt.max, tt.window)
			if n < tt.least || n > tt.most {
				t.Fatalf("%d retries in %v with RetryMin %v, RetryMax %v; want %d..%d (%s)", n, tt.window, tt.min, tt.max, tt.least, tt.most, tt.what)
			}
		})
	}
}

// The drain's log line says how many records went from the spool into
// the data file, once per drain that moved any; a retry that finds
// nothing to move logs nothing.
func TestDrainLogCountsRecords(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	blockData(s)
	mustAppend(t, s, 0, true)
	mustAppend(t, s, 1, true)
	unblockData(s)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	logs := e.logs.String()
	if n := strings.Count(logs, "spool drained into the data file"); n != 1 {
		t.Fatalf("%d drain log lines, want 1:\n%s", n, logs)
	}
	_, after, _ := strings.Cut(logs, "spool drained into the data file")
	if l, _, _ := strings.Cut(after, "\n"); !strings.Contains(l, "records=2") {
		t.Fatalf("drain log line does not count 2 records:\n%s", logs)
	}
}
