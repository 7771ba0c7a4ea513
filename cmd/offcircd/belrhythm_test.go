package main

import (
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/daemon/status"
)

// belListener records when each BEL byte arrives on a pty master: what a
// scanner with the `bel` beep profile would sound.
type belListener struct {
	mu sync.Mutex
	at []time.Time
}

func (l *belListener) run(read func([]byte) (int, error)) {
	buf := make([]byte, 64)
	for {
		n, err := read(buf)
		now := time.Now()
		l.mu.Lock()
		for _, b := range buf[:n] {
			if b == 0x07 {
				l.at = append(l.at, now)
			}
		}
		l.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// take waits until no BEL came for quiet, then returns the gaps between the
// BELs heard so far, and how many, and forgets them (0: none came).
func (l *belListener) take(quiet, limit time.Duration) (gaps []time.Duration, n int) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		l.mu.Lock()
		if len(l.at) > 0 && time.Since(l.at[len(l.at)-1]) > quiet {
			for i := 1; i < len(l.at); i++ {
				gaps = append(gaps, l.at[i].Sub(l.at[i-1]))
			}
			n = len(l.at)
			l.at = nil
			l.mu.Unlock()
			return gaps, n
		}
		l.mu.Unlock()
	}
	return nil, 0
}

// TestBelProfileRhythmThroughDaemon runs the built binary with a serial
// scanner whose beep profile is `bel` (a scanner with one beep command) on
// a pseudo-terminal and listens to what the daemon sends it: patron, double
// read, good and reject must differ by count and spacing, as
// feedback.Rhythm says.
func TestBelProfileRhythmThroughDaemon(t *testing.T) {
	bin := offcircdBinary(t)
	m, s, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	defer m.Close()
	port := s.Name()
	s.Close()
	dir := t.TempDir()
	cfg := writeHIDConfig(t, dir, `patron_pattern = '^P[0-9]+$'
item_pattern = '^[0-9]+$'

[[scanner]]
name       = "desk"
type       = "serial"
port       = `+quoteTOML(port)+`
terminator = "cr"
beep       = "bel"
`)
	cmd := exec.Command(bin, "run", "--config", cfg)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	waitStatus(t, filepath.Join(dir, "state", status.FileName), logs, func(st status.Status) bool {
		return len(st.Scanners) == 1 && st.Scanners[0].State == "connected"
	})
	l := &belListener{}
	go l.run(m.Read)

	for _, step := range []struct {
		scan string
		want feedback.Pattern
	}{
		{"P1234567", feedback.Patron},
		{"P1234567", feedback.Double}, // the same code again within double_read_window
		{"39000001", feedback.Good},
		{"OFFCIRC:NOPE", feedback.Reject},
	} {
		if _, err := m.Write([]byte(step.scan + "\r")); err != nil {
			t.Fatal(err)
		}
		gaps, n := l.take(900*time.Millisecond, 10*time.Second)
		want := feedback.Rhythm(step.want)
		if n != len(want)+1 {
			t.Fatalf("%s (%s): heard %d BEL, want %d%s\n%s", step.scan, step.want, n, len(want)+1, ptyIntruders(m, port, cmd.Process.Pid), logs.String())
		}
		// The count is exact. The spacing is measured here at the reading end
		// of a pty, where a loaded machine can wake the reader late for one
		// BEL and so shrink or stretch single gaps; the exact gaps are checked
		// in-process by feedback's TestScannerSinkRhythm. Here: no gap far too
		// long, and the pattern as a whole not much shorter than its rhythm.
		var span, rhythm time.Duration
		for i, g := range want {
			span, rhythm = span+gaps[i], rhythm+g
			if gaps[i] > g+400*time.Millisecond {
				t.Errorf("%s (%s): gap %d is %v, want %v", step.scan, step.want, i, gaps[i].Round(time.Millisecond), g)
			}
		}
		if span < rhythm-250*time.Millisecond {
			t.Errorf("%s (%s): the BELs span %v, want about %v", step.scan, step.want, span.Round(time.Millisecond), rhythm)
		}
		t.Logf("%-13s %-7s %d BEL, gaps %v", step.scan, step.want, n, gaps)
	}
}
