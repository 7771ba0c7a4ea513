package decode

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/devices"
)

// hx turns "05 8C 09 02" into bytes.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// honDesc is the Honeywell input report 2 (as devtest.HoneywellDescriptor
// declares it) with parts replaced: how the length byte, the symbology
// identifiers, the decoded data and the continued flag are written. Every
// piece is hex items; "" takes the usual encoding.
type honDesc struct {
	head, length, sym, data, vendor, cont, tail string
}

func (h honDesc) bytes() []byte {
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	return hx(or(h.head, "05 8C 09 02 A1 01") +
		"09 12 A1 02 85 02 15 00 26 FF 00 75 08" +
		or(h.length, "06 00 FF 09 01 95 01 81 02") +
		or(h.sym, "05 8C 09 FB 09 FC 09 FD 95 03 81 02") +
		or(h.data, "09 FE 95 38 82 02 01") +
		or(h.vendor, "06 00 FF 09 02 95 02 81 02") +
		or(h.cont, "05 8C 09 FF 25 01 75 01 95 01 81 02 75 07 81 03") +
		"C0" + or(h.tail, "C0"))
}

func layoutOf(desc []byte) (string, error) {
	return LayoutFromDevice(devices.DeviceID{VID: 0x0db5, PID: 0x0139, Descriptor: desc})
}

// A report descriptor says the same thing in several encodings: items of
// 1, 2 or 4 data bytes, extended usages with the page in them, usage
// ranges, Push and Pop, long items (which carry nothing we read). Each
// spelling of the Honeywell layout is the Honeywell layout; the fields'
// positions come from the descriptor, so one that moves a field is not.
func TestPOSLayoutFromDescriptorSpellings(t *testing.T) {
	tests := []struct {
		name string
		d    honDesc
		want string // "" = refused
	}{
		{"as documented", honDesc{}, "honeywell"},
		{"symbology ids as a usage range", honDesc{sym: "05 8C 19 FB 29 FD 95 03 81 02"}, "honeywell"},
		{"extended usage for decoded data", honDesc{data: "0B FE 00 8C 00 95 38 82 02 01"}, "honeywell"},
		{"4-byte report count", honDesc{data: "09 FE 97 38 00 00 00 82 02 01"}, "honeywell"},
		{"2-byte usage page", honDesc{sym: "06 8C 00 09 FB 09 FC 09 FD 95 03 81 02"}, "honeywell"},
		{"vendor page pushed and popped", honDesc{length: "A4 06 00 FF 09 01 95 01 81 02 B4", sym: "09 FB 09 FC 09 FD 95 03 81 02"}, "honeywell"},
		{"long item inside the report", honDesc{length: "FE 02 10 AA BB 06 00 FF 09 01 95 01 81 02"}, "honeywell"},
		{"empty long item at the very end", honDesc{tail: "C0 FE 00 00"}, "honeywell"},
		// A Usage Maximum without its Minimum declares nothing.
		{"stray Usage Maximum before the application", honDesc{head: "05 8C 29 01 09 02 A1 01"}, "honeywell"},
		{"stray Usage Maximum in an array field", honDesc{length: "06 00 FF 29 01 09 01 95 01 81 00"}, "honeywell"},
		{"stray Usage Maximum after a range", honDesc{sym: "05 8C 19 FB 29 FD 29 FF 95 03 81 00"}, "honeywell"},
		{"continued flag first of a byte of flags", honDesc{cont: "05 8C 09 FF 06 00 FF 19 01 29 07 25 01 75 01 95 08 81 02"}, "honeywell"},
		{"continued flag last of a byte of flags", honDesc{cont: "06 00 FF 19 01 29 07 05 8C 09 FF 25 01 75 01 95 08 81 02"}, ""},
		{"data one byte later", honDesc{length: "06 00 FF 09 01 95 02 81 02"}, ""},
		{"symbology ids not declared", honDesc{sym: "06 00 FF 09 FB 09 FC 09 FD 95 03 81 02"}, ""},
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

// What ReportKind (the enumeration's "hid-pos" / "hid-keyboard") makes of
// collections: only a top-level Application collection names the device.
func TestReportKindCollections(t *testing.T) {
	tests := []struct {
		name, desc, want string
	}{
		{"scanner application", "05 8C 09 02 A1 01 C0", "hid-pos"},
		{"scanner usage in a physical collection", "05 8C 09 02 A1 00 C0", ""},
		{"scanner application nested in a keyboard", "05 01 09 06 A1 01 05 8C 09 02 A1 01 C0 C0", "hid-keyboard"},
		{"application without a usage", "A1 01 C0", ""},
		{"keyboard after a vendor application", "06 00 FF 09 01 A1 01 C0 05 01 09 06 A1 01 C0", "hid-keyboard"},
	}
	for _, tt := range tests {
		if got := ReportKind(hx(tt.desc)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// The parser's bounds: at each limit a descriptor is read, one past it is
// refused with the reason (never a panic, never a layout by a guess).
func TestHIDDescriptorLimits(t *testing.T) {
	app := func(body string) []byte { return hx("05 8C 09 02 A1 01 " + body + " C0") }
	repeat := func(s string, n int) string { return strings.TrimSpace(strings.Repeat(s+" ", n)) }
	// pad returns app(body) grown to exactly size bytes with Usage Page items.
	pad := func(size int) []byte {
		d := app("")
		fill := size - len(d)
		var p bytes.Buffer
		if fill%2 == 1 {
			p.WriteString("06 8C 00 ")
			fill -= 3
		}
		p.WriteString(repeat("05 8C", fill/2))
		return app(p.String())
	}
	tests := []struct {
		name string
		desc []byte
		why  string // "" = read
	}{
		{"4096 bytes", pad(MaxDescriptor), ""},
		{"4097 bytes", pad(MaxDescriptor + 1), "more than 4096"},
		{"report of 65536 bits", app("75 08 96 00 20 81 02"), ""},
		{"report of 65544 bits", app("75 08 96 01 20 81 02"), "report size 8 x count 8193"},
		{"two fields of 65536 bits", app("75 08 96 00 10 81 02 81 02"), ""},
		{"fields over 65536 bits", app("75 08 96 00 10 81 02 75 01 95 01 81 02 75 08 96 00 10 81 02"), "longer than 65536 bits"},
		{"report count 65536", app("75 01 97 00 00 01 00 81 02"), ""},
		{"report count 65537", app("75 01 97 01 00 01 00 81 02"), "report count 65537"},
		{"report size 0", app("75 00 95 01 81 02"), "report size 0"},
		{"report size 1", app("75 01 95 01 81 02"), ""},
		{"report count 0", app("75 08 95 00 81 02"), ""},
		{"report id 255", app("85 FF 75 08 95 01 81 02"), ""},
		{"report id 0", app("85 00 75 08 95 01 81 02"), "report id 0"},
		{"report id 256", app("86 00 01 75 08 95 01 81 02"), "report id 256"},
		{"collections 64 deep", app(repeat("A1 02", 63) + " " + repeat("C0", 63)), ""},
		{"collections 65 deep", app(repeat("A1 02", 64) + " " + repeat("C0", 64)), "deeper than 64"},
		{"Push 16 deep", app(repeat("A4", 16) + " " + repeat("B4", 16)), ""},
		{"Push 17 deep", app(repeat("A4", 17) + " " + repeat("B4", 17)), "deeper than 16"},
		{"Pop without Push", app("B4"), "without Push"},
		{"1024 usages", app(repeat("09 01", 1024) + " 75 01 96 00 04 81 02"), ""},
		{"1025 usages", app(repeat("09 01", 1025) + " 75 01 96 01 04 81 02"), "more than 1024 usages"},
		{"End Collection first", hx("C0"), "without a Collection"},
		{"reserved item type", app("0C"), "reserved item type"},
		{"item data cut off", hx("05 8C 09 02 A1 01 C0 06 8C"), "truncated"},
		{"long item header cut off", hx("05 8C 09 02 A1 01 C0 FE 00"), "long item at byte 7 truncated"},
		{"long item data cut off", hx("05 8C 09 02 A1 01 C0 FE 03 00 AA BB"), "long item truncated"},
		{"long item just fits", hx("05 8C 09 02 A1 01 C0 FE 02 00 AA BB"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseHIDDescriptor(tt.desc)
			kind := ReportKind(tt.desc)
			if tt.why == "" {
				if err != nil || kind != "hid-pos" {
					t.Fatalf("refused: %v (kind %q)", err, kind)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.why) || kind != "" {
				t.Fatalf("err %v (kind %q), want one saying %q", err, kind, tt.why)
			}
			if _, lerr := layoutOf(tt.desc); lerr == nil || !strings.Contains(lerr.Error(), tt.why) {
				t.Fatalf("LayoutFromDevice: %v, want the reason %q", lerr, tt.why)
			}
		})
	}
}
