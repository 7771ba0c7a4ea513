package decode

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/internal/devtest"
)

// descWith returns devtest.HoneywellDescriptor with the bytes at i replaced.
func descWith(repl map[int]byte) []byte {
	d := append([]byte(nil), devtest.HoneywellDescriptor...)
	for i, b := range repl {
		d[i] = b
	}
	return d
}

func TestPOSLayoutFromDevice(t *testing.T) {
	// Where the Report Count of Decoded Data, the report id and the usage
	// of Symbology Identifier 1 sit in HoneywellDescriptor.
	at := func(seq ...byte) int { return bytes.Index(devtest.HoneywellDescriptor, seq) + len(seq) }
	countAt, ridAt, symAt := at(0x09, 0xFE, 0x95), at(0x85), at(0x09, 0xFB)-1
	tests := []struct {
		name string
		id   devices.DeviceID
		want string // "" = refused
		why  string // in the refusal
	}{
		{"honeywell descriptor", devices.DeviceID{VID: 0x0c2e, PID: 0x0b87, Descriptor: devtest.HoneywellDescriptor}, "honeywell", ""},
		{"access-is same layout", devices.DeviceID{VID: 0x0db5, PID: 0x0139, Descriptor: devtest.HoneywellDescriptor}, "honeywell", ""},
		{"windows: usage page, honeywell vid", devices.DeviceID{VID: 0x0c2e, PID: 0x0b87, UsagePage: 0x8C}, "honeywell", ""},
		{"windows: usage page, newland vid", devices.DeviceID{VID: 0x1eab, PID: 0x1d10, UsagePage: 0x8C}, "newland", ""},
		{"no descriptor, no usage page", devices.DeviceID{VID: 0x0c2e, PID: 0x0b87}, "", "could not be read"},
		{"usage page, unknown vendor", devices.DeviceID{VID: 0x1234, PID: 0x0001, UsagePage: 0x8C}, "", "could not be read"},
		{"generic shape", devices.DeviceID{VID: 0x1234, PID: 0x0001, Descriptor: devtest.GenericDescriptor}, "generic", ""},
		{"keyboard", devices.DeviceID{VID: 0x0c2e, PID: 0x0204, Descriptor: devtest.KeyboardDescriptor}, "", "hid-keyboard"},
		{"vendor data, honeywell vid", devices.DeviceID{VID: 0x0c2e, PID: 0x0b87, Descriptor: devtest.VendorDataDescriptor}, "honeywell", ""},
		{"vendor data, unknown vid", devices.DeviceID{VID: 0x1234, PID: 0x0001, Descriptor: devtest.VendorDataDescriptor}, "", "no Decoded Data"},
		{"data 55 bytes", devices.DeviceID{VID: 0x0c2e, Descriptor: descWith(map[int]byte{countAt: 0x37})}, "", "no layout offcircd knows"},
		{"report id 3", devices.DeviceID{VID: 0x0c2e, Descriptor: descWith(map[int]byte{ridAt: 0x03})}, "", "no layout offcircd knows"},
		{"no AIM field", devices.DeviceID{VID: 0x0c2e, Descriptor: descWith(map[int]byte{symAt: 0xF0})}, "", "no layout offcircd knows"},
		{"garbage", devices.DeviceID{VID: 0x0c2e, Descriptor: []byte{0xA1, 0x01}}, "", "not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LayoutFromDevice(tt.id)
			if got != tt.want {
				t.Fatalf("layout %q (%v), want %q", got, err, tt.want)
			}
			if tt.want == "" && (!errors.Is(err, ErrPOSLayoutUnknown) || !strings.Contains(err.Error(), tt.why)) {
				t.Errorf("refusal %v, want ErrPOSLayoutUnknown saying %q", err, tt.why)
			}
		})
	}
}

func FuzzHIDDescriptor(f *testing.F) {
	for _, d := range [][]byte{devtest.HoneywellDescriptor, devtest.GenericDescriptor, devtest.KeyboardDescriptor, devtest.VendorDataDescriptor,
		{0xFE, 0x02, 0x00, 0x01, 0x02}, {0xA4, 0xB4, 0xB4}, {0x0B, 0xFE, 0x00, 0x8C, 0x00, 0x19, 0x00, 0x2A, 0xFF, 0xFF}} {
		f.Add(d, uint16(0x0c2e))
	}
	f.Fuzz(func(t *testing.T, desc []byte, vid uint16) {
		d, err := parseHIDDescriptor(desc)
		if err == nil {
			for id, bits := range d.inputBits {
				if bits < 0 || bits > hidDescMaxBits {
					t.Fatalf("report %d: %d bits", id, bits)
				}
			}
			for _, u := range []uint32{posUsageData, posUsageSym1, posUsageContinued} {
				if p, ok := d.find(u); ok && (p.bit < 0 || p.bits < 0 || p.bit > hidDescMaxBits+8) {
					t.Fatalf("usage %x at %+v", u, p)
				}
			}
		}
		l, err := LayoutFromDevice(devices.DeviceID{VID: vid, Descriptor: desc})
		if (l == "") == (err == nil) {
			t.Fatalf("layout %q with error %v", l, err)
		}
		if l != "" {
			if _, err := posLookup(l); err != nil {
				t.Fatalf("layout %q unknown: %v", l, err)
			}
		}
	})
}
