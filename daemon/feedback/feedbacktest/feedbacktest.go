// Package feedbacktest provides fakes for testing code that plays
// feedback: a manual clock and a sink that records what it was asked to
// play (and can be held stuck to test that callers never wait for it).
package feedbacktest

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/offcircd/offcircd/daemon/feedback"
)

// Clock is a feedback.Clock that moves only when Advance is called.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*timer
	seq    int
}

type timer struct {
	at  time.Time
	seq int
	c   chan time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer fires once the clock has been advanced by d (at once if d <= 0).
func (c *Clock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
		return t.c, func() bool { return false }
	}
	c.seq++
	t.seq = c.seq
	c.timers = append(c.timers, t)
	return t.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.timers {
			if x == t {
				c.timers = slices.Delete(c.timers, i, i+1)
				return true
			}
		}
		return false
	}
}

// Advance moves the clock forward by d and fires every timer due by then,
// earliest first.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	sort.SliceStable(c.timers, func(i, j int) bool {
		if c.timers[i].at.Equal(c.timers[j].at) {
			return c.timers[i].seq < c.timers[j].seq
		}
		return c.timers[i].at.Before(c.timers[j].at)
	})
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.c <- c.now
	}
	c.timers = kept
}

// Timers is the number of pending (not fired, not stopped) timers.
func (c *Clock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// WaitTimers waits (in real time, up to timeout) until exactly n timers
// are pending: the way a test knows a goroutine is now sleeping on the clock.
func (c *Clock) WaitTimers(n int, timeout time.Duration) bool {
	return poll(timeout, func() bool { return c.Timers() == n })
}

// Played is one pattern a Recorder was asked to play.
type Played struct {
	Pattern     feedback.Pattern
	Tones       []feedback.Tone
	At          time.Time // the recorder's clock when Play started
	Interrupted bool      // ctx was cancelled while the recorder was held
}

// Recorder is a sink that records every Play. When Hold is set it blocks
// each Play until Release is called (or its ctx is cancelled), standing in
// for a slow or stuck device.
type Recorder struct {
	name  string
	clock feedback.Clock

	mu      sync.Mutex
	played  []Played
	hold    bool
	release chan struct{}
	err     error
}

// NewRecorder returns a recorder named name; clk stamps plays (nil = real time).
func NewRecorder(name string, clk feedback.Clock) *Recorder {
	if clk == nil {
		clk = feedback.RealClock{}
	}
	return &Recorder{name: name, clock: clk, release: make(chan struct{})}
}

// Name returns the recorder's name.
func (r *Recorder) Name() string { return r.name }

// Hold makes later Play calls block until Release.
func (r *Recorder) Hold() {
	r.mu.Lock()
	r.hold = true
	r.release = make(chan struct{})
	r.mu.Unlock()
}

// Release lets held Play calls (and all later ones) return.
func (r *Recorder) Release() {
	r.mu.Lock()
	if r.hold {
		r.hold = false
		close(r.release)
	}
	r.mu.Unlock()
}

// Fail makes later Play calls return err (nil = succeed again).
func (r *Recorder) Fail(err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
}

// Play records the call, then blocks while held.
func (r *Recorder) Play(ctx context.Context, p feedback.Pattern, tones []feedback.Tone) error {
	r.mu.Lock()
	r.played = append(r.played, Played{Pattern: p, Tones: tones, At: r.clock.Now()})
	i := len(r.played) - 1
	hold, release, err := r.hold, r.release, r.err
	r.mu.Unlock()
	if hold {
		select {
		case <-release:
		case <-ctx.Done():
			r.mu.Lock()
			r.played[i].Interrupted = true
			r.mu.Unlock()
			return ctx.Err()
		}
	}
	return err
}

// Played returns a copy of everything played so far.
func (r *Recorder) Played() []Played {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.played)
}

// Patterns returns the pattern names played so far, in order.
func (r *Recorder) Patterns() []feedback.Pattern {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]feedback.Pattern, len(r.played))
	for i, p := range r.played {
		out[i] = p.Pattern
	}
	return out
}

// WaitFor waits (in real time, up to timeout) until at least n plays were recorded.
func (r *Recorder) WaitFor(n int, timeout time.Duration) bool {
	return poll(timeout, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.played) >= n
	})
}

func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}
