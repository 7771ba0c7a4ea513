package feedback_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/daemon/feedback/feedbacktest"
)

// While the write-failure alarm is on, scans go on: their own beeps (good,
// reject, patron) do not push the alarm's next repetition back. Only a
// beep that sounds what the alarm sounds counts as a repetition.
func TestAlarmNotDelayedByScanBeeps(t *testing.T) {
	for _, alarm := range []feedback.Pattern{feedback.WriteFailure, feedback.NotStored} {
		t.Run(string(alarm), func(t *testing.T) {
			clk := feedbacktest.NewClock(t0)
			pc := feedbacktest.NewRecorder("pc", clk)
			d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{pc}, Clock: clk, AlarmInterval: 5 * time.Second})
			start(t, d)
			d.SetAlarmPattern(alarm)
			d.SetAlarm(true)
			if !pc.WaitFor(1, wait) || !clk.WaitTimers(1, wait) {
				t.Fatal("alarm did not sound")
			}
			for i, p := range []feedback.Pattern{feedback.Good, feedback.Reject, feedback.Patron} {
				clk.Advance(time.Second)
				d.Play(p, "desk")
				if !pc.WaitFor(2+i, wait) {
					t.Fatalf("%s not played", p)
				}
			}
			clk.Advance(2 * time.Second) // 5 s after the alarm sounded
			if !pc.WaitFor(5, wait) {
				t.Fatalf("alarm did not repeat 5 s after it sounded: %v", pc.Patterns())
			}
			got := pc.Played()[4]
			if got.Pattern != alarm || got.At.Sub(t0) != 5*time.Second {
				t.Fatalf("5th play %s at %v, want %s at 5s", got.Pattern, got.At.Sub(t0), alarm)
			}
		})
	}
}

// Wait (run --until-done) waits for patterns that are queued but that no
// sink has taken yet: the last scan's beep is not cut off by the exit.
func TestWaitCountsPatternsNotYetTaken(t *testing.T) {
	clk := feedbacktest.NewClock(t0)
	pc := feedbacktest.NewRecorder("pc", clk)
	d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{pc}, Clock: clk})
	d.Play(feedback.Good, "desk") // before Run: queued, not taken
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Wait(ctx) }()
	select {
	case err := <-done:
		t.Fatalf("Wait returned (%v) with a pattern still queued", err)
	case <-time.After(100 * time.Millisecond):
	}
	start(t, d)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := pc.Patterns(); !slices.Equal(got, []feedback.Pattern{feedback.Good}) {
		t.Fatalf("played %v when Wait returned", got)
	}
}

// Behind a sink that was stuck, several patterns went stale and are
// dropped; the newest, still fresh, plays without waiting for another scan.
func TestFreshPatternPlaysAfterStaleOnes(t *testing.T) {
	clk := feedbacktest.NewClock(t0)
	pc := feedbacktest.NewRecorder("pc", clk)
	pc.Hold()
	d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{pc}, Clock: clk, MaxAge: 500 * time.Millisecond})
	start(t, d)
	d.Play(feedback.ModeLoan, "")
	if !pc.WaitFor(1, wait) {
		t.Fatal("first pattern not started")
	}
	d.Play(feedback.Good, "desk")
	d.Play(feedback.Reject, "desk")
	clk.Advance(400 * time.Millisecond)
	d.Play(feedback.Patron, "desk")
	clk.Advance(200 * time.Millisecond) // good and reject 600 ms old, patron 200 ms
	pc.Release()
	if !pc.WaitFor(2, wait) {
		t.Fatalf("the fresh pattern never played: %v, %+v", pc.Patterns(), stats(d, "pc"))
	}
	if got, want := pc.Patterns(), []feedback.Pattern{feedback.ModeLoan, feedback.Patron}; !slices.Equal(got, want) {
		t.Fatalf("played %v, want %v", got, want)
	}
	if s := stats(d, "pc"); s.Dropped != 2 {
		t.Fatalf("dropped %d, want 2", s.Dropped)
	}
}

// No pattern table in the configuration (or none at all) means the
// built-in patterns.
func TestPatternsWithoutOverrides(t *testing.T) {
	for _, cfg := range []*config.Config{nil, {}} {
		got, err := feedback.Patterns(cfg)
		if err != nil || len(got) != len(feedback.DefaultPatterns()) || !slices.Equal(got[feedback.Good], feedback.DefaultPatterns()[feedback.Good]) {
			t.Fatalf("Patterns(%v) = %v, %v", cfg, got, err)
		}
	}
}
