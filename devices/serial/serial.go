package serial

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"time"

	bugst "go.bug.st/serial"
	"go.bug.st/serial/enumerator"

	"github.com/offcircd/offcircd/config"

	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
)

// ErrNotConnected is returned by Beep while the scanner's port is closed.
var ErrNotConnected = errors.New("serial: scanner not connected")

// serialPort is the part of a serial port the source uses: small enough
// to fake, and what go.bug.st/serial gives us.
type serialPort interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	SetReadTimeout(t time.Duration) error
	ResetOutputBuffer() error
	Close() error
}

// serialPorts is the machine side of the serial transport: listing ports
// with their USB details and opening one. The source takes it in its
// constructor (newSerial); systemPorts is go.bug.st/serial, tests pass fakes.
type serialPorts interface {
	List() ([]*enumerator.PortDetails, error)
	Open(name string, mode *bugst.Mode) (serialPort, error)
}

// systemPorts are this machine's serial ports.
type systemPorts struct{}

func (systemPorts) List() ([]*enumerator.PortDetails, error) {
	return enumerator.GetDetailedPortsList()
}

func (systemPorts) Open(name string, mode *bugst.Mode) (serialPort, error) {
	p, err := bugst.Open(name, mode)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Reconnect backoff: quick first retries (a replug takes a second or so),
// capped so a returning scanner is picked up within a couple of seconds.
const (
	serialBackoffMin = 100 * time.Millisecond
	serialBackoffMax = 2 * time.Second
	// serialReadTimeout bounds how long a read blocks, and so how late
	// cancellation and idle framing are noticed.
	serialReadTimeout = 50 * time.Millisecond
)

// Serial is a scanner on a serial port (RS-232 or USB virtual COM port).
// It reopens the port after an unplug, frames codes with a Framer, and
// sounds scanner-side beeps (Beeper).
type Serial struct {
	name   string
	opts   *Options
	ports  serialPorts
	mode   bugst.Mode
	fcfg   decode.FramerConfig
	log    *slog.Logger
	beep   string
	beepBy map[string]string

	backoffMin, backoffMax time.Duration
	readTimeout            time.Duration

	tap func(time.Time, []byte)

	// mu guards port: Beep writes from the feedback goroutine while Run
	// reads. wmu is held across a beep write and is taken by closePort
	// before Close, so nothing writes to a closed (and possibly reused)
	// descriptor; mu is never held across a write, so a stuck write cannot
	// keep Run from stopping. closeMu makes a second closePort wait until
	// the port is really closed.
	mu      sync.Mutex
	port    serialPort
	wmu     sync.Mutex
	closeMu sync.Mutex
}

// NewSerial checks sc and returns its source on this machine's serial
// ports; it opens nothing (Run does).
func NewSerial(sc config.Scanner, log *slog.Logger) (*Serial, error) {
	return newSerial(sc, log, systemPorts{})
}

// newSerial is NewSerial on the given ports.
func newSerial(sc config.Scanner, log *slog.Logger, ports serialPorts) (*Serial, error) {
	if log == nil {
		log = slog.Default()
	}
	o, err := devices.OptionsOf[Options](sc)
	if err != nil {
		return nil, err
	}
	if o.Port == "" && o.VID == "" {
		return nil, fmt.Errorf("serial: scanner %q: set port, or vid and pid", sc.Name)
	}
	mode, err := serialMode(o)
	if err != nil {
		return nil, fmt.Errorf("serial: scanner %q: %w", sc.Name, err)
	}
	framing := o.Framing
	framing.SSI = strings.EqualFold(sc.Beep, "zebra-ssi")
	fc, err := decode.FramerConfigFor(sc.Name, framing)
	if err != nil {
		return nil, err
	}
	if err := checkBeepProfile(sc.Beep, sc.BeepBytes); err != nil {
		return nil, fmt.Errorf("serial: scanner %q: %w", sc.Name, err)
	}
	rt := serialReadTimeout
	if fc.Terminator == "idle" && fc.IdleGap/2 < rt {
		rt = max(fc.IdleGap/2, 5*time.Millisecond)
	}
	return &Serial{
		name: sc.Name, opts: o, ports: ports, mode: mode, fcfg: fc, log: log,
		beep: sc.Beep, beepBy: sc.BeepBytes,
		backoffMin: serialBackoffMin, backoffMax: serialBackoffMax, readTimeout: rt,
	}, nil
}

// serialMode turns the line settings into a bugst.Mode, 9600 8N1 when unset.
func serialMode(sc *Options) (bugst.Mode, error) {
	m := bugst.Mode{BaudRate: sc.Baud, DataBits: sc.DataBits}
	if m.BaudRate == 0 {
		m.BaudRate = 9600
	}
	if m.DataBits == 0 {
		m.DataBits = 8
	}
	var errs []error
	if m.BaudRate < 0 {
		errs = append(errs, fmt.Errorf("baud %d: must be positive", sc.Baud))
	}
	if m.DataBits < 5 || m.DataBits > 8 {
		errs = append(errs, fmt.Errorf("data_bits %d: want 5, 6, 7 or 8", sc.DataBits))
	}
	switch strings.ToLower(sc.Parity) {
	case "", "none", "n":
		m.Parity = bugst.NoParity
	case "odd", "o":
		m.Parity = bugst.OddParity
	case "even", "e":
		m.Parity = bugst.EvenParity
	case "mark", "m":
		m.Parity = bugst.MarkParity
	case "space", "s":
		m.Parity = bugst.SpaceParity
	default:
		errs = append(errs, fmt.Errorf("parity %q: want none, odd, even, mark or space", sc.Parity))
	}
	switch sc.StopBits {
	case "", "1":
		m.StopBits = bugst.OneStopBit
	case "1.5":
		m.StopBits = bugst.OnePointFiveStopBits
	case "2":
		m.StopBits = bugst.TwoStopBits
	default:
		errs = append(errs, fmt.Errorf("stop_bits %q: want 1, 1.5 or 2", sc.StopBits))
	}
	return m, errors.Join(errs...)
}

// Name returns the scanner name from the config.
func (s *Serial) Name() string { return s.name }

// SetTap hands every raw read to tap before it is framed (capture,
// monitor --raw). Call before Run.
func (s *Serial) SetTap(tap func(t time.Time, chunk []byte)) { s.tap = tap }

// Beep writes the scanner-side command for pattern. It returns
// ErrNotConnected while the port is closed, and nil when the profile has
// nothing to send for pattern.
func (s *Serial) Beep(pattern string) error {
	b, err := BeepBytes(s.beep, pattern, s.beepBy)
	if err != nil || len(b) == 0 {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	p := s.port
	s.mu.Unlock()
	if p == nil {
		return ErrNotConnected
	}
	if _, err := p.Write(b); err != nil {
		return fmt.Errorf("serial: %s: beep: %w", s.name, err)
	}
	return nil
}

// OneSound reports whether the scanner's profile has one beep command for
// pattern, which the feedback sink repeats in the pattern's rhythm.
func (s *Serial) OneSound(pattern string) bool { return OneSound(s.beep, pattern, s.beepBy) }

// Run opens the port, delivers events until ctx is cancelled, and reopens
// the port whenever it goes away. It returns nil on cancellation.
func (s *Serial) Run(ctx context.Context, out chan<- devices.Event) error {
	fr := decode.NewFramer(s.fcfg, s.log)
	backoff := s.backoffMin
	var lastState devices.State
	var lastErr, path string
	// report logs and sends a state change once, not at every retry.
	report := func(st devices.State, err error) bool {
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if st == lastState {
			if msg != lastErr {
				s.log.Debug("serial: still not available", "state", st, "err", err)
				lastErr = msg
			}
			return true
		}
		lastState, lastErr = st, msg
		// The station logs the state change once, for every kind of source.
		s.log.Debug("serial: state", "port", path, "state", st, "err", err)
		return devices.Send(ctx, out, devices.Event{Kind: devices.KindState, Source: s.name, Time: time.Now(), State: st, Err: err})
	}
	for {
		p, name, err := s.open()
		path = name
		if err != nil {
			if !report(openState(err), err) {
				return nil
			}
			if !devices.Sleep(ctx, backoff) {
				return nil
			}
			backoff = min(backoff*2, s.backoffMax)
			continue
		}
		connected := time.Now()
		s.mu.Lock()
		s.port = p
		s.mu.Unlock()
		if !report(devices.StateConnected, nil) {
			s.closePort()
			return nil
		}
		err = s.read(ctx, p, path, fr, out)
		s.closePort()
		fr.Reset()
		if ctx.Err() != nil {
			return nil
		}
		report(devices.StateWaiting, fmt.Errorf("serial: %s: %w", path, err))
		// A port that opens but fails at once must not spin: only a
		// connection that lasted resets the backoff.
		if time.Since(connected) < s.backoffMax {
			if !devices.Sleep(ctx, backoff) {
				return nil
			}
			backoff = min(backoff*2, s.backoffMax)
		} else {
			backoff = s.backoffMin
		}
	}
}

// openState tells a scanner that is not there (waiting) from one that is
// there but cannot be opened (busy, permission: error).
func openState(err error) devices.State {
	var pe *bugst.PortError
	switch {
	case errors.Is(err, ErrPortNotFound), errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOENT),
		errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.ENODEV):
		return devices.StateWaiting
	case errors.As(err, &pe) && pe.Code() == bugst.PortNotFound:
		return devices.StateWaiting
	}
	return devices.StateError
}

// open resolves the port (by name, or by USB ids each time: the scanner
// may come back under another name) and opens it.
func (s *Serial) open() (serialPort, string, error) {
	path := s.opts.Port
	if path == "" {
		list, err := s.ports.List()
		if err != nil {
			return nil, "", fmt.Errorf("serial: listing ports: %w", err)
		}
		path, err = matchSerialPort(s.opts.USB, list)
		if err != nil {
			return nil, "", err
		}
	}
	mode := s.mode
	p, err := s.ports.Open(path, &mode)
	if err != nil {
		return nil, path, fmt.Errorf("serial: open %s: %w", path, err)
	}
	if err := p.SetReadTimeout(s.readTimeout); err != nil {
		p.Close()
		return nil, path, fmt.Errorf("serial: %s: read timeout: %w", path, err)
	}
	return p, path, nil
}

// read is the reading loop of one connection. It returns the read error
// that ended it, or nil when ctx was cancelled.
func (s *Serial) read(ctx context.Context, p serialPort, path string, fr *decode.Framer, out chan<- devices.Event) error {
	buf := make([]byte, 512)
	// Between codes no timer is needed: the read blocks until bytes arrive
	// or the port is closed, and cancellation closes it. Polling every
	// readTimeout cost an idle station 20 wakeups a second per scanner
	// (0.6 CPU-s a minute for four; make bench, section 4).
	stop := context.AfterFunc(ctx, s.closePort)
	defer stop()
	timeout := s.readTimeout
	for ctx.Err() == nil {
		want := s.readTimeout
		if fr.Waiting() {
			want = bugst.NoTimeout
		}
		if want != timeout {
			if err := p.SetReadTimeout(want); err != nil {
				return fmt.Errorf("serial: %s: read timeout: %w", path, err)
			}
			timeout = want
		}
		n, err := p.Read(buf)
		t := time.Now()
		var evs []devices.Event
		if n > 0 {
			if s.tap != nil {
				s.tap(t, append([]byte(nil), buf[:n]...))
			}
			evs = fr.Feed(t, buf[:n])
		} else if err == nil {
			evs = fr.Idle(t)
		}
		for _, ev := range evs {
			ev.Source = s.name
			if ev.Kind == devices.KindBad {
				s.log.Warn("serial: input rejected", "port", path, "err", ev.Err, "bytes", len(ev.Raw))
			}
			if !devices.Send(ctx, out, ev) {
				return nil
			}
		}
		if len(evs) > 0 {
			// Send waits for the station: silence is counted from here.
			fr.Resume(time.Now())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// closePort closes the port once no beep is writing to it, so Beep never
// writes to a closed (and possibly reused) descriptor.
func (s *Serial) closePort() {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	s.mu.Lock()
	p := s.port
	s.port = nil // no new beep starts on p
	s.mu.Unlock()
	if p == nil {
		return
	}
	if !s.wmu.TryLock() {
		// A beep write is in progress and may never finish (flow control
		// holding the line, a device that stopped taking data): discarding
		// the output queue ends it (PurgeComm TXABORT on Windows, TCOFLUSH
		// wakes the writer on Unix), then the port can be closed.
		_ = p.ResetOutputBuffer()
		s.wmu.Lock()
	}
	p.Close()
	s.wmu.Unlock()
}
