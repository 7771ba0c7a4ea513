package devices

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/offcircd/offcircd/config"
)

func init() {
	RegisterSource("replay", newReplay)
}

// idleStep is how often, in capture time, a replay calls the decoder's
// Idle between chunks, like a real read loop whose read timed out.
const idleStep = 10 * time.Millisecond

// Replay is a source that plays a capture file through the decoder of the
// scanner type it was recorded from, with the recorded timing.
type Replay struct {
	name    string
	file    string
	dec     Decoder
	cap     *Capture
	speed   float64
	recTime bool
	log     *slog.Logger
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) bool
}

func newReplay(sc config.Scanner, _ *config.Config, log *slog.Logger) (Source, error) {
	f, err := os.Open(sc.File)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	c, err := ReadCapture(f)
	if err != nil {
		return nil, fmt.Errorf("replay: %s: %w", sc.File, err)
	}
	name := sc.Decoder
	if name == "" {
		name = c.Decoder
	}
	if name == "" {
		return nil, fmt.Errorf("replay: %s: no decoder configured and none in the capture header", sc.File)
	}
	dec, err := NewDecoder(name, sc)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if sc.RecordedTime && c.Start.IsZero() {
		return nil, fmt.Errorf("replay: %s: recorded_time needs a \"# start:\" header", sc.File)
	}
	return &Replay{name: sc.Name, file: sc.File, dec: dec, cap: c, speed: sc.Speed,
		recTime: sc.RecordedTime, log: log, now: time.Now, sleep: sleepCtx}, nil
}

// Name returns the scanner name.
func (r *Replay) Name() string { return r.name }

// Run plays the capture once and then reports the source stopped; the
// daemon keeps running (a replay station is for tests and reproductions).
func (r *Replay) Run(ctx context.Context, out chan<- Event) error {
	start := r.now()
	base := start
	if r.recTime {
		base = r.cap.Start
	}
	speed := r.speed
	if speed <= 0 {
		speed = 1
	}
	emit := func(evs []Event) bool {
		for _, ev := range evs {
			ev.Source = r.name
			if !send(ctx, out, ev) {
				return false
			}
		}
		return true
	}
	if !send(ctx, out, Event{Kind: KindState, Source: r.name, Time: base, State: StateConnected}) {
		return nil
	}
	var at time.Duration // capture time reached so far
	for _, ch := range r.cap.Chunks {
		// Between chunks the decoder sees idle reads, as it would live.
		for at+idleStep < ch.At {
			at += idleStep
			if !r.wait(ctx, start, at, speed) || !emit(r.dec.Idle(base.Add(at))) {
				return nil
			}
		}
		at = ch.At
		if !r.wait(ctx, start, at, speed) || !emit(r.dec.Feed(base.Add(at), ch.Data)) {
			return nil
		}
	}
	// Let idle framing and frame timeouts finish the last code.
	for i := 0; i < 200; i++ {
		at += idleStep
		if !emit(r.dec.Idle(base.Add(at))) {
			return nil
		}
	}
	r.log.Info("replay finished", "file", r.file, "chunks", len(r.cap.Chunks))
	send(ctx, out, Event{Kind: KindState, Source: r.name, Time: base.Add(at), State: StateStopped})
	return nil
}

// wait sleeps until capture offset at (scaled by speed) since start.
func (r *Replay) wait(ctx context.Context, start time.Time, at time.Duration, speed float64) bool {
	due := start.Add(time.Duration(float64(at) / speed))
	return r.sleep(ctx, due.Sub(r.now()))
}
