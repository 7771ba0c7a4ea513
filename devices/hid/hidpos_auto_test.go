package hid

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"

	"github.com/offcircd/offcircd/devices/internal/devtest"

	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
)

// TestHIDPOSNoLayoutHoneywellWhole: a Honeywell HID POS scanner configured
// without pos_layout (the defaults applied as config.Load does) decodes a
// code spread over two reports whole, as one scan.
func TestHIDPOSNoLayoutHoneywellWhole(t *testing.T) {
	b := newFakeHIDBackend()
	dev := b.plug("1-1:1.0", "")
	b.setDescriptor("1-1:1.0", devtest.HoneywellDescriptor)
	cfg := &config.Config{Scanners: []config.Scanner{{Name: "desk", Type: "hid-pos", Options: &Options{USB: devices.USB{VID: "0c2e", PID: "0b87"}}}}}
	cfg.ApplyDefaults()
	s := testHIDSource(t, b, cfg.Scanners[0])
	out, stop := hidRunSource(t, s)
	defer stop()
	if ev := hidNext(t, out, devices.KindState); ev.State != devices.StateConnected {
		t.Fatalf("state %q (%v), want connected", ev.State, ev.Err)
	}
	dev.reports <- devtest.HonReport("]C0", devtest.HonLong[:56], true)
	dev.reports <- devtest.HonReport("]C0", devtest.HonLong[56:], false)
	ev := hidNext(t, out, devices.KindScan, devices.KindBad)
	if ev.Kind != devices.KindScan || ev.Data != devtest.HonLong || ev.Symbology != "]C0" {
		t.Fatalf("got %s %q (%v), want scan ]C0 %q", map[devices.Kind]string{devices.KindScan: "scan", devices.KindBad: "bad"}[ev.Kind], ev.Data, ev.Err, devtest.HonLong)
	}
	dev.reports <- devtest.HonReport("]A0", "P42", false)
	if ev := hidNext(t, out, devices.KindScan, devices.KindBad); ev.Kind != devices.KindScan || ev.Data != "P42" {
		t.Fatalf("short code after the long one: %+v", ev)
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
		{"keyboard", devtest.KeyboardDescriptor, "keyboard mode", `type          = "hid-keyboard"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFakeHIDBackend()
			dev := b.plug("1-1:1.0", "SN7")
			b.setDescriptor("1-1:1.0", tc.desc)
			dev.reports <- devtest.HonReport("]C0", "ITEM1", false)
			s := testHIDSource(t, b, config.Scanner{Name: "desk"})
			out, stop := hidRunSource(t, s)
			ev := hidNext(t, out, devices.KindState, devices.KindScan, devices.KindBad)
			time.Sleep(30 * time.Millisecond)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if ev.Kind != devices.KindState || ev.State != devices.StateError || !errors.Is(ev.Err, decode.ErrPOSLayoutUnknown) {
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
				if ev.Kind == devices.KindScan || ev.Kind == devices.KindBad {
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
	s.SetDeviceTap(func(id devices.DeviceID) {
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
	hidNext(t, out, devices.KindState)
	dev.reports <- devtest.HonReport("]C0", "ITEM1", false)
	hidNext(t, out, devices.KindScan)
	mu.Lock()
	defer mu.Unlock()
	want := []string{"device 0c2e:0b87 " + strconv.Itoa(len(devtest.HoneywellDescriptor)), "report"}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("taps %q, want %q", seen, want)
	}
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
	if ev := hidNext(t, out, devices.KindState); ev.State != devices.StateError {
		t.Fatalf("without a descriptor: %+v", ev)
	}
	time.Sleep(50 * time.Millisecond)
	b.setDescriptor("1-1:1.0", devtest.HoneywellDescriptor)
	at := time.Now()
	if ev := hidNext(t, out, devices.KindState); ev.State != devices.StateConnected {
		t.Fatalf("after the descriptor appeared: %+v", ev)
	}
	if d := time.Since(at); d > time.Second {
		t.Errorf("opened %v after the descriptor appeared, want the next tick", d)
	}
	dev.reports <- devtest.HonReport("]C0", devtest.HonLong[:56], true)
	dev.reports <- devtest.HonReport("]C0", devtest.HonLong[56:], false)
	if ev := hidNext(t, out, devices.KindScan); ev.Data != devtest.HonLong {
		t.Errorf("got %q", ev.Data)
	}
}
