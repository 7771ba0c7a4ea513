package devices

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
)

// honeywellDescriptor is a HID POS report descriptor in the Honeywell /
// Access-IS report layout (HARDWARE.md; Access-IS LSR116 manual, appendix
// A): application Bar Code Scanner (0x8C 0x02), input report 2 of 64
// bytes — [1] length, [2..4] Symbology Identifier 1-3, [5..60] Decoded
// Data, [61..62] vendor bytes, [63] bit 0 Decode Data Continued — and
// output report 4 with the Sound Error Beep (bit 5) and Sound Good Read
// Beep (bit 6) bits that `04 20` and `04 40` set. Written from the
// documented layout with the usages of the HID POS Usage Tables 1.02, not
// dumped from a device.
var honeywellDescriptor = []byte{
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

// honLong is a 68-character Code 128 item: more than one report's 56 data bytes.
var honLong = strings.Repeat("0123456789ABCDEFGH", 4)[:68]

// TestHIDPOSNoLayoutHoneywellWhole: a Honeywell HID POS scanner configured
// without pos_layout (the defaults applied as config.Load does) decodes a
// code spread over two reports whole, as one scan.
func TestHIDPOSNoLayoutHoneywellWhole(t *testing.T) {
	b := newFakeHIDBackend()
	dev := b.plug("1-1:1.0", "")
	b.setDescriptor("1-1:1.0", honeywellDescriptor)
	cfg := &config.Config{Scanners: []config.Scanner{{Name: "desk", Type: "hid-pos", VID: "0c2e", PID: "0b87"}}}
	cfg.ApplyDefaults()
	s := testHIDSource(t, b, cfg.Scanners[0])
	out, stop := hidRunSource(t, s)
	defer stop()
	if ev := hidNext(t, out, KindState); ev.State != StateConnected {
		t.Fatalf("state %q (%v), want connected", ev.State, ev.Err)
	}
	dev.reports <- honReport("]C0", honLong[:56], true)
	dev.reports <- honReport("]C0", honLong[56:], false)
	ev := hidNext(t, out, KindScan, KindBad)
	if ev.Kind != KindScan || ev.Data != honLong || ev.Symbology != "]C0" {
		t.Fatalf("got %s %q (%v), want scan ]C0 %q", map[Kind]string{KindScan: "scan", KindBad: "bad"}[ev.Kind], ev.Data, ev.Err, honLong)
	}
	dev.reports <- honReport("]A0", "P42", false)
	if ev := hidNext(t, out, KindScan, KindBad); ev.Kind != KindScan || ev.Data != "P42" {
		t.Fatalf("short code after the long one: %+v", ev)
	}
}

// descWith returns honeywellDescriptor with the bytes at i replaced.
func descWith(repl map[int]byte) []byte {
	d := append([]byte(nil), honeywellDescriptor...)
	for i, b := range repl {
		d[i] = b
	}
	return d
}

// genericDescriptor: one unnumbered 64-byte input report, [0] unused,
// [1] length, data from [2] (a scanner of the `generic` layout).
var genericDescriptor = []byte{
	0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, // Bar Code Scanner application
	0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08,
	0x06, 0x00, 0xFF, 0x09, 0x01, 0x95, 0x02, 0x81, 0x02, // [0] status, [1] length (vendor usages)
	0x05, 0x8C, 0x09, 0xFE, 0x95, 0x3E, 0x82, 0x02, 0x01, // [2..63] Decoded Data
	0xC0,
}

// keyboardDescriptor is a boot keyboard's (a scanner in keyboard mode).
var keyboardDescriptor = []byte{
	0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00, 0x25, 0x01,
	0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x01, 0x95, 0x06, 0x75, 0x08,
	0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xC0,
}

// vendorDataDescriptor declares the scanner collection but a 63-byte
// report 2 of vendor usages only (as some firmware does).
var vendorDataDescriptor = []byte{
	0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x85, 0x02, 0x06, 0x00, 0xFF, 0x09, 0x01,
	0x75, 0x08, 0x95, 0x3F, 0x81, 0x02, 0xC0,
}

func TestPOSLayoutFromDevice(t *testing.T) {
	// Where the Report Count of Decoded Data, the report id and the usage
	// of Symbology Identifier 1 sit in honeywellDescriptor.
	at := func(seq ...byte) int { return bytes.Index(honeywellDescriptor, seq) + len(seq) }
	countAt, ridAt, symAt := at(0x09, 0xFE, 0x95), at(0x85), at(0x09, 0xFB)-1
	tests := []struct {
		name string
		id   DeviceID
		want string // "" = refused
		why  string // in the refusal
	}{
		{"honeywell descriptor", DeviceID{VID: 0x0c2e, PID: 0x0b87, Descriptor: honeywellDescriptor}, "honeywell", ""},
		{"access-is same layout", DeviceID{VID: 0x0db5, PID: 0x0139, Descriptor: honeywellDescriptor}, "honeywell", ""},
		{"windows: usage page, honeywell vid", DeviceID{VID: 0x0c2e, PID: 0x0b87, UsagePage: 0x8C}, "honeywell", ""},
		{"windows: usage page, newland vid", DeviceID{VID: 0x1eab, PID: 0x1d10, UsagePage: 0x8C}, "newland", ""},
		{"no descriptor, no usage page", DeviceID{VID: 0x0c2e, PID: 0x0b87}, "", "could not be read"},
		{"usage page, unknown vendor", DeviceID{VID: 0x1234, PID: 0x0001, UsagePage: 0x8C}, "", "could not be read"},
		{"generic shape", DeviceID{VID: 0x1234, PID: 0x0001, Descriptor: genericDescriptor}, "generic", ""},
		{"keyboard", DeviceID{VID: 0x0c2e, PID: 0x0204, Descriptor: keyboardDescriptor}, "", "hid-keyboard"},
		{"vendor data, honeywell vid", DeviceID{VID: 0x0c2e, PID: 0x0b87, Descriptor: vendorDataDescriptor}, "honeywell", ""},
		{"vendor data, unknown vid", DeviceID{VID: 0x1234, PID: 0x0001, Descriptor: vendorDataDescriptor}, "", "no Decoded Data"},
		{"data 55 bytes", DeviceID{VID: 0x0c2e, Descriptor: descWith(map[int]byte{countAt: 0x37})}, "", "no layout offcircd knows"},
		{"report id 3", DeviceID{VID: 0x0c2e, Descriptor: descWith(map[int]byte{ridAt: 0x03})}, "", "no layout offcircd knows"},
		{"no AIM field", DeviceID{VID: 0x0c2e, Descriptor: descWith(map[int]byte{symAt: 0xF0})}, "", "no layout offcircd knows"},
		{"garbage", DeviceID{VID: 0x0c2e, Descriptor: []byte{0xA1, 0x01}}, "", "not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := posLayoutFromDevice(tt.id)
			if got != tt.want {
				t.Fatalf("layout %q (%v), want %q", got, err, tt.want)
			}
			if tt.want == "" && (!errors.Is(err, ErrPOSLayoutUnknown) || !strings.Contains(err.Error(), tt.why)) {
				t.Errorf("refusal %v, want ErrPOSLayoutUnknown saying %q", err, tt.why)
			}
		})
	}
}

// TestHIDPOSRefusesUnknownLayout: a hid-pos scanner without pos_layout
// whose layout the device does not tell is never opened or decoded; the
// error carries the [[scanner]] table to paste.
func TestHIDPOSRefusesUnknownLayout(t *testing.T) {
	for _, tc := range []struct {
		name          string
		desc          []byte
		why, settings string
	}{
		{"no descriptor", nil, "could not be read", "pos_layout    = \"\""},
		{"keyboard", keyboardDescriptor, "keyboard mode", `type          = "hid-keyboard"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFakeHIDBackend()
			dev := b.plug("1-1:1.0", "SN7")
			b.setDescriptor("1-1:1.0", tc.desc)
			dev.reports <- honReport("]C0", "ITEM1", false)
			s := testHIDSource(t, b, config.Scanner{Name: "desk"})
			out, stop := hidRunSource(t, s)
			ev := hidNext(t, out, KindState, KindScan, KindBad)
			time.Sleep(30 * time.Millisecond)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if ev.Kind != KindState || ev.State != StateError || !errors.Is(ev.Err, ErrPOSLayoutUnknown) {
				t.Fatalf("got %+v, want state error ErrPOSLayoutUnknown", ev)
			}
			msg := ev.Err.Error()
			for _, w := range []string{tc.why, "[[scanner]]", `name          = "desk"`, `vid           = "0c2e"`, `serial_number = "SN7"`, tc.settings} {
				if !strings.Contains(msg, w) {
					t.Errorf("refusal does not say %q:\n%s", w, msg)
				}
			}
			if opens, _ := b.counts(); opens != 0 {
				t.Errorf("device opened %d times; a device of unknown layout must not be", opens)
			}
			select {
			case ev := <-out:
				if ev.Kind == KindScan || ev.Kind == KindBad {
					t.Errorf("decoded %+v from a device of unknown layout", ev)
				}
			default:
			}
		})
	}
}

// TestHIDDeviceTap: the device tap names the device and its descriptor
// before its first report reaches the tap (capture writes it first).
func TestHIDDeviceTap(t *testing.T) {
	b := newFakeHIDBackend()
	dev := b.plug("1-1:1.0", "")
	var mu sync.Mutex
	var seen []string
	s := testHIDSource(t, b, config.Scanner{Name: "desk"})
	s.SetDeviceTap(func(id DeviceID) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, "device "+id.String()+" "+strconv.Itoa(len(id.Descriptor)))
	})
	s.SetTap(func(time.Time, []byte) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, "report")
	})
	out, stop := hidRunSource(t, s)
	defer stop()
	hidNext(t, out, KindState)
	dev.reports <- honReport("]C0", "ITEM1", false)
	hidNext(t, out, KindScan)
	mu.Lock()
	defer mu.Unlock()
	want := []string{"device 0c2e:0b87 " + strconv.Itoa(len(honeywellDescriptor)), "report"}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("taps %q, want %q", seen, want)
	}
}

func TestCaptureDeviceHeader(t *testing.T) {
	var buf bytes.Buffer
	cw, err := NewCaptureWriter(&buf, "hid-pos")
	if err != nil {
		t.Fatal(err)
	}
	id := DeviceID{VID: 0x0c2e, PID: 0x0b87, UsagePage: 0x8C, Descriptor: honeywellDescriptor}
	for _, step := range []func() error{
		func() error { return cw.Device(id) },
		func() error { return cw.Write(0, honReport("]C0", "A1", false)) },
		func() error { return cw.Device(id) }, // reconnected: announced again
		func() error { return cw.Write(time.Second, honReport("]C0", "A2", false)) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	c, err := ReadCapture(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if c.Device == nil || !c.Device.Equal(id) || len(c.Chunks) != 2 {
		t.Fatalf("device %+v, %d chunks", c.Device, len(c.Chunks))
	}
	dec, err := captureDecoder("hid-pos", config.Scanner{}, c)
	if err != nil {
		t.Fatal(err)
	}
	if evs := dec.Feed(time.Now(), c.Chunks[0].Data); len(evs) != 1 || evs[0].Data != "A1" {
		t.Errorf("decoded %+v", evs)
	}

	bad := []struct{ name, text, why string }{
		{"two devices", "# device: 0c2e:0b87\n0\t02\n# device: 1eab:1d10\n", "device changed"},
		{"bad ids", "# device: 0c2e\n", "vvvv:pppp"},
		{"bad descriptor", "# device: 0c2e:0b87\n# report-descriptor: 0g\n", "bad hex"},
		{"descriptor first", "# report-descriptor: 05 8c\n", "before a device"},
	}
	for _, b := range bad {
		if _, err := ReadCapture(strings.NewReader(b.text)); err == nil || !strings.Contains(err.Error(), b.why) {
			t.Errorf("%s: %v, want an error saying %q", b.name, err, b.why)
		}
	}
	// A capture made before device headers existed still reads, and
	// replays with a pos_layout; without one it is refused, not guessed.
	old, err := ReadCapture(strings.NewReader("# offcircd capture 1\n# decoder: hid-pos\n0\t02 02 5d 43 30 41 31\n"))
	if err != nil || old.Device != nil {
		t.Fatalf("old capture: %v %+v", err, old)
	}
	if _, err := captureDecoder("hid-pos", config.Scanner{}, old); !errors.Is(err, ErrPOSLayoutUnknown) {
		t.Errorf("old capture without pos_layout: %v, want ErrPOSLayoutUnknown", err)
	}
	if _, err := captureDecoder("hid-pos", config.Scanner{POSLayout: "honeywell"}, old); err != nil {
		t.Errorf("old capture with pos_layout: %v", err)
	}
}

func FuzzHIDDescriptor(f *testing.F) {
	for _, d := range [][]byte{honeywellDescriptor, genericDescriptor, keyboardDescriptor, vendorDataDescriptor,
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
		l, err := posLayoutFromDevice(DeviceID{VID: vid, Descriptor: desc})
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

// TestHIDPOSDescriptorAppearsLater: a scanner enumerated before the
// kernel published its report descriptor (just plugged in) is refused at
// first and opened as soon as the descriptor can be read, not after the
// open-failure backoff.
func TestHIDPOSDescriptorAppearsLater(t *testing.T) {
	b := newFakeHIDBackend()
	dev := b.plug("1-1:1.0", "")
	b.setDescriptor("1-1:1.0", nil)
	s := testHIDSource(t, b, config.Scanner{Name: "desk"})
	s.interval = 100 * time.Millisecond // the 15-tick open backoff would be 1.5 s
	out, stop := hidRunSource(t, s)
	defer stop()
	if ev := hidNext(t, out, KindState); ev.State != StateError {
		t.Fatalf("without a descriptor: %+v", ev)
	}
	time.Sleep(50 * time.Millisecond)
	b.setDescriptor("1-1:1.0", honeywellDescriptor)
	at := time.Now()
	if ev := hidNext(t, out, KindState); ev.State != StateConnected {
		t.Fatalf("after the descriptor appeared: %+v", ev)
	}
	if d := time.Since(at); d > time.Second {
		t.Errorf("opened %v after the descriptor appeared, want the next tick", d)
	}
	dev.reports <- honReport("]C0", honLong[:56], true)
	dev.reports <- honReport("]C0", honLong[56:], false)
	if ev := hidNext(t, out, KindScan); ev.Data != honLong {
		t.Errorf("got %q", ev.Data)
	}
}
