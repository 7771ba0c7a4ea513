package feedback_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/offcircd/offcircd/daemon/feedback"
)

// TestRhythmsTellPatternsApart: on a one-sound beeper every pattern must be
// recognisable by ear, so no two patterns share a count-and-spacing
// signature, every gap is clearly short or clearly long, and short beeps
// do not run into each other.
func TestRhythmsTellPatternsApart(t *testing.T) {
	if feedback.RhythmShort < 120*time.Millisecond {
		t.Errorf("RhythmShort %v: a scanner's beep of up to 120 ms would run into the next", feedback.RhythmShort)
	}
	if feedback.RhythmLong < 3*feedback.RhythmShort {
		t.Errorf("RhythmLong %v is not clearly longer than RhythmShort %v", feedback.RhythmLong, feedback.RhythmShort)
	}
	seen := map[string]feedback.Pattern{}
	for _, p := range feedback.All {
		gaps := feedback.Rhythm(p)
		sig := fmt.Sprint(len(gaps)+1, gaps)
		for _, g := range gaps {
			if g != feedback.RhythmShort && g != feedback.RhythmLong {
				t.Errorf("%s: gap %v is neither short nor long", p, g)
			}
		}
		if q, dup := seen[sig]; dup {
			t.Errorf("%s and %s sound alike on a one-sound beeper: %s", p, q, sig)
		}
		seen[sig] = p
	}
	if n := len(feedback.Rhythm(feedback.Good)); n != 0 {
		t.Errorf("good has %d gaps: the commonest sound should be one beep", n)
	}
}
