package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/daemon/feedback/feedbacktest"
	"github.com/offcircd/offcircd/daemon/store"
)

// The store's status drives the alarm: not-stored while nothing can be
// stored, write-failure while records spool, silence when healthy.
func TestStoreAlarmPattern(t *testing.T) {
	clk := feedbacktest.NewClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	pc := feedbacktest.NewRecorder("pc", clk)
	fb := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{pc}, Clock: clk, AlarmInterval: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); fb.Run(ctx) }()
	defer func() { cancel(); <-done }()
	a := newStoreAlarm(fb)
	a.set(store.Status{Degraded: true, NotStored: true})
	if !pc.WaitFor(1, 5*time.Second) {
		t.Fatal("no alarm")
	}
	a.set(store.Status{Degraded: true, SpoolDepth: 1})
	clk.WaitTimers(1, 5*time.Second)
	clk.Advance(time.Second)
	if !pc.WaitFor(2, 5*time.Second) {
		t.Fatal("no repetition")
	}
	if got := pc.Patterns(); got[0] != feedback.NotStored || got[1] != feedback.WriteFailure {
		t.Fatalf("alarm played %v", got)
	}
	a.set(store.Status{})
	if on, _ := fb.Alarm(); on {
		t.Fatal("alarm still on with a healthy store")
	}
}
