package devices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/offcircd/offcircd/config"
)

// Kind says what an Event carries.
type Kind int

// Event kinds.
const (
	KindScan    Kind = iota + 1 // a decoded barcode (or keypad digit entry)
	KindCommand                 // a keypad command
	KindBad                     // unusable input (garbage, overlong, non-ASCII): reject beep
	KindState                   // the device's connection state changed
)

// State is a device's connection state, for logs and the status file.
type State string

// Device states.
const (
	StateConnected State = "connected"
	StateWaiting   State = "waiting" // not present (yet); retrying
	StateError     State = "error"   // present but failing; retrying
	StateStopped   State = "stopped"
)

// Event is what a source delivers to the station.
type Event struct {
	Kind      Kind
	Source    string         // the scanner or keypad name from the config
	Time      time.Time      // when the input completed
	Data      string         // KindScan: the barcode, AIM identifier stripped unless configured
	Symbology string         // KindScan: AIM identifier ("]E0") or vendor symbology, "" if unknown
	Patron    bool           // KindScan: the source knows this is a patron ID (keypad digit entry)
	Command   config.Command // KindCommand: one of config.Commands
	State     State          // KindState
	Err       error          // KindBad: why the input was unusable; KindState: the last error
	Raw       []byte         // the raw input the event was decoded from, when known (monitor --raw)
}

// Source is one scanner or keypad. Run delivers events until ctx is
// cancelled; it handles its own reconnects and returns nil on cancellation.
// An error return means the source can never work (bad config, unsupported
// on this OS); the daemon logs it and runs on without that source.
type Source interface {
	Name() string
	Run(ctx context.Context, out chan<- Event) error
}

// Beeper is implemented by sources whose device can sound feedback itself
// (scanner-side beeps). pattern is a feedback pattern name ("good",
// "reject", ...). It may block for the duration of a device write; the
// feedback dispatcher calls it from its own goroutine, never the station's.
type Beeper interface {
	Beep(pattern string) error
}

// Decoder turns raw device input into events. Decoders keep per-device
// reassembly state and are not safe for concurrent use. Returned events have
// Kind, Time, Data, Symbology, Err and Raw set; the caller fills Source.
type Decoder interface {
	// Feed consumes one chunk (a serial read or one HID input report) that arrived at t.
	Feed(t time.Time, chunk []byte) []Event
	// Idle is called when a read returned no data at time t: it completes
	// idle-framed codes and drops stale partial input.
	Idle(t time.Time) []Event
}

// Env is what a transport may need of the station beyond its own
// [[scanner]] table: a few station-wide settings, never the whole
// configuration.
type Env struct {
	// HotplugInterval is how often a missing HID device is looked for
	// (hotplug_interval); 0 means 2 s.
	HotplugInterval time.Duration
}

// EnvFrom takes a source's Env from a validated configuration.
func EnvFrom(cfg *config.Config) Env {
	return Env{HotplugInterval: cfg.HotplugInterval.Duration}
}

// SourceFactory builds a source from its [[scanner]] table.
type SourceFactory func(sc config.Scanner, env Env, log *slog.Logger) (Source, error)

// KeypadFactory builds the keypad source from the [keypad] table.
type KeypadFactory func(kp *config.Keypad, env Env, log *slog.Logger) (Source, error)

var (
	regMu   sync.Mutex
	sources = map[string]SourceFactory{}
	keypad  KeypadFactory
)

// RegisterSource makes a scanner type available; called from init() of the
// transport's package (devices/all imports every one).
func RegisterSource(typ string, f SourceFactory) {
	regMu.Lock()
	defer regMu.Unlock()
	sources[typ] = f
}

// RegisterKeypad makes the [keypad] table's source available; called from
// init() of the transport that reads keyboards.
func RegisterKeypad(f KeypadFactory) {
	regMu.Lock()
	defer regMu.Unlock()
	keypad = f
}

// NewKeypad builds the keypad source of the [keypad] table (a keyboard whose
// keys send commands; it is not a scanner). It opens nothing (Run does).
func NewKeypad(kp *config.Keypad, env Env, log *slog.Logger) (Source, error) {
	regMu.Lock()
	f := keypad
	regMu.Unlock()
	if f == nil {
		return nil, errors.New("devices: keypad: no keyboard transport in this build")
	}
	return f(kp, env, log)
}

// NewSource builds the source for one [[scanner]] table.
func NewSource(sc config.Scanner, env Env, log *slog.Logger) (Source, error) {
	regMu.Lock()
	f, ok := sources[sc.Type]
	regMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("devices: scanner %q: unknown type %q (known: %v)", sc.Name, sc.Type, Types())
	}
	return f(sc, env, logFor(log, sc))
}

// Types lists the registered scanner types.
func Types() []string {
	regMu.Lock()
	defer regMu.Unlock()
	var out []string
	for k := range sources {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Send delivers ev unless ctx is done; it reports whether ev was delivered.
// Every source sends through it, so none blocks past its cancellation.
func Send(ctx context.Context, out chan<- Event, ev Event) bool {
	select {
	case out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// Tapper is implemented by sources that can hand every raw chunk they read
// (a serial read, one HID report) to a tap, with its arrival time, before
// decoding. `offcircd capture` and `monitor --raw` use it. SetTap must be
// called before Run.
type Tapper interface {
	SetTap(tap func(t time.Time, chunk []byte))
}

// DeviceTapper is implemented by sources whose input format depends on the
// device (HID: VID:PID and report descriptor). The tap is called each time
// a device is opened, before its first chunk reaches the Tapper's tap, so
// `offcircd capture` records which device the chunks came from. SetDeviceTap
// must be called before Run.
type DeviceTapper interface {
	SetDeviceTap(tap func(id DeviceID))
}

// Listing describes one attached device for `offcircd devices`.
type Listing struct {
	Kind         string // "serial" or "hid"
	Name         string // port name or HID path
	VID, PID     string // lower-case hex, "" when not USB
	SerialNumber string
	Manufacturer string
	Product      string
	Interface    int    // HID interface number, -1 when unknown
	Likely       bool   // vendor id of a known scanner maker
	Snippet      string // a ready-to-paste [[scanner]] table
}

// Lister lists attached devices of one transport.
type Lister func() ([]Listing, error)

var listers []Lister

// RegisterLister adds a transport's device listing to `offcircd devices`.
func RegisterLister(l Lister) {
	regMu.Lock()
	defer regMu.Unlock()
	listers = append(listers, l)
}

// List returns the devices of every registered transport; errors of one
// transport do not hide the others.
func List() ([]Listing, []error) {
	regMu.Lock()
	ls := append([]Lister(nil), listers...)
	regMu.Unlock()
	var out []Listing
	var errs []error
	for _, l := range ls {
		got, err := l()
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, got...)
	}
	return out, errs
}

// FromConfig builds a source for every [[scanner]] table and the [keypad].
// A scanner that cannot be built (unknown type, unsupported on this OS) is
// returned as an error and left out: the station runs on with the others.
func FromConfig(cfg *config.Config, log *slog.Logger) ([]Source, []error) {
	var out []Source
	var errs []error
	env := EnvFrom(cfg)
	add := func(s Source, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		out = append(out, s)
	}
	for _, sc := range cfg.Scanners {
		add(NewSource(sc, env, log))
	}
	if cfg.Keypad != nil {
		add(NewKeypad(cfg.Keypad, env, log))
	}
	return out, errs
}

// Sleep waits d or until ctx is done; it reports whether to go on.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
