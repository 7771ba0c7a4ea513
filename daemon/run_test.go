package daemon

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/daemon/feedback/feedbacktest"
	"github.com/offcircd/offcircd/devices"
)

// chanSource is a scanner fed by the test.
type chanSource struct {
	name string
	in   chan string
}

func (c *chanSource) Name() string { return c.name }

func (c *chanSource) Run(ctx context.Context, out chan<- devices.Event) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case data := <-c.in:
			select {
			case out <- devices.Event{Kind: devices.KindScan, Source: c.name, Time: time.Now(), Data: data}:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

func count(ps []feedback.Pattern, p feedback.Pattern) int {
	n := 0
	for _, q := range ps {
		if q == p {
			n++
		}
	}
	return n
}

// TestRunWriteFailureSpoolsAlarmsAndDrains runs the whole daemon: a record
// while the data folder is gone goes to the spool with the write-failure
// pattern, the alarm repeats while degraded, and once the folder is back
// the spool drains in order, exactly once, and the alarm stops.
func TestRunWriteFailureSpoolsAlarmsAndDrains(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Trial()
	cfg.DataDir, cfg.StateDir = filepath.Join(dir, "files"), filepath.Join(dir, "state")
	cfg.DefaultMode, cfg.Timezone = "return", "UTC"
	cfg.AlarmInterval.Duration = 200 * time.Millisecond
	cfg.WriteTimeout.Duration = config.MaxWriteTimeout // a slow fsync under load is not the failure tested here
	rec := feedbacktest.NewRecorder("rec", nil)
	src := &chanSource{name: "desk", in: make(chan string)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	d, err := New(cfg, Options{Sources: []devices.Source{src}, Sinks: []feedback.Sink{rec}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	data := filepath.Join(cfg.DataDir, cfg.FileName)
	lines := func() int {
		b, _ := os.ReadFile(data)
		return bytes.Count(b, []byte("\r\n"))
	}

	src.in <- "30000001"
	waitFor(t, func() bool { return count(rec.Patterns(), feedback.Good) == 1 })
	if lines() != 1 {
		t.Fatalf("good beep but %d lines on disk", lines())
	}

	// The share is gone (unmounted, deleted): the record must still be kept.
	if err := os.RemoveAll(cfg.DataDir); err != nil {
		t.Fatal(err)
	}
	src.in <- "30000002"
	waitFor(t, func() bool { return count(rec.Patterns(), feedback.WriteFailure) >= 3 })
	if count(rec.Patterns(), feedback.Good) != 1 {
		t.Fatal("good beep for a record that is not in the data file")
	}
	spool, _ := os.ReadFile(filepath.Join(cfg.StateDir, "spool.dat"))
	if !bytes.Contains(spool, []byte("R30000002")) {
		t.Fatalf("record not in the spool: %q", spool)
	}

	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return lines() == 1 }) // a fresh file, the old one was deleted
	// The alarm stops once the drain is done: no new write-failure for
	// three alarm intervals, within a bound generous for a loaded machine.
	for deadline := time.Now().Add(10 * time.Second); ; {
		alarms := count(rec.Patterns(), feedback.WriteFailure)
		time.Sleep(3 * cfg.AlarmInterval.Duration)
		if n := count(rec.Patterns(), feedback.WriteFailure); n == alarms {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("alarm still repeating 10 s after the drain: %d → %d", alarms, n)
		}
	}

	src.in <- "30000003"
	waitFor(t, func() bool { return count(rec.Patterns(), feedback.Good) == 2 })
	b, _ := os.ReadFile(data)
	if got := string(b); !bytes.Contains(b, []byte("R30000002")) || bytes.Index(b, []byte("30000002")) > bytes.Index(b, []byte("30000003")) || lines() != 2 {
		t.Fatalf("data file after drain = %q, want 30000002 then 30000003", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
