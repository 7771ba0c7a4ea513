package capture

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/offcircd/offcircd/config"

	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
)

// idleStep is how often, in capture time, a replay calls the decoder's
// Idle between chunks, like a real read loop whose read timed out.
const idleStep = 10 * time.Millisecond

// captureTail is the idle time played after the last chunk, so idle framing,
// frame timeouts and unfinished keyboard codes resolve.
const captureTail = 3 * time.Second

// playCapture feeds c through dec as a live read loop would: Idle every
// idleStep between chunks, Feed for each chunk at its time, then
// captureTail of idle. wait (nil = no pacing) is called before each chunk
// and idle step with the capture time reached; emit gets each step's
// events. Either returning false stops the play (ok = false). It returns
// the capture time reached.
func playCapture(dec devices.Decoder, c *Capture, base time.Time, wait func(at time.Duration) bool, emit func([]devices.Event) bool) (at time.Duration, ok bool) {
	step := func(at time.Duration, evs func() []devices.Event) bool {
		if wait != nil && !wait(at) {
			return false
		}
		return emit(evs())
	}
	for _, ch := range c.Chunks {
		for at+idleStep < ch.At {
			at += idleStep
			if !step(at, func() []devices.Event { return dec.Idle(base.Add(at)) }) {
				return at, false
			}
		}
		at = ch.At
		if !step(at, func() []devices.Event { return dec.Feed(base.Add(at), ch.Data) }) {
			return at, false
		}
	}
	// The tail is not paced: nothing more arrives, only timeouts resolve.
	for end := at + captureTail; at < end; {
		at += idleStep
		if !emit(dec.Idle(base.Add(at))) {
			return at, false
		}
	}
	return at, true
}

// Replay is a source that plays a capture file through the decoder of the
// scanner type it was recorded from, with the recorded timing.
type Replay struct {
	name    string
	file    string
	dec     devices.Decoder
	cap     *Capture
	speed   float64
	recTime bool
	log     *slog.Logger
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) bool
}

func newReplay(sc config.Scanner, _ devices.Env, log *slog.Logger) (devices.Source, error) {
	o, err := devices.OptionsOf[Options](sc)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(o.File)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	c, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("replay: %s: %w", o.File, err)
	}
	name := o.Decoder
	if name == "" {
		name = c.Decoder
	}
	if name == "" {
		return nil, fmt.Errorf("replay: %s: no decoder configured and none in the capture header", o.File)
	}
	dec, err := captureDecoder(name, sc, c)
	if err != nil {
		return nil, fmt.Errorf("replay: %s: %w", o.File, err)
	}
	if o.RecordedTime && c.Start.IsZero() {
		return nil, fmt.Errorf("replay: %s: recorded_time needs a \"# start:\" header", o.File)
	}
	return &Replay{name: sc.Name, file: o.File, dec: dec, cap: c, speed: o.Speed,
		recTime: o.RecordedTime, log: log, now: time.Now, sleep: devices.Sleep}, nil
}

// captureDecoder builds the decoder a capture replays through: for
// hid-pos without pos_layout, the layout of the device recorded in the
// capture's header, found the way the live source found it.
func captureDecoder(name string, sc config.Scanner, c *Capture) (devices.Decoder, error) {
	o, err := devices.OptionsOf[Options](sc)
	if err != nil {
		return nil, err
	}
	dc := o.Config
	// A capture of a Zebra SSI scanner holds its replies to the beeps.
	dc.SSI = strings.EqualFold(sc.Beep, "zebra-ssi")
	if name == "hid-pos" && dc.POSLayout == "" {
		if c.Device == nil {
			return nil, fmt.Errorf("%w: the capture names no device (no \"# device:\" header; made by an older offcircd): set pos_layout", decode.ErrPOSLayoutUnknown)
		}
		l, err := decode.LayoutFromDevice(*c.Device)
		if err != nil {
			return nil, fmt.Errorf("%w; set pos_layout", err)
		}
		dc.POSLayout = l
	}
	return decode.New(name, sc.Name, dc)
}

// Name returns the scanner name.
func (r *Replay) Name() string { return r.name }

// Run plays the capture once and then reports the source stopped; the
// daemon keeps running (a replay station is for tests and reproductions).
func (r *Replay) Run(ctx context.Context, out chan<- devices.Event) error {
	start := r.now()
	base := start
	if r.recTime {
		base = r.cap.Start
	}
	speed := r.speed
	if speed <= 0 {
		speed = 1
	}
	emit := func(evs []devices.Event) bool {
		for _, ev := range evs {
			ev.Source = r.name
			if !devices.Send(ctx, out, ev) {
				return false
			}
		}
		return true
	}
	if !devices.Send(ctx, out, devices.Event{Kind: devices.KindState, Source: r.name, Time: base, State: devices.StateConnected}) {
		return nil
	}
	at, ok := playCapture(r.dec, r.cap, base, func(at time.Duration) bool { return r.wait(ctx, start, at, speed) }, emit)
	if !ok {
		return nil
	}
	r.log.Info("replay finished", "file", r.file, "chunks", len(r.cap.Chunks))
	devices.Send(ctx, out, devices.Event{Kind: devices.KindState, Source: r.name, Time: base.Add(at), State: devices.StateStopped})
	return nil
}

// wait sleeps until capture offset at (scaled by speed) since start.
func (r *Replay) wait(ctx context.Context, start time.Time, at time.Duration, speed float64) bool {
	due := start.Add(time.Duration(float64(at) / speed))
	return r.sleep(ctx, due.Sub(r.now()))
}
