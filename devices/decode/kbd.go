package decode

import (
	"errors"
	"fmt"
	"time"

	"github.com/offcircd/offcircd/encoder"

	"github.com/offcircd/offcircd/devices"
)

// Keyboard-mode scanners read as raw boot keyboard reports:
// [modifiers][reserved][k1..k6], optionally behind a report id byte. Each
// character is a press report followed by a release; fast scanners press
// the next key before releasing the previous one (rollover), so a key
// counts when it appears in a report, not when the report changes.

// Boot keyboard modifier bits.
const (
	modLCtrl  = 0x01
	modLShift = 0x02
	modLAlt   = 0x04
	modRCtrl  = 0x10
	modRShift = 0x20
	modRAlt   = 0x40 // AltGr on European layouts

	modCtrl  = modLCtrl | modRCtrl
	modShift = modLShift | modRShift
)

// Keyboard usages with a meaning beyond typing a character.
const (
	usageErrorRollOver = 0x01 // 0x01–0x03: the report is a phantom state, not keys
	usageEnter         = 0x28
	usageEscape        = 0x29
	usageBackspace     = 0x2A
	usageTab           = 0x2B
	usageCapsLock      = 0x39
	usageNumLock       = 0x53
	usageKPEnter       = 0x58
	usageKP1           = 0x59
	usageKP0           = 0x62
	usageScrollLock    = 0x47
)

// kbdMaxKeys bounds the key array taken from one report: boot reports have
// 6, a few devices send longer arrays; more is garbage.
const kbdMaxKeys = 14

// kbdDefaultMax is the longest code accepted when max_length is unset: the
// longest patron ID the data file allows (items are checked again, at 80,
// by the station).
const kbdDefaultMax = encoder.MaxPatronLen

// kbdRawCap bounds the raw reports kept for Event.Raw (monitor --raw).
const kbdRawCap = 4096

// Reasons a keyboard-mode scan is rejected.
var (
	errKbdTooLong    = errors.New("hid-keyboard: code longer than max_length")
	errKbdNoKey      = errors.New("hid-keyboard: key types no character on this layout")
	errKbdControl    = errors.New("hid-keyboard: Ctrl or Alt combination inside a code")
	errKbdAltCode    = errors.New("hid-keyboard: ALT+keypad code is not printable ASCII")
	errKbdAccent     = errors.New("hid-keyboard: dead key makes an accented letter")
	errKbdIncomplete = errors.New("hid-keyboard: code without Enter/Tab terminator")
)

// kbdTracker turns a stream of boot reports into key presses. It is shared
// by the scanner decoder and the keypad.
type kbdTracker struct {
	reportID bool
	prev     [kbdMaxKeys]uint8
	nprev    int
	prevMods uint8
}

// kbdReport is one parsed report.
type kbdReport struct {
	mods    uint8
	oldMods uint8
	pressed []uint8 // usages down now that were not down before, in report order
}

// feed parses one report; ok is false for reports that carry no key state
// (too short, phantom ErrorRollOver).
func (k *kbdTracker) feed(r []byte, scratch []uint8) (kbdReport, bool) {
	if k.reportID {
		if len(r) == 0 {
			return kbdReport{}, false
		}
		r = r[1:]
	}
	if len(r) < 3 {
		return kbdReport{}, false
	}
	keys := r[2:]
	if len(keys) > kbdMaxKeys {
		keys = keys[:kbdMaxKeys]
	}
	for _, u := range keys {
		if u >= usageErrorRollOver && u <= 0x03 {
			return kbdReport{}, false
		}
	}
	rep := kbdReport{mods: r[0], oldMods: k.prevMods, pressed: scratch[:0]}
	var now [kbdMaxKeys]uint8
	n := 0
	for _, u := range keys {
		if u == 0 {
			continue
		}
		now[n] = u
		n++
		if !k.wasDown(u) {
			rep.pressed = append(rep.pressed, u)
		}
	}
	k.prev, k.nprev, k.prevMods = now, n, r[0]
	return rep, true
}

func (k *kbdTracker) wasDown(u uint8) bool {
	for _, p := range k.prev[:k.nprev] {
		if p == u {
			return true
		}
	}
	return false
}

// kbdDecoder is the hid-keyboard Decoder: boot reports to codes through a
// layout table, ended by Enter or Tab (or an idle gap).
type kbdDecoder struct {
	track     kbdTracker
	layout    kbdLayout
	max       int
	keepAIM   bool
	addon     string        // main | keep | reject
	idleFrame bool          // terminator = "idle": a silence ends the code
	idleGap   time.Duration // idle framing gap
	timeout   time.Duration // a partial code older than this is rejected

	caps    bool
	buf     []byte
	bad     error
	last    time.Time // last report that typed something
	raw     []byte
	altN    int // ALT+keypad digits typed so far
	altVal  int
	dead    rune // pending dead key
	scratch [kbdMaxKeys]uint8
}

// newKbdDecoder builds the hid-keyboard decoder for c (layout, report_id,
// max_length, aim, terminator, idle_gap, frame_timeout).
func newKbdDecoder(c Config) (*kbdDecoder, error) {
	l, err := kbdLookup(c.Layout)
	if err != nil {
		return nil, err
	}
	d := &kbdDecoder{
		track:   kbdTracker{reportID: c.ReportID},
		layout:  l,
		max:     c.MaxLength,
		keepAIM: c.AIM == "keep",
		addon:   c.AddOn,
		idleGap: c.IdleGap.Duration,
		timeout: c.FrameTimeout.Duration,
	}
	switch c.Terminator {
	case "", "cr", "lf", "crlf", "tab":
		// Enter and Tab both end a code: which one the scanner sends is
		// its suffix setting, and neither can be part of a barcode here.
	case "idle":
		d.idleFrame = true
	default:
		return nil, fmt.Errorf("hid-keyboard: unknown terminator %q", c.Terminator)
	}
	if d.max <= 0 {
		d.max = kbdDefaultMax
	}
	if d.idleGap <= 0 {
		d.idleGap = 100 * time.Millisecond // keyboard reports come every 1–16 ms
	}
	if d.timeout <= 0 {
		d.timeout = time.Second
	}
	return d, nil
}

// Feed consumes one input report.
func (d *kbdDecoder) Feed(t time.Time, report []byte) []devices.Event {
	rep, ok := d.track.feed(report, d.scratch[:])
	if !ok {
		return nil
	}
	var out []devices.Event
	if len(d.raw)+len(report) <= kbdRawCap {
		d.raw = append(d.raw, report...)
	}
	// ALT released after keypad digits: the code is complete.
	if d.altN > 0 && rep.oldMods&modLAlt != 0 && rep.mods&modLAlt == 0 {
		d.finishAlt()
	}
	for _, u := range rep.pressed {
		if ev, ok := d.press(t, rep.mods, u); ok {
			out = append(out, ev)
		}
	}
	if len(d.buf) == 0 && d.bad == nil && d.altN == 0 && d.dead == 0 && len(rep.pressed) == 0 && d.track.nprev == 0 && rep.mods == 0 {
		d.raw = d.raw[:0] // releases between codes are not part of the next one
	}
	return out
}

// press handles one newly pressed key; it returns an event when the key ended a code.
func (d *kbdDecoder) press(t time.Time, mods, u uint8) (devices.Event, bool) {
	shift := mods&modShift != 0
	ctrl := mods&modCtrl != 0
	lalt := mods&modLAlt != 0
	altgr := mods&modRAlt != 0 || (ctrl && lalt)
	switch {
	case u == usageCapsLock:
		d.caps = !d.caps
		return devices.Event{}, false
	case u == usageNumLock || u == usageScrollLock || (u >= 0xE0 && u <= 0xE7):
		return devices.Event{}, false // lock keys and modifiers reported as keys type nothing
	case u == usageEnter || u == usageKPEnter || u == usageTab:
		return d.finish(t)
	}
	d.last = t
	if lalt && !altgr {
		if u >= usageKP1 && u <= usageKP0 {
			digit := int(u-usageKP1+1) % 10
			if d.altN < 5 {
				d.altVal = d.altVal*10 + digit
			}
			d.altN++
			return devices.Event{}, false
		}
		d.fail(errKbdControl)
		return devices.Event{}, false
	}
	if ctrl && !altgr {
		d.fail(errKbdControl)
		return devices.Event{}, false
	}
	k, ok := d.layout[u]
	if !ok {
		d.fail(fmt.Errorf("%w (usage 0x%02X)", errKbdNoKey, u))
		return devices.Event{}, false
	}
	var r rune
	var dead bool
	switch {
	case altgr:
		r, dead = k.altgr, k.dead&deadAltGr != 0
	case shift != (k.caps && d.caps):
		r, dead = k.shift, k.dead&deadShift != 0
	default:
		r, dead = k.base, k.dead&deadBase != 0
	}
	if r == 0 {
		d.fail(fmt.Errorf("%w (usage 0x%02X)", errKbdNoKey, u))
		return devices.Event{}, false
	}
	if dead {
		if d.dead != 0 {
			d.put(d.dead) // two dead keys type both
		}
		d.dead = r
		return devices.Event{}, false
	}
	if d.dead != 0 {
		dk := d.dead
		d.dead = 0
		switch {
		case r == ' ':
			d.put(dk) // dead key + space types the accent itself
			return devices.Event{}, false
		case accentable(r):
			d.fail(fmt.Errorf("%w (%c + %c)", errKbdAccent, dk, r))
			return devices.Event{}, false
		default:
			d.put(dk)
		}
	}
	d.put(r)
	return devices.Event{}, false
}

// accentable reports letters that a dead key turns into a non-ASCII letter.
func accentable(r rune) bool {
	switch r {
	case 'a', 'e', 'i', 'o', 'u', 'y', 'n', 'A', 'E', 'I', 'O', 'U', 'Y', 'N':
		return true
	}
	return false
}

// finishAlt types the character of a completed ALT+keypad sequence. Windows
// takes the value modulo 256 (OEM code page without a leading 0, ANSI with
// one); both agree with ASCII below 128, and anything else is not ASCII.
func (d *kbdDecoder) finishAlt() {
	v := d.altVal % 256
	if d.altN > 5 {
		v = -1
	}
	d.altN, d.altVal = 0, 0
	if v < 0x21 || v > 0x7E {
		d.fail(fmt.Errorf("%w (ALT+%d)", errKbdAltCode, v))
		return
	}
	d.put(rune(v))
}

// put appends one typed character, or marks the code bad.
func (d *kbdDecoder) put(r rune) {
	if r < 0x21 || r > 0x7E {
		d.fail(fmt.Errorf("hid-keyboard: %q: %w", r, encoder.ErrCharset))
		return
	}
	if len(d.buf) >= d.max {
		d.fail(fmt.Errorf("%w (%d)", errKbdTooLong, d.max))
		return
	}
	d.buf = append(d.buf, byte(r))
}

// fail marks the current code bad; the first reason is kept and typing
// continues to the terminator so the next code starts in sync.
func (d *kbdDecoder) fail(err error) {
	if d.bad == nil {
		d.bad = err
	}
}

// finish ends the current code at a terminator.
func (d *kbdDecoder) finish(t time.Time) (devices.Event, bool) {
	if d.dead != 0 {
		d.put(d.dead)
		d.dead = 0
	}
	if d.altN > 0 {
		d.finishAlt()
	}
	defer d.reset()
	if len(d.buf) == 0 && d.bad == nil {
		return devices.Event{}, false // a bare terminator (CR LF suffix, double Enter)
	}
	return kbdEvent(t, d.buf, d.bad, d.keepAIM, d.addon, d.raw), true
}

// kbdEvent builds the scan or bad event for a finished code. A bad event
// keeps the text decoded so far in Data, for monitor and capture; the
// station never uses it.
func kbdEvent(t time.Time, buf []byte, bad error, keepAIM bool, addon string, raw []byte) devices.Event {
	ev := devices.Event{Kind: devices.KindScan, Time: t, Raw: append([]byte(nil), raw...)}
	sym, data, err := hidCode(buf, keepAIM, addon)
	ev.Symbology, ev.Data = sym, string(data)
	if bad == nil {
		bad = err
	}
	if bad == nil && len(data) == 0 {
		bad = errHIDAIMOnly
	}
	if bad != nil {
		ev.Kind, ev.Err = devices.KindBad, bad
	}
	return ev
}

var errHIDAIMOnly = errors.New("hid: AIM identifier without data")

// hidCode splits the AIM identifier and an EAN/UPC add-on off a decoded
// code, per the scanner's aim (strip | keep) and addon (main | keep |
// reject) settings, the same way the serial framer does.
func hidCode(text []byte, keepAIM bool, addon string) (string, []byte, error) {
	c := splitAIM(text)
	data := c.main
	if c.addon != nil {
		switch addon {
		case "reject":
			return c.sym, data, fmt.Errorf("hid: add-on %q: %w", c.addon, ErrFrameAddOn)
		case "keep":
			data = append(append([]byte(nil), c.main...), c.addon...)
		}
	}
	if keepAIM && c.sym != "" {
		data = append([]byte(c.sym), data...)
	}
	return c.sym, data, nil
}

func (d *kbdDecoder) reset() {
	d.buf, d.bad, d.raw = d.buf[:0], nil, d.raw[:0]
	d.altN, d.altVal, d.dead = 0, 0, 0
}

// Idle completes idle-framed codes and rejects partial codes that never got
// their terminator: the person at the desk hears the reject beep and scans
// again, instead of the fragment being glued to the next scan.
func (d *kbdDecoder) Idle(t time.Time) []devices.Event {
	if len(d.buf) == 0 && d.bad == nil && d.altN == 0 && d.dead == 0 {
		return nil
	}
	since := t.Sub(d.last)
	switch {
	case d.idleFrame && since >= d.idleGap && d.track.nprev == 0 && d.track.prevMods == 0:
		if ev, ok := d.finish(t); ok {
			return []devices.Event{ev}
		}
	case !d.idleFrame && since >= d.timeout:
		d.fail(errKbdIncomplete)
		if ev, ok := d.finish(t); ok {
			return []devices.Event{ev}
		}
	}
	return nil
}
