package decode

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/encoder"

	"github.com/offcircd/offcircd/devices"
)

// The keypad is a small USB keyboard (often a numeric keypad) whose keys
// send station commands, the same commands as control barcodes. With
// patron_entry, digits typed and ended with Enter are a patron ID.

// keypadEntryTimeout drops half-typed digits: the patron walked away.
const keypadEntryTimeout = 15 * time.Second

// keypadDecoder turns key presses into commands and, with patron entry,
// digits + Enter into a patron scan.
type keypadDecoder struct {
	track   kbdTracker
	keys    map[uint8]config.Command // usage → command
	entry   bool
	digits  []byte
	last    time.Time
	raw     []byte
	scratch [kbdMaxKeys]uint8
}

// newKeypadDecoder maps the configured key names to usages (config.KeyUsages).
func newKeypadDecoder(kp *config.Keypad) (*keypadDecoder, error) {
	d := &keypadDecoder{track: kbdTracker{reportID: kp.ReportID}, keys: map[uint8]config.Command{}, entry: kp.PatronEntry}
	var unknown []string
	for name, cmd := range kp.Keys {
		u, ok := config.KeyUsages[strings.ToUpper(name)]
		if !ok {
			unknown = append(unknown, name)
			continue
		}
		d.keys[u] = config.Command(cmd)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("keypad: unknown key names %s", strings.Join(unknown, ", "))
	}
	return d, nil
}

// keypadDigit returns the digit a keypad or main-row key types.
func keypadDigit(u uint8) (byte, bool) {
	switch {
	case u >= usageKP1 && u <= usageKP0:
		return "1234567890"[u-usageKP1], true
	case u >= 0x1E && u <= 0x27:
		return "1234567890"[u-0x1E], true
	}
	return 0, false
}

// Feed consumes one keyboard report.
func (d *keypadDecoder) Feed(t time.Time, report []byte) []devices.Event {
	rep, ok := d.track.feed(report, d.scratch[:])
	if !ok {
		return nil
	}
	var out []devices.Event
	for _, u := range rep.pressed {
		// Enter ends a digit entry even when it is also bound to a
		// command: typing digits first says what the person meant.
		if d.entry && len(d.digits) > 0 && (u == usageEnter || u == usageKPEnter) {
			out = append(out, devices.Event{Kind: devices.KindScan, Time: t, Data: string(d.digits), Patron: true,
				Raw: append(append([]byte(nil), d.raw...), report...)})
			d.digits, d.raw = d.digits[:0], d.raw[:0]
			continue
		}
		if cmd, ok := d.keys[u]; ok {
			out = append(out, devices.Event{Kind: devices.KindCommand, Time: t, Command: cmd, Raw: append([]byte(nil), report...)})
			continue
		}
		if !d.entry {
			continue // unbound keys do nothing
		}
		switch c, isDigit := keypadDigit(u); {
		case isDigit:
			if len(d.digits) < encoder.MaxPatronLen {
				d.digits = append(d.digits, c)
				d.raw = append(d.raw, report...)
			}
			d.last = t
		case u == usageBackspace && len(d.digits) > 0:
			d.digits = d.digits[:len(d.digits)-1]
		case u == usageEscape:
			d.digits, d.raw = d.digits[:0], d.raw[:0]
		}
	}
	return out
}

// Idle forgets a digit entry nobody finished.
func (d *keypadDecoder) Idle(t time.Time) []devices.Event {
	if len(d.digits) > 0 && t.Sub(d.last) >= keypadEntryTimeout {
		d.digits, d.raw = d.digits[:0], d.raw[:0]
	}
	return nil
}
