package hid

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/offcircd/offcircd/config"

	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
)

// USB HID scanners and keypads. The transport is a thin wrapper over
// github.com/karalabe/hid (hidapi + libusb, cgo) behind hidBackend, so the
// read loop, hotplug and decoders are tested with a fake device. hidapi
// rules that shape this file:
//   - Read blocks forever and Close during a Read frees memory under it:
//     we close only from the reading goroutine (Run), never during a read.
//   - A timed read (hid_read_timeout on Linux and macOS) waits for a time
//     on the wall clock: a clock set back during the wait stretches it by
//     the step. Reads run on a reader goroutine of their own; Run and the
//     decoder's timeouts go by Go's monotonic clock and never wait for a
//     read that has outlived its timeout (hidConn, serve).
//   - On Linux the kernel driver is detached on open: a keyboard-mode
//     scanner stops typing into the console while offcircd holds it.
//   - Usage pages are 0 on Linux: devices are chosen by vid, pid, serial
//     number and interface.

// Sentinel errors of the HID transport.
var (
	// ErrHIDNeedsCgo is returned by HID sources of a binary built without
	// cgo, where karalabe/hid silently finds no devices.
	ErrHIDNeedsCgo = errors.New("hid: HID support needs cgo (this offcircd was built with CGO_ENABLED=0); use a build with cgo, or switch the scanner to USB-COM (serial) mode")
	// ErrKeyboardUnsupported is returned on Windows by hid-keyboard and
	// keypad sources: hidapi cannot open keyboard-class devices there and a
	// service receives no keystrokes.
	ErrKeyboardUnsupported = errors.New("hid: keyboard-mode devices cannot be read on Windows (hidapi cannot open keyboard-class devices and a service gets no keystrokes): program the scanner for HID POS or USB-COM (serial) mode, and use control barcodes (OFFCIRC:LOAN ...) instead of a keyboard keypad")
	// ErrHIDNotConnected is returned by Beep while the device is absent.
	ErrHIDNotConnected = errors.New("hid: device not connected")
)

// hidInfo is what enumeration tells about one HID interface.
type hidInfo struct {
	Path         string
	VID, PID     uint16
	Serial       string
	Manufacturer string
	Product      string
	UsagePage    uint16 // 0 on Linux
	Usage        uint16
	Interface    int
}

// hidDevice is an open HID interface.
type hidDevice interface {
	// ReadTimeout reads one input report; 0 bytes and no error on timeout.
	ReadTimeout(b []byte, ms int) (int, error)
	// Write sends one output report; b[0] is the report id (0 if none).
	Write(b []byte) (int, error)
	Close() error
}

// hidBackend enumerates and opens HID interfaces.
type hidBackend interface {
	// Supported is false when this build cannot talk to HID devices.
	Supported() bool
	// Enumerate lists interfaces with vendor vid and product pid (0 = any).
	Enumerate(vid, pid uint16) ([]hidInfo, error)
	Open(info hidInfo) (hidDevice, error)
	// Descriptor returns the interface's report descriptor without
	// opening it (an error where the OS does not give it out).
	Descriptor(info hidInfo) ([]byte, error)
}

// hidSystem is the real backend (karalabe/hid). Sources take their backend
// in the constructor (newHIDSource, newKeypad); tests pass a fake one.
var hidSystem hidBackend = karalabeBackend{}

// hidMatch selects a device from the config.
type hidMatch struct {
	vid, pid uint16
	serial   string
	iface    *int
}

func newHIDMatch(vid, pid, serial string, iface *int) (hidMatch, error) {
	v, err := devices.ParseUSBID("vid", vid)
	if err != nil {
		return hidMatch{}, err
	}
	p, err := devices.ParseUSBID("pid", pid)
	if err != nil {
		return hidMatch{}, err
	}
	return hidMatch{vid: v, pid: p, serial: serial, iface: iface}, nil
}

func (m hidMatch) matches(i hidInfo) bool {
	if i.VID != m.vid || i.PID != m.pid {
		return false
	}
	if m.serial != "" && i.Serial != m.serial {
		return false
	}
	return m.iface == nil || i.Interface == *m.iface
}

func (m hidMatch) String() string {
	s := fmt.Sprintf("%04x:%04x", m.vid, m.pid)
	if m.serial != "" {
		s += " serial " + m.serial
	}
	if m.iface != nil {
		s += fmt.Sprintf(" interface %d", *m.iface)
	}
	return s
}

// hidClaims records which source holds which device path, so two identical
// scanners configured as two [[scanner]] tables open two devices.
var hidClaims = struct {
	sync.Mutex
	by map[string]string
}{by: map[string]string{}}

func hidClaim(path, owner string) bool {
	hidClaims.Lock()
	defer hidClaims.Unlock()
	if o, ok := hidClaims.by[path]; ok && o != owner {
		return false
	}
	hidClaims.by[path] = owner
	return true
}

func hidRelease(path, owner string) {
	hidClaims.Lock()
	defer hidClaims.Unlock()
	if hidClaims.by[path] == owner {
		delete(hidClaims.by, path)
	}
}

// hidSource is a hid-pos or hid-keyboard scanner, or the keypad.
type hidSource struct {
	name        string
	match       hidMatch
	backend     hidBackend
	interval    time.Duration // hotplug enumeration period
	readTimeout time.Duration // of one hidapi read
	newDecoder  func(layout string) (devices.Decoder, error)
	// posLayout is the configured pos_layout of a hid-pos scanner; ""
	// means the layout comes from each device as it is opened.
	posLayout   string
	pos         bool                                         // a hid-pos scanner
	beepFor     func(layout, pattern string) ([]byte, error) // nil: no scanner-side beep
	unsupported error                                        // set when this OS cannot read the device class
	log         *slog.Logger
	goos        string
	tap         func(t time.Time, chunk []byte)
	devTap      func(id devices.DeviceID)

	// mu guards conn. It is never held across a call into the device: a
	// beep write that never returns (a device that stopped taking output
	// reports; hidapi's Windows write waits without a timeout) must not
	// keep Run from closing, reconnecting or stopping. See hidConn.
	mu   sync.Mutex
	conn *hidConn
}

// hidConn is one opened device. hidapi frees a device on Close, so Close
// must not run while a Read or Write on it is in progress. The reader
// (serve's goroutine) marks the connection reading and a beep marks it
// writing (under hidSource.mu), both calling the device with no lock held.
// Run's close detaches the connection and closes the device if neither
// call is in progress, else the last of them to return closes it: a write
// that never returns, or a read stretched by a wall clock set back, keeps
// only that one handle, never Run. A new read or Beep never starts on a
// detached connection, and at most one write per connection is in flight
// (a second beep meanwhile gets ErrHIDBeepBusy instead of queueing behind
// a write that may never end).
type hidConn struct {
	dev      hidDevice
	path     string // claimed in hidClaims until the device is closed
	layout   string // the device's pos_layout
	reading  bool
	writing  bool
	detached bool
	readDone chan struct{} // closed when the reader has ended; nil before it starts
}

// errHIDDescriptorPending marks a refusal because the report descriptor
// could not be read (yet): Run tries again at the next tick instead of
// waiting for the device list to change.
var errHIDDescriptorPending = errors.New("report descriptor not readable")

// ErrHIDBeepBusy is returned by Beep while the previous beep's output
// report is still being written.
var ErrHIDBeepBusy = errors.New("hid: previous beep still being written")

// hidReadTimeout is the timeout of one hidapi read: how often, without
// reports, the decoder gets its idle time.
const hidReadTimeout = 100 * time.Millisecond

// hidReadGrace is how long past its timeout Run waits for the read in
// progress when it lets go of a device. A read normally returns within
// readTimeout (hidapi's timed read); one that does not was stretched by a
// wall clock set back (hidapi waits for a CLOCK_REALTIME deadline), and the
// reader closes the device when it returns.
const hidReadGrace = time.Second

// hidReportMax is the read buffer: full-speed interrupt reports are at
// most 64 bytes, high-speed 1024.
const hidReportMax = 1024

// newHIDSource builds a hid-pos or hid-keyboard source on backend; it opens
// nothing (Run does).
func newHIDSource(sc config.Scanner, env devices.Env, log *slog.Logger, backend hidBackend) (*hidSource, error) {
	o, err := devices.OptionsOf[Options](sc)
	if err != nil {
		return nil, err
	}
	m, err := newHIDMatch(o.VID, o.PID, o.SerialNumber, o.Interface)
	if err != nil {
		return nil, fmt.Errorf("%s: scanner %q: %w", sc.Type, sc.Name, err)
	}
	s := &hidSource{name: sc.Name, match: m, backend: backend, log: log, goos: hostOS,
		interval: hotplugInterval(env), readTimeout: hidReadTimeout}
	switch sc.Type {
	case "hid-pos":
		if o.POSLayout != "" {
			if _, err := decode.New("hid-pos", sc.Name, o.Config); err != nil {
				return nil, fmt.Errorf("scanner %q: %w", sc.Name, err)
			}
		}
		s.pos, s.posLayout = true, o.POSLayout
		s.newDecoder = func(layout string) (devices.Decoder, error) {
			c := o.Config
			c.POSLayout = layout
			return decode.New("hid-pos", sc.Name, c)
		}
		s.beepFor = func(layout, p string) ([]byte, error) {
			return decode.POSBeep(sc.Beep, sc.BeepBytes, layout, p)
		}
	case "hid-keyboard":
		if _, err := decode.New("hid-keyboard", sc.Name, o.Config); err != nil {
			return nil, fmt.Errorf("scanner %q: %w", sc.Name, err)
		}
		s.newDecoder = func(string) (devices.Decoder, error) { return decode.New("hid-keyboard", sc.Name, o.Config) }
		s.unsupported = keyboardUnsupported(s.goos)
	default:
		return nil, fmt.Errorf("hid: scanner %q: type %q is not a HID type", sc.Name, sc.Type)
	}
	return s, nil
}

// hotplugInterval is how often a missing device is looked for.
func hotplugInterval(env devices.Env) time.Duration {
	if env.HotplugInterval > 0 {
		return env.HotplugInterval
	}
	return 2 * time.Second
}

// keyboardUnsupported returns ErrKeyboardUnsupported on Windows.
func keyboardUnsupported(goos string) error {
	if goos == "windows" {
		return ErrKeyboardUnsupported
	}
	return nil
}

// Name returns the scanner or keypad name.
func (s *hidSource) Name() string { return s.name }

// SetTap installs a tap that sees every input report before decoding.
func (s *hidSource) SetTap(tap func(t time.Time, chunk []byte)) { s.tap = tap }

// SetDeviceTap installs a tap that is told each device opened, before its
// first report reaches the tap of SetTap.
func (s *hidSource) SetDeviceTap(tap func(id devices.DeviceID)) { s.devTap = tap }

// Beep plays pattern on the scanner through its output report. It is
// safe to call from any goroutine; the write never overlaps the device's
// Close, and a write that never returns blocks only this call.
func (s *hidSource) Beep(pattern string) error {
	if s.beepFor == nil {
		return nil
	}
	if !config.IsPattern(pattern) {
		return fmt.Errorf("hid: %w %q", config.ErrUnknownPattern, pattern)
	}
	s.mu.Lock()
	c := s.conn
	layout := s.posLayout
	if c != nil {
		layout = c.layout
	}
	s.mu.Unlock()
	if c == nil && layout == "" {
		return ErrHIDNotConnected // the layout of a device not yet opened is not known
	}
	b, err := s.beepFor(layout, pattern)
	if err != nil || len(b) == 0 {
		return err
	}
	b, err = hidOutputReport(s.goos, b)
	if err != nil {
		return err
	}
	s.mu.Lock()
	switch {
	case c == nil || c != s.conn:
		s.mu.Unlock()
		return ErrHIDNotConnected
	case c.writing:
		s.mu.Unlock()
		return ErrHIDBeepBusy
	}
	c.writing = true
	s.mu.Unlock()

	_, werr := c.dev.Write(b)

	s.mu.Lock()
	c.writing = false
	closeIt := c.detached && !c.reading // Run let go of it during the write
	s.mu.Unlock()
	if closeIt {
		s.closeConn(c)
	}
	if werr != nil {
		return fmt.Errorf("hid: %s: beep: %w", s.name, werr)
	}
	return nil
}

// hidOutputReport adapts an output report (report id first) to
// karalabe/hid's Write, which prepends a 0x00 report id on Windows
// (karalabe/hid#7, #36): for unnumbered reports we drop our 0x00; a
// numbered report cannot be expressed through that Write on Windows.
func hidOutputReport(goos string, b []byte) ([]byte, error) {
	if goos != "windows" || len(b) == 0 {
		return b, nil
	}
	if b[0] == 0 {
		return b[1:], nil
	}
	return nil, fmt.Errorf("hid: output report id 0x%02X cannot be sent on Windows (karalabe/hid prepends report id 0); set beep = \"none\" for this scanner and use a PC-side beeper", b[0])
}

// Run finds, opens and reads the device until ctx ends, reopening it when
// it comes back after an unplug.
func (s *hidSource) Run(ctx context.Context, out chan<- devices.Event) error {
	if s.unsupported != nil {
		return fmt.Errorf("scanner %q: %w", s.name, s.unsupported)
	}
	if !s.backend.Supported() {
		return fmt.Errorf("scanner %q: %w", s.name, ErrHIDNeedsCgo)
	}
	var (
		lastState devices.State
		lastErr   string
		failedSig string // the device list when opening last failed
		skipped   int
	)
	state := func(st devices.State, err error) bool {
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if st == lastState && msg == lastErr {
			return true
		}
		lastState, lastErr = st, msg
		// The station logs the state change once, for every kind of source.
		s.log.Debug("hid: state", "device", s.match.String(), "state", st, "err", err)
		return devices.Send(ctx, out, devices.Event{Kind: devices.KindState, Source: s.name, Time: time.Now(), State: st, Err: err})
	}
	for {
		infos, err := s.backend.Enumerate(s.match.vid, s.match.pid)
		if err != nil {
			err = fmt.Errorf("hid: enumerate: %w", err)
		}
		cands := s.candidates(infos)
		sig := hidSignature(cands)
		switch {
		case err != nil:
			if !state(devices.StateError, err) {
				return nil
			}
		case len(cands) == 0:
			failedSig = ""
			if !state(devices.StateWaiting, fmt.Errorf("hid: no free device %s", s.match)) {
				return nil
			}
		case sig == failedSig && skipped < 15:
			// Nothing changed since opening failed (permissions, busy):
			// enumeration is cheap, opening again every tick is not.
			skipped++
		default:
			skipped = 0
			c, id, oerr := s.open(cands)
			if oerr != nil {
				failedSig = sig
				if errors.Is(oerr, errHIDDescriptorPending) {
					failedSig = "" // the kernel may publish it any moment: look again next tick
				}
				if !state(devices.StateError, oerr) {
					return nil
				}
				break
			}
			failedSig = ""
			if !state(devices.StateConnected, nil) {
				s.close(c)
				return nil
			}
			if s.devTap != nil {
				s.devTap(id)
			}
			rerr := s.serve(ctx, c, out)
			s.close(c)
			if ctx.Err() != nil {
				return nil
			}
			if !state(devices.StateWaiting, rerr) {
				return nil
			}
		}
		if !devices.Sleep(ctx, s.interval) {
			return nil
		}
	}
}

// candidates returns matching devices no other source holds, in a stable order.
func (s *hidSource) candidates(infos []hidInfo) []hidInfo {
	var out []hidInfo
	for _, i := range infos {
		if !s.match.matches(i) {
			continue
		}
		hidClaims.Lock()
		o, taken := hidClaims.by[i.Path]
		hidClaims.Unlock()
		if taken && o != s.name {
			continue
		}
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Path < out[b].Path })
	return out
}

func hidSignature(infos []hidInfo) string {
	var b strings.Builder
	for _, i := range infos {
		b.WriteString(i.Path)
		b.WriteByte(0)
	}
	return b.String()
}

// open claims and opens the first candidate that opens, and returns it
// with its identity and, for hid-pos, its report layout: the configured
// one, else the one its report descriptor (read before opening: on Linux
// opening detaches the kernel driver that publishes it) and vendor id
// determine. A device whose layout cannot be told is not opened.
func (s *hidSource) open(cands []hidInfo) (*hidConn, devices.DeviceID, error) {
	var errs, refused []error
	for _, i := range cands {
		if !hidClaim(i.Path, s.name) {
			continue
		}
		id := devices.DeviceID{VID: i.VID, PID: i.PID, UsagePage: i.UsagePage}
		desc, derr := s.backend.Descriptor(i)
		if derr == nil {
			id.Descriptor = desc
		}
		layout := s.posLayout
		if s.pos && layout == "" {
			l, err := decode.LayoutFromDevice(id)
			if err != nil {
				hidRelease(i.Path, s.name)
				if derr != nil {
					// Just plugged in, the kernel's usbhid driver may not
					// have bound yet: the descriptor can still appear.
					err = fmt.Errorf("%w (%w: %v)", err, errHIDDescriptorPending, derr)
				}
				refused = append(refused, fmt.Errorf("%w; its [[scanner]] table (as offcircd devices prints it):\n%s", err, hidSnippet(i, s.name, s.goos, id.Descriptor)))
				continue
			}
			layout = l
			s.log.Info("hid-pos layout read from the device", "device", id.String(), "pos_layout", l)
		}
		dev, err := s.backend.Open(i)
		if err != nil {
			hidRelease(i.Path, s.name)
			errs = append(errs, fmt.Errorf("hid: open %s: %w", i.Path, err))
			continue
		}
		c := &hidConn{dev: dev, path: i.Path, layout: layout}
		s.mu.Lock()
		s.conn = c
		s.mu.Unlock()
		return c, id, nil
	}
	if len(refused) > 0 && len(errs) == 0 {
		return nil, devices.DeviceID{}, fmt.Errorf("scanner %q: %w", s.name, errors.Join(refused...))
	}
	if len(errs) == 0 {
		return nil, devices.DeviceID{}, fmt.Errorf("hid: no free device %s", s.match)
	}
	err := errors.Join(append(errs, refused...)...)
	if s.goos == "linux" {
		err = fmt.Errorf("%w (on Linux offcircd needs write access to /dev/bus/usb: install the udev rule)", err)
	}
	return nil, devices.DeviceID{}, err
}

// close lets go of the open device; only Run's goroutine calls it, after
// serve. It waits for the read in progress at most readTimeout plus
// hidReadGrace and never for a beep write: whichever of them is still in
// progress closes the device when it returns (hidConn).
func (s *hidSource) close(c *hidConn) {
	if c.readDone != nil {
		t := time.NewTimer(s.readTimeout + hidReadGrace)
		select {
		case <-c.readDone:
		case <-t.C:
		}
		t.Stop()
	}
	s.mu.Lock()
	if s.conn == c {
		s.conn = nil
	}
	c.detached = true
	reading, writing := c.reading, c.writing
	s.mu.Unlock()
	switch {
	case reading:
		s.log.Warn("hid: a read has outlived its timeout (the wall clock set back?); the device is closed when it returns", "device", s.match.String())
	case writing:
		s.log.Warn("hid: a beep write has not returned; the device is closed when it does", "device", s.match.String())
	default:
		s.closeConn(c)
	}
}

// closeConn closes c's device and releases its claim; called once, by
// whoever ends the last call on a detached connection.
func (s *hidSource) closeConn(c *hidConn) {
	if err := c.dev.Close(); err != nil {
		s.log.Debug("hid close", "err", err)
	}
	hidRelease(c.path, s.name)
}

// hidRead is what one read of the reader gave: a report (b), nothing
// before the timeout (b empty), or the error that ends the connection.
type hidRead struct {
	t   time.Time
	b   []byte
	err error
}

// serve decodes c's reports until ctx ends (nil) or the device fails (the
// error: an unplug looks like a read error). The reads run on a reader
// goroutine (read); serve waits on the monotonic clock, so a cancelled ctx
// is seen at once, and when no read has returned for two read timeouts (a
// read stretched by the wall clock set back) it gives the decoder its idle
// time itself.
func (s *hidSource) serve(ctx context.Context, c *hidConn, out chan<- devices.Event) error {
	dec, err := s.newDecoder(c.layout)
	if err != nil {
		return err
	}
	reads, quit := make(chan hidRead), make(chan struct{})
	defer close(quit)
	c.readDone = make(chan struct{})
	go func() {
		defer close(c.readDone)
		s.read(c, reads, quit)
	}()
	stale := 2 * s.readTimeout
	watch := time.NewTimer(stale)
	defer watch.Stop()
	for {
		var evs []devices.Event
		select {
		case <-ctx.Done():
			return nil
		case r := <-reads:
			watch.Reset(stale)
			switch {
			case r.err != nil:
				// hidapi's libusb backend says only "hid_error is not implemented
				// yet" here; in practice a failed read means the device went away.
				return fmt.Errorf("hid: device unplugged or read failed: %w", r.err)
			case len(r.b) == 0:
				evs = dec.Idle(r.t)
			default:
				if s.tap != nil {
					s.tap(r.t, r.b)
				}
				evs = dec.Feed(r.t, r.b)
			}
		case now := <-watch.C:
			watch.Reset(stale)
			evs = dec.Idle(now)
		}
		for _, ev := range evs {
			ev.Source = s.name
			if !devices.Send(ctx, out, ev) {
				return nil
			}
		}
	}
}

// read is c's reader: the one goroutine that reads the device, until the
// device fails or serve quits. A read that returns after Run has let go of
// the connection closes the device, unless a beep write is still on it.
func (s *hidSource) read(c *hidConn, reads chan<- hidRead, quit <-chan struct{}) {
	buf := make([]byte, hidReportMax)
	ms := max(int(s.readTimeout/time.Millisecond), 1)
	for {
		s.mu.Lock()
		if c.detached {
			s.mu.Unlock()
			return
		}
		select {
		case <-quit:
			s.mu.Unlock()
			return
		default:
		}
		c.reading = true
		s.mu.Unlock()

		n, err := c.dev.ReadTimeout(buf, ms)
		r := hidRead{t: time.Now(), err: err}

		s.mu.Lock()
		c.reading = false
		closeIt := c.detached && !c.writing
		s.mu.Unlock()
		if closeIt {
			s.closeConn(c)
			return
		}
		if err == nil && n > 0 {
			r.b = append([]byte(nil), buf[:n]...)
		}
		select {
		case reads <- r:
		case <-quit:
			return
		}
		if err != nil {
			return
		}
	}
}
