package decode

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"

	"github.com/offcircd/offcircd/devices"

	"github.com/offcircd/offcircd/devices/internal/devtest"
)

// posReport builds a report of size bytes: [0]=0x02, [1]=n, then the
// given bytes from off (data, or AIM + data); set puts single bytes at
// fixed indexes (symbology id, "more" flag).
func posReport(size, n, off int, body string, set map[int]byte) []byte {
	r := make([]byte, size)
	r[0], r[1] = 0x02, byte(n)
	copy(r[off:], body)
	for i, b := range set {
		r[i] = b
	}
	return r
}

// renderPOS is "scan SYM|DATA" or "bad" with the error, per event.
func renderPOS(evs []devices.Event) string {
	var out []string
	for _, ev := range evs {
		switch ev.Kind {
		case devices.KindScan:
			out = append(out, "scan "+ev.Symbology+"|"+ev.Data)
		case devices.KindBad:
			out = append(out, "bad "+ev.Err.Error())
		}
	}
	return strings.Join(out, ",")
}

// The length limits of the vendors' report layouts: a full data field is
// read whole, one byte more is a malformed report (never a shortened or
// padded barcode), and the trailer bytes (symbology id, "more" flag) are
// read only where the report is long enough to hold them.
func TestPOSReportLayoutEdges(t *testing.T) {
	d56 := strings.Repeat("7", 56)
	tests := []struct {
		name   string
		layout string
		report []byte
		want   string // rendered events; "bad" matches any error
	}{
		{"honeywell: 56 bytes fill the data field", "honeywell", posReport(64, 56, 2, "]C0"+d56, nil), "scan ]C0|" + d56},
		{"honeywell: length 57 is malformed", "honeywell", posReport(64, 57, 2, "]C0"+d56, nil), "bad"},
		{"honeywell: report just long enough", "honeywell", posReport(8, 3, 2, "]C0abc", nil), "scan ]C0|abc"},
		{"honeywell: report one byte short", "honeywell", posReport(7, 3, 2, "]C0ab", nil), "bad"},
		{"honeywell: empty report", "honeywell", posReport(5, 0, 2, "]C0", nil), ""},
		{"honeywell: four bytes", "honeywell", posReport(4, 0, 2, "]C", nil), "bad"},
		{"honeywell: vendor symbology id", "honeywell", posReport(64, 3, 5, "abc", map[int]byte{61: 'j'}), "scan j|abc"},
		{"honeywell: symbology id '!'", "honeywell", posReport(64, 3, 5, "abc", map[int]byte{61: '!'}), "scan !|abc"},
		{"honeywell: symbology id '~'", "honeywell", posReport(64, 3, 5, "abc", map[int]byte{61: '~'}), "scan ~|abc"},
		{"honeywell: symbology id space is none", "honeywell", posReport(64, 3, 5, "abc", map[int]byte{61: ' '}), "scan |abc"},
		{"honeywell: symbology id DEL is none", "honeywell", posReport(64, 3, 5, "abc", map[int]byte{61: 0x7f}), "scan |abc"},
		{"honeywell: 63 bytes carry no trailer", "honeywell", posReport(63, 3, 5, "abc", map[int]byte{61: 'j'}), "scan |abc"},
		{"newland: 56 bytes fill the data field", "newland", posReport(64, 56, 2, d56, nil), "scan |" + d56},
		{"newland: length 57 is malformed", "newland", posReport(64, 57, 2, d56+"7", nil), "bad"},
		{"newland: report just long enough", "newland", posReport(5, 3, 2, "abc", nil), "scan |abc"},
		{"newland: symbology id at 62", "newland", posReport(63, 3, 2, "abc", map[int]byte{62: 'd'}), "scan d|abc"},
		{"newland: 62 bytes carry no symbology id", "newland", posReport(62, 3, 2, "abc", nil), "scan |abc"},
		{"newland: one byte", "newland", []byte{0x02}, "bad"},
		{"newland: empty two-byte report", "newland", []byte{0x02, 0}, ""},
		{"generic: report just long enough", "generic", []byte{0x07, 3, 'a', 'b', 'c'}, "scan |abc"},
		{"generic: report one byte short", "generic", []byte{0x07, 3, 'a', 'b'}, "bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := newPOSDecoder(Config{POSLayout: tt.layout})
			if err != nil {
				t.Fatal(err)
			}
			got := renderPOS(d.Feed(serialT0, tt.report))
			if tt.want == "bad" && strings.HasPrefix(got, "bad ") && !strings.Contains(got, ",") {
				return
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A code longer than one report comes in several 64-byte reports joined by
// the "more" flag (Honeywell byte 63, bit 0).
func TestPOSContinuedMessage(t *testing.T) {
	long := strings.Repeat("0123456789", 7)
	d, _ := newPOSDecoder(Config{POSLayout: "honeywell"})
	evs := d.Feed(serialT0, devtest.HonReport("]C0", long[:56], true))
	evs = append(evs, d.Feed(serialT0.Add(5*time.Millisecond), devtest.HonReport("]C0", long[56:], false))...)
	if got := renderPOS(evs); got != "scan ]C0|"+long {
		t.Fatalf("got %q, want the 70-character code", got)
	}
}

// A continued message whose last report never comes is refused after
// frame_timeout (the person hears the reject and scans again); until then
// the next report still joins it; afterwards the next code is read alone.
func TestPOSContinuedMessageTimeout(t *testing.T) {
	sc := Config{POSLayout: "honeywell", Framing: Framing{FrameTimeout: config.Duration{Duration: 300 * time.Millisecond}}}
	at := func(ms int) time.Time { return serialT0.Add(time.Duration(ms) * time.Millisecond) }

	d, _ := newPOSDecoder(sc)
	d.Feed(at(0), devtest.HonReport("]C0", "FIRST", true))
	if evs := d.Idle(at(299)); len(evs) != 0 {
		t.Fatalf("given up before frame_timeout: %q", renderPOS(evs))
	}
	if got := renderPOS(d.Feed(at(299), devtest.HonReport("]C0", "HALF", false))); got != "scan ]C0|FIRSTHALF" {
		t.Fatalf("last report within frame_timeout: got %q", got)
	}

	d.Feed(at(1000), devtest.HonReport("]C0", "STALE", true))
	evs := d.Idle(at(1300))
	if len(evs) != 1 || evs[0].Kind != devices.KindBad || !errors.Is(evs[0].Err, ErrPOSTimeout) {
		t.Fatalf("at frame_timeout: got %q, want one %v", renderPOS(evs), ErrPOSTimeout)
	}
	if got := renderPOS(d.Feed(at(1301), devtest.HonReport("]C0", "NEXT", false))); got != "scan ]C0|NEXT" {
		t.Fatalf("next code after the timeout: got %q", got)
	}
	if evs := d.Idle(at(5000)); len(evs) != 0 {
		t.Fatalf("a finished message timed out: %q", renderPOS(evs))
	}
}

// max_length bounds the joined code; the 4096-byte reassembly bound is a
// separate, louder refusal (a device stuck on "more follows").
func TestPOSLengthBounds(t *testing.T) {
	d, _ := newPOSDecoder(Config{POSLayout: "honeywell", Framing: Framing{MaxLength: 5}})
	if got := renderPOS(d.Feed(serialT0, devtest.HonReport("]C0", "12345", false))); got != "scan ]C0|12345" {
		t.Fatalf("code of max_length: got %q", got)
	}
	evs := d.Feed(serialT0, devtest.HonReport("]C0", "123456", false))
	if len(evs) != 1 || !errors.Is(evs[0].Err, ErrPOSTooLong) {
		t.Fatalf("code over max_length: got %q", renderPOS(evs))
	}

	feed := func(total int) []devices.Event {
		d, _ := newPOSDecoder(Config{POSLayout: "honeywell"})
		var evs []devices.Event
		for sent := 0; sent < total; {
			n := min(56, total-sent)
			sent += n
			evs = append(evs, d.Feed(serialT0, devtest.HonReport("]C0", strings.Repeat("x", n), sent < total))...)
		}
		return evs
	}
	if evs := feed(posMaxMessage); len(evs) != 1 || !errors.Is(evs[0].Err, ErrPOSTooLong) {
		t.Fatalf("%d bytes joined: got %q, want %v", posMaxMessage, renderPOS(evs), ErrPOSTooLong)
	}
	if evs := feed(posMaxMessage + 1); len(evs) != 1 || !errors.Is(evs[0].Err, ErrPOSOverflow) {
		t.Fatalf("%d bytes joined: got %q, want %v", posMaxMessage+1, renderPOS(evs), ErrPOSOverflow)
	}
}
