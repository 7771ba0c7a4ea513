package feedback_test

import (
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/daemon/feedback/feedbacktest"
)

// Two scans in a row: the first scan's beep is heard in full, the second
// follows it. Only alarm repetitions give way to a new pattern (see
// TestScanInterruptsAlarmRepetition); a scan's beep is what tells the
// person the record is stored, so the next scan must not cut it off.
func TestScanBeepNotCutByNextScan(t *testing.T) {
	for _, second := range []feedback.Pattern{feedback.Good, feedback.Reject, feedback.Patron} {
		t.Run(string(second), func(t *testing.T) {
			clk := feedbacktest.NewClock(t0)
			pc := feedbacktest.NewRecorder("pc", clk)
			pc.Hold() // the first beep is still sounding
			d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{pc}, Clock: clk})
			start(t, d)
			d.Play(feedback.Good, "desk")
			if !pc.WaitFor(1, wait) {
				t.Fatal("first beep not started")
			}
			d.Play(second, "desk")
			if pc.WaitFor(2, 300*time.Millisecond) {
				t.Fatalf("second beep started while the first was sounding: %+v", pc.Played())
			}
			pc.Release()
			if !pc.WaitFor(2, wait) {
				t.Fatalf("second beep never played: %+v", pc.Played())
			}
			got := pc.Played()
			if got[0].Interrupted || got[0].Pattern != feedback.Good || got[1].Pattern != second {
				t.Errorf("played %+v, want good in full, then %s", got, second)
			}
		})
	}
}

// OFFCIRC:ACK silences the alarm at once, cutting the repetition that is
// sounding; a scan's beep sounding at that moment is not cut.
func TestAckCutsOnlyTheAlarm(t *testing.T) {
	t.Run("alarm sounding", func(t *testing.T) {
		clk := feedbacktest.NewClock(t0)
		pc := feedbacktest.NewRecorder("pc", clk)
		pc.Hold()
		d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{pc}, Clock: clk})
		start(t, d)
		d.SetAlarm(true)
		if !pc.WaitFor(1, wait) {
			t.Fatal("alarm did not sound")
		}
		d.Ack()
		ok := waitFor(wait, func() bool { return pc.Played()[0].Interrupted })
		pc.Release()
		if !ok {
			t.Fatalf("Ack left the alarm sounding: %+v", pc.Played())
		}
	})
	t.Run("scan beep sounding", func(t *testing.T) {
		clk := feedbacktest.NewClock(t0)
		pc := feedbacktest.NewRecorder("pc", clk)
		pc.Hold()
		d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{pc}, Clock: clk})
		start(t, d)
		d.Play(feedback.Good, "desk")
		if !pc.WaitFor(1, wait) {
			t.Fatal("beep not started")
		}
		d.Ack()
		time.Sleep(100 * time.Millisecond)
		pc.Release()
		if got := pc.Played(); got[0].Interrupted {
			t.Fatalf("Ack cut the scan's beep: %+v", got)
		}
	})
}

// A pattern that waited exactly MaxAge behind a busy sink still plays; one
// that waited longer is dropped (TestStalePatternsDropped).
func TestPatternAtMaxAgePlays(t *testing.T) {
	clk := feedbacktest.NewClock(t0)
	pc := feedbacktest.NewRecorder("pc", clk)
	pc.Hold()
	d := feedback.NewDispatcher(feedback.Options{Sinks: []feedback.Sink{pc}, Clock: clk, MaxAge: 500 * time.Millisecond})
	start(t, d)
	d.Play(feedback.Good, "")
	if !pc.WaitFor(1, wait) {
		t.Fatal("first beep not started")
	}
	d.Play(feedback.Patron, "")
	clk.Advance(500 * time.Millisecond)
	pc.Release()
	if !pc.WaitFor(2, wait) {
		t.Fatalf("pattern exactly MaxAge old was dropped: %+v, %+v", pc.Played(), stats(d, "pc"))
	}
}

// Tone lists at the configuration limits are taken; one past a limit is a
// configuration error naming the tone.
func TestParseTonesLimits(t *testing.T) {
	many := func(n int, tone []int) [][]int {
		out := make([][]int, n)
		for i := range out {
			out[i] = tone
		}
		return out
	}
	tests := []struct {
		name    string
		triples [][]int
		wantErr string // "" = accepted
	}{
		{"lowest frequency", [][]int{{feedback.MinFreq, 100, 0}}, ""},
		{"highest frequency", [][]int{{feedback.MaxFreq, 100, 0}}, ""},
		{"rest", [][]int{{0, 100, 0}}, ""},
		{"most tones", many(feedback.MaxTones, []int{1000, 10, 0}), ""},
		{"longest pattern", many(3, []int{1000, 5000, 0}), ""},
		{"frequency below", [][]int{{feedback.MinFreq - 1, 100, 0}}, "frequency"},
		{"frequency above", [][]int{{feedback.MaxFreq + 1, 100, 0}}, "frequency"},
		{"too many tones", many(feedback.MaxTones+1, []int{1000, 10, 0}), "at most"},
		{"pattern too long", append(many(3, []int{1000, 5000, 0}), []int{1000, 1, 0}), "pattern lasts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := feedback.ParseTones(tt.triples)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}
