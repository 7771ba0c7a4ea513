package decode

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/internal/devtest"
)

// Fields of one report declared together or apart, in the usual order:
// the layout is found by where each usage lands, element by element.
func TestPOSLayoutFieldsSharingAnItem(t *testing.T) {
	tests := []struct {
		name string
		d    honDesc
		want string
	}{
		{"length and symbology ids in one item", honDesc{length: "06 00 FF 09 01 05 8C 19 FB 29 FD 95 04 81 02", sym: " "}, "honeywell"},
		{"length as a range, ids as usages, one item", honDesc{length: "06 00 FF 19 01 29 01 05 8C 09 FB 09 FC 09 FD 95 04 81 02", sym: " "}, "honeywell"},
		// A usage declared past the item's elements is not in it.
		{"decoded data named past the ids' elements", honDesc{sym: "05 8C 09 FB 09 FC 09 FD 09 FE 95 03 81 02"}, "honeywell"},
		// A zero-length constant field first: nothing moves.
		{"empty padding first", honDesc{length: "75 08 95 00 81 03 06 00 FF 09 01 95 01 81 02"}, "honeywell"},
		// The symbology ids in another report at the same bit: not this layout.
		{"symbology ids in report 3", honDesc{sym: "85 03 75 08 95 01 81 03 05 8C 09 FB 09 FC 09 FD 95 03 81 02 85 02 95 03 81 03"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := layoutOf(tt.d.bytes())
			if got != tt.want {
				t.Fatalf("layout %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

// The generic layout needs one input report with a byte field of its own
// at [1] (the length) and the decoded data from [2].
func TestPOSGenericShape(t *testing.T) {
	const data = "05 8C 09 FE 95 3E 82 02 01"
	app := func(body string) []byte { return hx("05 8C 09 02 A1 01 15 00 26 FF 00 75 08 " + body + " C0") }
	tests := []struct {
		name string
		desc []byte
		want string
	}{
		{"status and length in one field", app("06 00 FF 09 01 95 02 81 02 " + data), "generic"},
		{"status and length apart", app("06 00 FF 09 01 95 01 81 02 09 02 81 02 " + data), "generic"},
		{"length byte is padding", app("06 00 FF 09 01 95 01 81 02 81 03 " + data), ""},
		{"status and length padding", app("95 02 81 03 " + data), ""},
		{"length in a 16-bit field", app("06 00 FF 09 01 75 10 95 01 81 02 75 08 " + data), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LayoutFromDevice(devices.DeviceID{VID: 0x1234, PID: 1, Descriptor: tt.desc})
			if got != tt.want {
				t.Fatalf("layout %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

// A descriptor with vendor usages only: the vendor's documented layout is
// taken when its report 2 has that layout's 64 bytes, not otherwise.
func TestPOSVendorLayoutNeedsItsReportSize(t *testing.T) {
	desc := func(rid, count byte) []byte {
		return []byte{0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x85, rid, 0x06, 0x00, 0xFF, 0x09, 0x01, 0x75, 0x08, 0x95, count, 0x81, 0x02, 0xC0}
	}
	for _, tc := range []struct {
		name      string
		rid, size byte
		want      string
	}{
		{"report 2 of 64 bytes", 2, 0x3F, "honeywell"},
		{"report 2 of 33 bytes", 2, 0x20, ""},
		{"report 3 of 64 bytes", 3, 0x3F, ""},
	} {
		got, err := LayoutFromDevice(devices.DeviceID{VID: 0x0c2e, PID: 0x0b87, Descriptor: desc(tc.rid, tc.size)})
		if got != tc.want || (tc.want == "" && !errors.Is(err, ErrPOSLayoutUnknown)) {
			t.Errorf("%s: layout %q (%v), want %q", tc.name, got, err, tc.want)
		}
	}
}

// Reports of another id (status, trigger) are not scans and do not touch
// a message being joined; nor does an empty read.
func TestPOSOtherReportsIgnored(t *testing.T) {
	for _, layout := range []string{"honeywell", "newland"} {
		d, err := newPOSDecoder(Config{POSLayout: layout})
		if err != nil {
			t.Fatal(err)
		}
		other := make([]byte, 64)
		other[0], other[1], other[5] = 0x04, 3, 'x'
		for _, r := range [][]byte{nil, {}, other} {
			if evs := d.Feed(serialT0, r); len(evs) != 0 {
				t.Fatalf("%s: report %x gave %q", layout, r, renderPOS(evs))
			}
		}
	}
}

// A continued message waits the default second for its last report when
// frame_timeout is not set; then it is refused.
func TestPOSContinuedMessageDefaultTimeout(t *testing.T) {
	d, _ := newPOSDecoder(Config{POSLayout: "honeywell"})
	d.Feed(serialT0, devtest.HonReport("]C0", "FIRST", true))
	if evs := d.Idle(serialT0.Add(999 * time.Millisecond)); len(evs) != 0 {
		t.Fatalf("given up before a second: %q", renderPOS(evs))
	}
	if got := renderPOS(d.Feed(serialT0.Add(999*time.Millisecond), devtest.HonReport("]C0", "LAST", false))); got != "scan ]C0|FIRSTLAST" {
		t.Fatalf("got %q", got)
	}
	d.Feed(serialT0.Add(2*time.Second), devtest.HonReport("]C0", "STALE", true))
	evs := d.Idle(serialT0.Add(3 * time.Second))
	if len(evs) != 1 || !errors.Is(evs[0].Err, ErrPOSTimeout) {
		t.Fatalf("after a second: %q, want %v", renderPOS(evs), ErrPOSTimeout)
	}
}

// A device that keeps sending "more follows" with almost empty reports is
// bounded by the bytes of its reports too: 128 reports of 64 bytes are
// joined, 129 are refused.
func TestPOSReassemblyBoundsReports(t *testing.T) {
	feed := func(n int) []devices.Event {
		d, _ := newPOSDecoder(Config{POSLayout: "honeywell", Framing: Framing{MaxLength: 200}})
		var evs []devices.Event
		for i := 1; i <= n; i++ {
			evs = append(evs, d.Feed(serialT0, devtest.HonReport("]C0", "7", i < n))...)
		}
		return evs
	}
	if got := renderPOS(feed(128)); got != "scan ]C0|"+strings.Repeat("7", 128) {
		t.Fatalf("128 reports: %q", got)
	}
	if evs := feed(129); len(evs) != 1 || !errors.Is(evs[0].Err, ErrPOSOverflow) {
		t.Fatalf("129 reports: %q, want %v", renderPOS(evs), ErrPOSOverflow)
	}
}
