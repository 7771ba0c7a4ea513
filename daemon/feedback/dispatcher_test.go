package feedback_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/daemon/feedback/feedbacktest"
)

const wait = 5 * time.Second

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// start runs d until the test ends and checks Run returns promptly.
func start(t *testing.T, d *feedback.Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(wait):
			t.Error("Run did not return after cancel")
		}
	})
}

func stats(d *feedback.Dispatcher, name string) feedback.SinkStats {
	for _, s := range d.Stats() {
		if s.Name == name {
			return s
		}
	}
	return feedback.SinkStats{}
}

func TestRouting(t *testing.T) {
	clk := feedbacktest.NewClock(t0)
	pc, a, b := feedbacktest.NewRecorder("pc", clk), feedbacktest.NewRecorder("a", clk), feedbacktest.NewRecorder("b", clk)
	d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{pc}, Scanners: []feedback.Sink{a, b}, Clock: clk})
	start(t, d)
	plays := []struct {
		p      feedback.Pattern
		source string
	}{
		{feedback.Good, "a"},
		{feedback.ModeLoan, ""},
		{feedback.Reject, "b"},
		{feedback.Double, "keypad"}, // a source without a scanner sink
	}
	for i, pl := range plays {
		d.Play(pl.p, pl.source)
		// One at a time keeps the per-sink order observable across sinks.
		if !pc.WaitFor(i+1, wait) {
			t.Fatal("pc sink got nothing")
		}
	}
	for _, tc := range []struct {
		rec  *feedbacktest.Recorder
		want []feedback.Pattern
	}{
		{pc, []feedback.Pattern{feedback.Good, feedback.ModeLoan, feedback.Reject, feedback.Double}},
		{a, []feedback.Pattern{feedback.Good, feedback.ModeLoan}},
		{b, []feedback.Pattern{feedback.ModeLoan, feedback.Reject}},
	} {
		tc.rec.WaitFor(len(tc.want), wait)
		if got := tc.rec.Patterns(); !slices.Equal(got, tc.want) {
			t.Errorf("%s got %v, want %v", tc.rec.Name(), got, tc.want)
		}
	}
	if got := pc.Played()[0].Tones; !slices.Equal(got, feedback.DefaultPatterns()[feedback.Good]) {
		t.Errorf("pc sink got tones %v, want the good pattern", got)
	}
}

func TestBurstCoalescesToNewest(t *testing.T) {
	clk := feedbacktest.NewClock(t0)
	rec := feedbacktest.NewRecorder("pc", clk)
	rec.Hold()
	d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{rec}, Clock: clk, QueueLen: 4})
	start(t, d)
	seq := func(i int) feedback.Pattern { return feedback.All[i%len(feedback.All)] }
	d.Play(seq(0), "")
	if !rec.WaitFor(1, wait) {
		t.Fatal("first pattern not started")
	}
	began := time.Now()
	for i := 1; i < 100; i++ {
		d.Play(seq(i), "")
	}
	if el := time.Since(began); el > 500*time.Millisecond {
		t.Errorf("99 Play calls against a stuck sink took %v", el)
	}
	rec.Release()
	want := []feedback.Pattern{seq(0), seq(96), seq(97), seq(98), seq(99)}
	rec.WaitFor(len(want), wait)
	if got := rec.Patterns(); !slices.Equal(got, want) {
		t.Errorf("played %v, want %v", got, want)
	}
	s := stats(d, "pc")
	if s.Played != 5 || s.Dropped != 95 || s.Played+s.Dropped != 100 {
		t.Errorf("stats %+v, want 5 played 95 dropped", s)
	}
}

func TestStalePatternsDropped(t *testing.T) {
	clk := feedbacktest.NewClock(t0)
	rec := feedbacktest.NewRecorder("pc", clk)
	rec.Hold()
	d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{rec}, Clock: clk, MaxAge: 500 * time.Millisecond})
	start(t, d)
	d.Play(feedback.Reject, "")
	rec.WaitFor(1, wait)
	d.Play(feedback.Good, "") // waits behind the stuck reject
	clk.Advance(600 * time.Millisecond)
	d.Play(feedback.Patron, "") // fresh
	rec.Release()
	rec.WaitFor(2, wait)
	want := []feedback.Pattern{feedback.Reject, feedback.Patron}
	if got := rec.Patterns(); !slices.Equal(got, want) {
		t.Errorf("played %v, want %v (stale good dropped)", got, want)
	}
	// Played plus dropped accounts for every request once the queue is empty.
	deadline := time.Now().Add(wait)
	for s := stats(d, "pc"); s.Played+s.Dropped < 3 && time.Now().Before(deadline); s = stats(d, "pc") {
		time.Sleep(time.Millisecond)
	}
	if s := stats(d, "pc"); s.Dropped != 1 || s.Played != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestStuckSinkDelaysOnlyItself(t *testing.T) {
	stuck := feedbacktest.NewRecorder("stuck", nil)
	stuck.Hold()
	ok := feedbacktest.NewRecorder("ok", nil)
	scanner := feedbacktest.NewRecorder("desk", nil)
	d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{stuck, ok}, Scanners: []feedback.Sink{scanner}})
	start(t, d)
	for i := range 10 {
		began := time.Now()
		d.Play(feedback.Good, "desk")
		// The stuck sink is held for the whole test, so a Play that waited
		// for it would never return; the bound only has to be far above
		// scheduling noise on a loaded machine.
		if el := time.Since(began); el > 2*time.Second {
			t.Errorf("Play blocked %v", el)
		}
		if !ok.WaitFor(i+1, wait) || !scanner.WaitFor(i+1, wait) {
			t.Fatal("healthy sinks starved by a stuck one")
		}
	}
	// Play before Run and after a stuck sink's queue is full must not block either.
	d2 := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{stuck}})
	for range 1000 {
		d2.Play(feedback.Good, "")
	}
}

func TestSinkFailureCounted(t *testing.T) {
	rec := feedbacktest.NewRecorder("pc", nil)
	rec.Fail(errors.New("device gone"))
	d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{rec}})
	start(t, d)
	d.Play(feedback.Good, "")
	rec.WaitFor(1, wait)
	d.Play(feedback.Good, "")
	rec.WaitFor(2, wait)
	waitStats(t, d, "pc", func(s feedback.SinkStats) bool { return s.Failed == 2 && s.LastError == "device gone" })
	rec.Fail(nil)
	d.Play(feedback.Good, "")
	waitStats(t, d, "pc", func(s feedback.SinkStats) bool { return s.Played == 3 && s.Failed == 2 && s.LastError == "" })
}

func waitStats(t *testing.T, d *feedback.Dispatcher, name string, ok func(feedback.SinkStats) bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !ok(stats(d, name)) {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", stats(d, name))
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAlarmRepeatsAndStops(t *testing.T) {
	clk := feedbacktest.NewClock(t0)
	pc, desk := feedbacktest.NewRecorder("pc", clk), feedbacktest.NewRecorder("desk", clk)
	d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{pc}, Scanners: []feedback.Sink{desk}, Clock: clk, AlarmInterval: 5 * time.Second})
	start(t, d)
	// The alarm loop idles without a timer while the alarm is off.
	if !clk.WaitTimers(0, wait) {
		t.Fatal("timer pending with the alarm off")
	}

	count := func(r *feedbacktest.Recorder) int { return len(r.Patterns()) }
	expect := func(n int, what string) {
		t.Helper()
		if !pc.WaitFor(n, wait) || !desk.WaitFor(n, wait) {
			t.Fatalf("%s: pc %d desk %d plays, want %d", what, count(pc), count(desk), n)
		}
	}
	quiet := func(n int, what string) {
		t.Helper()
		time.Sleep(20 * time.Millisecond)
		if count(pc) != n {
			t.Fatalf("%s: %d plays, want %d: %v", what, count(pc), n, pc.Patterns())
		}
	}

	d.SetAlarm(true)
	expect(1, "alarm on sounds at once")
	for i := 2; i <= 4; i++ {
		if !clk.WaitTimers(1, wait) {
			t.Fatal("alarm not waiting for its next repetition")
		}
		clk.Advance(4 * time.Second)
		quiet(i-1, "before the interval")
		clk.Advance(time.Second)
		expect(i, "repetition")
	}
	for _, p := range pc.Played() {
		if p.Pattern != feedback.WriteFailure {
			t.Errorf("alarm played %q", p.Pattern)
		}
	}
	if got := pc.Played()[3].At.Sub(t0); got != 15*time.Second {
		t.Errorf("4th repetition at %v, want 15s", got)
	}

	d.Ack()
	if !clk.WaitTimers(0, wait) {
		t.Fatal("timer still pending after Ack")
	}
	clk.Advance(time.Minute)
	quiet(4, "after Ack")
	d.SetAlarm(true) // still on: no transition, stays acknowledged
	clk.Advance(time.Minute)
	quiet(4, "still acknowledged")

	d.SetAlarm(false)
	d.SetAlarm(true) // a new failure re-arms the alarm
	expect(5, "re-armed after off/on")
	d.SetAlarm(false)
	if !clk.WaitTimers(0, wait) {
		t.Fatal("timer still pending after SetAlarm(false)")
	}
	clk.Advance(time.Minute)
	quiet(5, "after the spool drained")
	if on, _ := d.Alarm(); on {
		t.Error("Alarm() on after SetAlarm(false)")
	}
}

func TestAlarmCountsStationWriteFailureBeep(t *testing.T) {
	clk := feedbacktest.NewClock(t0)
	pc := feedbacktest.NewRecorder("pc", clk)
	d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{pc}, Clock: clk, AlarmInterval: 5 * time.Second})
	start(t, d)
	d.Play(feedback.WriteFailure, "desk") // the failed scan's own beep
	pc.WaitFor(1, wait)
	clk.Advance(2 * time.Second)
	d.SetAlarm(true) // the store reports degraded right after
	if !clk.WaitTimers(1, wait) {
		t.Fatal("alarm not scheduled")
	}
	time.Sleep(20 * time.Millisecond)
	if n := len(pc.Patterns()); n != 1 {
		t.Fatalf("alarm doubled the scan's write-failure beep: %v", pc.Patterns())
	}
	clk.Advance(3 * time.Second)
	pc.WaitFor(2, wait)
	if got := pc.Played()[1].At.Sub(t0); got != 5*time.Second {
		t.Errorf("first repetition at %v, want 5s after the scan's beep", got)
	}
}

func TestScanInterruptsAlarmRepetition(t *testing.T) {
	clk := feedbacktest.NewClock(t0)
	pc := feedbacktest.NewRecorder("pc", clk)
	pc.Hold() // an alarm pattern that takes "forever"
	d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{pc}, Clock: clk})
	start(t, d)
	d.SetAlarm(true)
	pc.WaitFor(1, wait)
	d.Play(feedback.Good, "desk")
	if !pc.WaitFor(2, wait) {
		t.Fatalf("good beep waited behind the alarm: %v", pc.Played())
	}
	got := pc.Played()
	if !got[0].Interrupted || got[1].Pattern != feedback.Good {
		t.Errorf("played %+v", got)
	}
	pc.Release()
	if s := stats(d, "pc"); s.Failed != 0 {
		t.Errorf("interruption counted as failure: %+v", s)
	}
}

func TestRunTwice(t *testing.T) {
	d := feedback.NewDispatcher(feedback.Options{})
	start(t, d)
	time.Sleep(5 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Either Run is already running (error) or the first hasn't begun: both must not hang.
	_ = d.Run(ctx)
}

func TestWaitForQueuesToDrain(t *testing.T) {
	rec := feedbacktest.NewRecorder("pc", nil)
	rec.Hold()
	d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{rec}, MaxAge: time.Hour})
	if err := d.Wait(context.Background()); err != nil {
		t.Fatalf("Wait with nothing queued: %v", err)
	}
	start(t, d)
	d.Play(feedback.Good, "")
	d.Play(feedback.Patron, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := d.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait returned %v while the sink was still playing", err)
	}
	rec.Release()
	if err := d.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rec.Patterns(); len(got) != 2 {
		t.Errorf("Wait returned before both played: %v", got)
	}
}

// BenchmarkPlay is the cost the station pays per scan for feedback, with
// two PC sinks and one scanner sink, all of them stuck (worst case: full
// queues, every call drops).
func BenchmarkPlay(b *testing.B) {
	var sinks []feedback.Sink
	for _, n := range []string{"pc1", "pc2"} {
		r := feedbacktest.NewRecorder(n, nil)
		r.Hold()
		sinks = append(sinks, r)
	}
	desk := feedbacktest.NewRecorder("desk", nil)
	desk.Hold()
	d := feedback.NewDispatcher(feedback.Options{Sinks: sinks, Scanners: []feedback.Sink{desk}})
	b.ReportAllocs()
	for b.Loop() {
		d.Play(feedback.Good, "desk")
	}
}

// Nowhere to write: the alarm sounds not-stored, repeating, until the
// store says it is back to write-failure (spooling works) or fixed.
func TestAlarmSoundsNotStored(t *testing.T) {
	clk := feedbacktest.NewClock(t0)
	pc := feedbacktest.NewRecorder("pc", clk)
	d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{pc}, Clock: clk, AlarmInterval: 5 * time.Second})
	start(t, d)
	d.SetAlarmPattern(feedback.NotStored)
	d.SetAlarm(true)
	if !pc.WaitFor(1, wait) {
		t.Fatal("alarm did not sound")
	}
	d.Ack() // acknowledged, but a change of what is wrong is news
	d.SetAlarmPattern(feedback.WriteFailure)
	for i := 2; i <= 3; i++ {
		if !clk.WaitTimers(1, wait) {
			t.Fatal("alarm not waiting for its next repetition")
		}
		clk.Advance(5 * time.Second)
		if !pc.WaitFor(i, wait) {
			t.Fatalf("repetition %d missing: %v", i, pc.Patterns())
		}
	}
	got := pc.Played()
	if got[0].Pattern != feedback.NotStored || got[1].Pattern != feedback.WriteFailure || got[2].Pattern != feedback.WriteFailure {
		t.Errorf("alarm played %v, want not-stored then write-failure", pc.Patterns())
	}
}
