package main

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/daemon/status"
)

// TestStatusStopBounded: the last status write at stop (state "stopped")
// holds the stop at most for the bound when it hangs, as an fsync on a
// hung disk does, and says so in the log; a write that finishes is waited
// for, without a warning.
func TestStatusStopBounded(t *testing.T) {
	const warning = "the last status write has not finished"
	tests := []struct {
		name string
		hung bool
		wait time.Duration
	}{
		{"hung write", true, 200 * time.Millisecond},
		{"write that finishes", false, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			lastWrite := make(chan struct{}, 1)
			write := func(path string, s status.Status) error {
				if s.State == status.Stopped {
					lastWrite <- struct{}{}
					if tt.hung {
						<-release
					}
				}
				return nil
			}
			logs := &syncBuffer{}
			sw := status.NewWriter(status.WriterOptions{Path: filepath.Join(t.TempDir(), status.FileName), WriteFile: write})
			stop := startStatus(sw, slog.New(slog.NewTextHandler(logs, nil)))
			took := make(chan time.Duration, 1)
			go func() {
				start := time.Now()
				stop(tt.wait)
				took <- time.Since(start)
			}()
			var d time.Duration
			select {
			case d = <-took:
			case <-time.After(tt.wait + 10*time.Second):
				t.Fatalf("stop still waiting for the last status write after %v (bound %v)", tt.wait+10*time.Second, tt.wait)
			}
			select {
			case <-lastWrite:
			default:
				t.Fatal("stop returned before the last status write began")
			}
			if warned := strings.Contains(logs.String(), warning); warned != tt.hung || tt.hung && d < tt.wait || !tt.hung && d >= tt.wait {
				t.Errorf("stop took %v (bound %v), warned %v; log:\n%s", d, tt.wait, warned, logs.String())
			}
		})
	}
	if statusStopWait > 2*time.Second {
		t.Errorf("statusStopWait is %v: a hung disk would hold the stop that long", statusStopWait)
	}
}
