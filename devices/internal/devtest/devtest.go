// Package devtest holds what the device packages' tests share: HID report
// descriptors and reports of the scanners offcircd knows, and the
// invariant every decoded scan keeps. Only tests import it.
package devtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/devices"
)

// HoneywellDescriptor is a HID POS report descriptor in the Honeywell /
// Access-IS report layout (HARDWARE.md; Access-IS LSR116 manual, appendix
// A): application Bar Code Scanner (0x8C 0x02), input report 2 of 64
// bytes — [1] length, [2..4] Symbology Identifier 1-3, [5..60] Decoded
// Data, [61..62] vendor bytes, [63] bit 0 Decode Data Continued — and
// output report 4 with the Sound Error Beep (bit 5) and Sound Good Read
// Beep (bit 6) bits that `04 20` and `04 40` set. Written from the
// documented layout with the usages of the HID POS Usage Tables 1.02, not
// dumped from a device.
var HoneywellDescriptor = []byte{
	0x05, 0x8C, // Usage Page (Bar Code Scanner)
	0x09, 0x02, // Usage (Bar Code Scanner)
	0xA1, 0x01, // Collection (Application)
	0x09, 0x12, //   Usage (Scanned Data Report)
	0xA1, 0x02, //   Collection (Logical)
	0x85, 0x02, //     Report ID (2)
	0x15, 0x00, //     Logical Minimum (0)
	0x26, 0xFF, 0x00, // Logical Maximum (255)
	0x75, 0x08, //     Report Size (8)
	0x06, 0x00, 0xFF, // Usage Page (vendor 0xFF00)
	0x09, 0x01, //     Usage (data length)
	0x95, 0x01, //     Report Count (1)
	0x81, 0x02, //     Input (Data, Variable, Absolute)
	0x05, 0x8C, //     Usage Page (Bar Code Scanner)
	0x09, 0xFB, //     Usage (Symbology Identifier 1)
	0x09, 0xFC, //     Usage (Symbology Identifier 2)
	0x09, 0xFD, //     Usage (Symbology Identifier 3)
	0x95, 0x03, //     Report Count (3)
	0x81, 0x02, //     Input (Data, Variable, Absolute)
	0x09, 0xFE, //     Usage (Decoded Data)
	0x95, 0x38, //     Report Count (56)
	0x82, 0x02, 0x01, // Input (Data, Variable, Absolute, Buffered Bytes)
	0x06, 0x00, 0xFF, // Usage Page (vendor 0xFF00)
	0x09, 0x02, //     Usage (Honeywell code id, reserved)
	0x95, 0x02, //     Report Count (2)
	0x81, 0x02, //     Input (Data, Variable, Absolute)
	0x05, 0x8C, //     Usage Page (Bar Code Scanner)
	0x09, 0xFF, //     Usage (Decode Data Continued)
	0x25, 0x01, //     Logical Maximum (1)
	0x75, 0x01, //     Report Size (1)
	0x95, 0x01, //     Report Count (1)
	0x81, 0x02, //     Input (Data, Variable, Absolute)
	0x75, 0x07, //     Report Size (7)
	0x81, 0x03, //     Input (Constant) padding
	0xC0,       //   End Collection
	0x09, 0x14, //   Usage (Trigger Report)
	0xA1, 0x02, //   Collection (Logical)
	0x85, 0x04, //     Report ID (4)
	0x75, 0x01, //     Report Size (1)
	0x95, 0x05, //     Report Count (5)
	0x91, 0x03, //     Output (Constant) bits 0-4
	0x09, 0x85, //     Usage (Sound Error Beep)
	0x09, 0x86, //     Usage (Sound Good Read Beep)
	0x95, 0x02, //     Report Count (2)
	0x91, 0x02, //     Output (Data, Variable, Absolute) bits 5-6
	0x95, 0x01, //     Report Count (1)
	0x91, 0x03, //     Output (Constant) bit 7
	0xC0, //   End Collection
	0xC0, // End Collection
}

// GenericDescriptor: one unnumbered 64-byte input report, [0] unused,
// [1] length, data from [2] (a scanner of the `generic` layout).
var GenericDescriptor = []byte{
	0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, // Bar Code Scanner application
	0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08,
	0x06, 0x00, 0xFF, 0x09, 0x01, 0x95, 0x02, 0x81, 0x02, // [0] status, [1] length (vendor usages)
	0x05, 0x8C, 0x09, 0xFE, 0x95, 0x3E, 0x82, 0x02, 0x01, // [2..63] Decoded Data
	0xC0,
}

// KeyboardDescriptor is a boot keyboard's (a scanner in keyboard mode).
var KeyboardDescriptor = []byte{
	0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00, 0x25, 0x01,
	0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x01, 0x95, 0x06, 0x75, 0x08,
	0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xC0,
}

// VendorDataDescriptor declares the scanner collection but a 63-byte
// report 2 of vendor usages only (as some firmware does).
var VendorDataDescriptor = []byte{
	0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x85, 0x02, 0x06, 0x00, 0xFF, 0x09, 0x01,
	0x75, 0x08, 0x95, 0x3F, 0x81, 0x02, 0xC0,
}

// HonLong is a 68-character Code 128 item: more than one report's 56 data bytes.
var HonLong = strings.Repeat("0123456789ABCDEFGH", 4)[:68]

// HonReport is one 64-byte input report of the Honeywell HID POS layout.
func HonReport(aim, data string, more bool) []byte {
	r := make([]byte, 64)
	r[0], r[1] = 0x02, byte(len(data))
	copy(r[2:], aim)
	copy(r[5:], data)
	if more {
		r[63] = 1
	}
	return r
}

// AssertSafeScan checks the invariant the station relies on: a scan is
// 1..max printable ASCII bytes without spaces, and a bad event says why.
func AssertSafeScan(t testing.TB, ev devices.Event, max int) {
	t.Helper()
	if ev.Kind != devices.KindScan {
		if ev.Kind == devices.KindBad && ev.Err == nil {
			t.Errorf("bad event without error")
		}
		return
	}
	if ev.Data == "" || len(ev.Data) > max {
		t.Errorf("scan with length %d", len(ev.Data))
	}
	for i := 0; i < len(ev.Data); i++ {
		if c := ev.Data[i]; c < 0x21 || c > 0x7E {
			t.Errorf("scan %q carries byte 0x%02X", ev.Data, c)
		}
	}
}

// DescribeEvent renders an event as a device case's expected.txt line (without the
// reason of a bad event).
func DescribeEvent(ev devices.Event) string {
	switch ev.Kind {
	case devices.KindCommand:
		return "command " + string(ev.Command)
	case devices.KindState:
		return "state " + string(ev.State)
	}
	sym := ev.Symbology
	if sym == "" {
		sym = "-"
	}
	kind := map[devices.Kind]string{devices.KindScan: "scan", devices.KindBad: "bad"}[ev.Kind]
	s := fmt.Sprintf("%s %s %q", kind, sym, ev.Data)
	if ev.Patron {
		s += " patron"
	}
	return s
}

// ErrString is the reason of a bad event, "(no reason)" when it has none.
func ErrString(err error) string {
	if err == nil {
		return "(no reason)"
	}
	return err.Error()
}

// Collect runs src until it stops by itself and returns its events.
func Collect(t *testing.T, src devices.Source) []devices.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := make(chan devices.Event, 1000)
	if err := src.Run(ctx, out); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("source did not stop by itself")
	}
	close(out)
	var evs []devices.Event
	for ev := range out {
		evs = append(evs, ev)
	}
	return evs
}

// Summary renders events compactly: "scan:X", "bad", "state:connected".
func Summary(evs []devices.Event) string {
	var b []string
	for _, ev := range evs {
		switch ev.Kind {
		case devices.KindScan:
			b = append(b, "scan:"+ev.Data)
		case devices.KindBad:
			b = append(b, "bad")
		case devices.KindState:
			b = append(b, "state:"+string(ev.State))
		case devices.KindCommand:
			b = append(b, "cmd:"+string(ev.Command))
		}
	}
	return strings.Join(b, " ")
}
