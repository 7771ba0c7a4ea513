package feedback

import (
	"context"
	"time"
)

// Clock is the dispatcher's and the sinks' time source. It uses only
// standard types so a fake can live anywhere (feedbacktest.Clock) and tests
// can step tone timing, stale-drop ages and the alarm without sleeping.
type Clock interface {
	Now() time.Time
	// NewTimer returns a channel that receives once after d, and a stop
	// function that releases the timer (true if it had not fired yet).
	NewTimer(d time.Duration) (<-chan time.Time, func() bool)
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (RealClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// Sleep waits d on clk, or until ctx is done (then it returns ctx.Err()).
func Sleep(ctx context.Context, clk Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c, stop := clk.NewTimer(d)
	defer stop()
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
