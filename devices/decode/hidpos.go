package decode

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/encoder"

	"github.com/offcircd/offcircd/devices"
)

// HID POS scanners (usage page 0x8C) send each decoded barcode as input
// reports whose layout is the vendor's: where the length, the AIM
// identifier, the data and the "more reports follow" flag sit. Each layout
// is one entry of posLayouts; the decoder joins continued reports into one
// message with per-device state.

// posMaxMessage bounds the reassembly of continued reports: a barcode that
// fits the data file is at most 254 bytes, a 2D code a few KB; a device
// stuck on "more follows" must not grow memory.
const posMaxMessage = 4096

// Reasons a HID POS message is rejected.
var (
	ErrPOSMalformed = errors.New("hid-pos: malformed report")
	ErrPOSOverflow  = errors.New("hid-pos: continued message longer than 4096 bytes")
	ErrPOSTooLong   = errors.New("hid-pos: code longer than max_length")
	ErrPOSTimeout   = errors.New("hid-pos: continued message never finished")
)

// posFrame is one input report taken apart.
type posFrame struct {
	aim  string // AIM identifier carried in its own field, "" if the layout has none
	data []byte
	sym  byte // vendor symbology id, 0 if none
	more bool // the message continues in the next report
}

// posLayout describes one vendor's report layout.
type posLayout struct {
	// parse takes one report apart; ok is false for reports of other ids
	// (status, command responses of another kind), which are ignored.
	parse func(r []byte) (f posFrame, ok bool, err error)
	// beeps are output reports per feedback pattern; nil if the layout
	// has no scanner-side beep.
	beeps map[string][]byte
}

var (
	honeywellGood = []byte{0x04, 0x40}
	honeywellBad  = []byte{0x04, 0x20}
)

// posLayouts holds the known HID POS layouts by `pos_layout` name.
var posLayouts = map[string]posLayout{
	// Honeywell and Access-IS: 64 bytes, [0]=0x02, [1]=length (<=56),
	// [2..4] AIM id, [5..60] data, [61] Honeywell code id, [63] bit 0 =
	// more reports follow (HenkVanAsselt/python_hon_usbhid README).
	"honeywell": {
		parse: func(r []byte) (posFrame, bool, error) {
			if len(r) == 0 || r[0] != 0x02 {
				return posFrame{}, false, nil
			}
			if len(r) < 5 {
				return posFrame{}, true, fmt.Errorf("%w: %d bytes", ErrPOSMalformed, len(r))
			}
			n := int(r[1])
			if n > 56 || 5+n > len(r) {
				return posFrame{}, true, fmt.Errorf("%w: length %d in a %d-byte report", ErrPOSMalformed, n, len(r))
			}
			f := posFrame{aim: string(r[2:5]), data: r[5 : 5+n]}
			if len(r) >= 64 {
				f.sym = r[61]
				f.more = r[63]&0x01 != 0
			}
			return f, true, nil
		},
		beeps: map[string][]byte{
			"good": honeywellGood, "patron": honeywellGood, "mode-loan": honeywellGood,
			"mode-return": honeywellGood, "double": honeywellGood, "undo": honeywellGood,
			"reject": honeywellBad, "write-failure": honeywellBad, "not-stored": honeywellBad,
		},
	},
	// Newland (FM430 1eab:1d10): [0]=0x02, [1]=length, [2..57] data,
	// [62] Newland symbology id (lamassu-machine fm430-hid-protocol.js).
	"newland": {
		parse: func(r []byte) (posFrame, bool, error) {
			if len(r) == 0 || r[0] != 0x02 {
				return posFrame{}, false, nil
			}
			if len(r) < 2 {
				return posFrame{}, true, fmt.Errorf("%w: %d bytes", ErrPOSMalformed, len(r))
			}
			n := int(r[1])
			if n > 56 || 2+n > len(r) {
				return posFrame{}, true, fmt.Errorf("%w: length %d in a %d-byte report", ErrPOSMalformed, n, len(r))
			}
			f := posFrame{data: r[2 : 2+n]}
			if len(r) > 62 {
				f.sym = r[62]
			}
			return f, true, nil
		},
	},
	// generic: any report id, [1]=length, data from [2]; an AIM prefix in
	// the data is recognised. For scanners not listed above.
	"generic": {
		parse: func(r []byte) (posFrame, bool, error) {
			if len(r) < 2 {
				return posFrame{}, false, nil
			}
			n := int(r[1])
			if 2+n > len(r) {
				return posFrame{}, true, fmt.Errorf("%w: length %d in a %d-byte report", ErrPOSMalformed, n, len(r))
			}
			return posFrame{data: r[2 : 2+n]}, true, nil
		},
	},
}

// POSLayouts lists the `pos_layout` names hid-pos scanners accept.
func POSLayouts() []string { return slices.Sorted(maps.Keys(posLayouts)) }

// posLookup returns the layout named name. An empty name is an error, not
// a default: the layout then comes from the device (LayoutFromDevice).
func posLookup(name string) (posLayout, error) {
	if name == "" {
		return posLayout{}, fmt.Errorf("%w: no pos_layout set and no device to read it from", ErrPOSLayoutUnknown)
	}
	l, ok := posLayouts[name]
	if !ok {
		return posLayout{}, fmt.Errorf("hid-pos: unknown pos_layout %q (known: %v)", name, POSLayouts())
	}
	return l, nil
}

// posDecoder is the hid-pos Decoder.
type posDecoder struct {
	layout  posLayout
	max     int
	keepAIM bool
	addon   string
	timeout time.Duration

	msg      []byte // data of the message being joined
	aim      string
	raw      []byte
	pending  bool // a continued message is open
	overflow bool // discarding the rest of an overlong message
	last     time.Time
}

func newPOSDecoder(c Config) (*posDecoder, error) {
	l, err := posLookup(c.POSLayout)
	if err != nil {
		return nil, err
	}
	d := &posDecoder{layout: l, max: c.MaxLength, keepAIM: c.AIM == "keep", addon: c.AddOn, timeout: c.FrameTimeout.Duration}
	if d.max <= 0 {
		d.max = kbdDefaultMax
	}
	if d.timeout <= 0 {
		d.timeout = time.Second
	}
	return d, nil
}

// Feed consumes one input report.
func (d *posDecoder) Feed(t time.Time, r []byte) []devices.Event {
	f, ok, err := d.layout.parse(r)
	if !ok {
		return nil
	}
	d.last = t
	if err != nil {
		d.reset()
		return []devices.Event{{Kind: devices.KindBad, Time: t, Err: err, Raw: append([]byte(nil), r...)}}
	}
	if !d.pending {
		d.aim = f.aim
	}
	d.pending = true
	if !d.overflow {
		if len(d.msg)+len(f.data) > posMaxMessage || len(d.raw)+len(r) > 2*posMaxMessage {
			d.overflow = true
			d.msg, d.raw = d.msg[:0], d.raw[:0]
		} else {
			d.msg = append(d.msg, f.data...)
			d.raw = append(d.raw, r...)
		}
	}
	if f.more {
		return nil
	}
	defer d.reset()
	if d.overflow {
		return []devices.Event{{Kind: devices.KindBad, Time: t, Symbology: d.aim, Err: ErrPOSOverflow}}
	}
	if len(d.msg) == 0 {
		return nil // an empty report (some scanners send one after each code)
	}
	return []devices.Event{d.event(t, f.sym)}
}

// event classifies the joined message. A bad event keeps the message in
// Data, for monitor and capture; the station never uses it.
func (d *posDecoder) event(t time.Time, sym byte) devices.Event {
	ev := devices.Event{Kind: devices.KindScan, Time: t, Raw: append([]byte(nil), d.raw...)}
	text := d.msg
	if isAIM([]byte(d.aim)) {
		text = append([]byte(d.aim), d.msg...)
	}
	s, data, err := hidCode(text, d.keepAIM, d.addon)
	ev.Symbology, ev.Data = s, string(data)
	if ev.Symbology == "" && sym >= 0x21 && sym <= 0x7E {
		ev.Symbology = string(rune(sym)) // vendor symbology id
	}
	switch {
	case err != nil:
		ev.Kind, ev.Err = devices.KindBad, err
	case len(d.msg) == 0 || len(data) == 0:
		ev.Kind, ev.Err = devices.KindBad, errHIDAIMOnly
	case len(ev.Data) > d.max:
		ev.Kind, ev.Err = devices.KindBad, fmt.Errorf("%w (%d > %d)", ErrPOSTooLong, len(ev.Data), d.max)
	default:
		if err := encoder.CheckChars("hid-pos", ev.Data); err != nil {
			ev.Kind, ev.Err = devices.KindBad, err
		}
	}
	return ev
}

func (d *posDecoder) reset() {
	d.msg, d.raw, d.aim = d.msg[:0], d.raw[:0], ""
	d.pending, d.overflow = false, false
}

// Idle drops a continued message whose last report never came.
func (d *posDecoder) Idle(t time.Time) []devices.Event {
	if !d.pending || t.Sub(d.last) < d.timeout {
		return nil
	}
	aim := d.aim
	d.reset()
	return []devices.Event{{Kind: devices.KindBad, Time: t, Symbology: aim, Err: ErrPOSTimeout}}
}

// POSBeep returns the output report for pattern on a hid-pos scanner: the
// `beep_bytes` override, then the `beep` setting ("" / "hid-pos" /
// "honeywell" = the layout's own reports, "none", or hex bytes for every
// pattern). nil means no scanner-side beep.
func POSBeep(beep string, overrides map[string]string, layout, pattern string) ([]byte, error) {
	if !config.IsPattern(pattern) {
		return nil, fmt.Errorf("hid-pos: %w %q", config.ErrUnknownPattern, pattern)
	}
	if h, ok := overrides[pattern]; ok {
		return config.ParseHex(h)
	}
	switch beep {
	case "none":
		return nil, nil
	case "", "hid-pos", "honeywell":
		l, err := posLookup(layout)
		if err != nil {
			return nil, err
		}
		return l.beeps[pattern], nil
	}
	b, err := config.ParseHex(beep)
	if err != nil {
		return nil, fmt.Errorf("hid-pos: beep %q is not a HID POS profile (hid-pos, none or hex bytes of an output report)", beep)
	}
	return b, nil
}
