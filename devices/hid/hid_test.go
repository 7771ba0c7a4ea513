package hid

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"

	"github.com/offcircd/offcircd/devices/internal/devtest"

	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
)

// fakeHID is a recorded-input HID device: reports queued by the test are
// returned by ReadTimeout; unplug makes reads fail. It flags a Close that
// overlaps a read, the hidapi use-after-free the read loop must avoid.
type fakeHID struct {
	reports  chan []byte
	gone     chan struct{}
	goneOnce sync.Once
	inRead   atomic.Int32
	closed   atomic.Bool
	badClose *atomic.Int32

	mu     sync.Mutex
	writes [][]byte
}

func newFakeHID(badClose *atomic.Int32) *fakeHID {
	return &fakeHID{reports: make(chan []byte, 64), gone: make(chan struct{}), badClose: badClose}
}

func (f *fakeHID) ReadTimeout(b []byte, ms int) (int, error) {
	f.inRead.Add(1)
	defer f.inRead.Add(-1)
	if f.closed.Load() {
		return 0, errors.New("read after close")
	}
	if ms == 0 { // hidapi: look at the queue, never wait
		select {
		case r := <-f.reports:
			return copy(b, r), nil
		case <-f.gone:
			return 0, errors.New("hidapi: device disconnected")
		default:
			return 0, nil
		}
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case r := <-f.reports:
		return copy(b, r), nil
	case <-f.gone:
		return 0, errors.New("hidapi: device disconnected")
	case <-t.C:
		return 0, nil
	}
}

func (f *fakeHID) Write(b []byte) (int, error) {
	select {
	case <-f.gone:
		return 0, errors.New("gone")
	default:
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = append(f.writes, append([]byte(nil), b...))
	return len(b), nil
}

func (f *fakeHID) Close() error {
	if f.inRead.Load() != 0 {
		f.badClose.Add(1)
	}
	f.closed.Store(true)
	return nil
}

func (f *fakeHID) unplug() { f.goneOnce.Do(func() { close(f.gone) }) }

// fakeHIDBackend is a USB bus the test plugs devices into.
type fakeHIDBackend struct {
	mu        sync.Mutex
	present   map[string]hidInfo
	devs      map[string]*fakeHID // the device an Open of that path returns
	openErr   error
	opens     int
	enums     int
	badClose  atomic.Int32
	supported bool
	descs     map[string][]byte // report descriptors by path
}

func newFakeHIDBackend() *fakeHIDBackend {
	return &fakeHIDBackend{present: map[string]hidInfo{}, devs: map[string]*fakeHID{}, supported: true}
}

func (b *fakeHIDBackend) Supported() bool { return b.supported }

func (b *fakeHIDBackend) Enumerate(vid, pid uint16) ([]hidInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.enums++
	var out []hidInfo
	for _, i := range b.present {
		if (vid == 0 || i.VID == vid) && (pid == 0 || i.PID == pid) {
			out = append(out, i)
		}
	}
	return out, nil
}

func (b *fakeHIDBackend) Open(i hidInfo) (hidDevice, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.opens++
	if b.openErr != nil {
		return nil, b.openErr
	}
	d, ok := b.devs[i.Path]
	if !ok {
		return nil, errors.New("no such device")
	}
	return d, nil
}

// plug attaches a fresh device at path and returns it.
func (b *fakeHIDBackend) plug(path, serial string) *fakeHID {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := newFakeHID(&b.badClose)
	b.present[path] = hidInfo{Path: path, VID: 0x0c2e, PID: 0x0b87, Serial: serial, Interface: 0}
	b.devs[path] = d
	if b.descs == nil {
		b.descs = map[string][]byte{}
	}
	b.descs[path] = devtest.HoneywellDescriptor // what Linux's sysfs gives for it
	return d
}

func (b *fakeHIDBackend) unplug(path string) {
	b.mu.Lock()
	d := b.devs[path]
	delete(b.present, path)
	delete(b.devs, path)
	b.mu.Unlock()
	if d != nil {
		d.unplug()
	}
}

func (b *fakeHIDBackend) counts() (opens, enums int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opens, b.enums
}

func hidQuietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testHIDSource(t *testing.T, b hidBackend, sc config.Scanner) *hidSource {
	t.Helper()
	o, _ := sc.Options.(*Options)
	if o == nil {
		o = new(Options)
	}
	o2 := *o // the caller's options stay as they were
	if o2.VID == "" {
		o2.VID, o2.PID = "0C2E", "0b87"
	}
	sc.Options = &o2
	if sc.Type == "" {
		sc.Type = "hid-pos"
	}
	s, err := newHIDSource(sc, devices.Env{}, hidQuietLog(), b)
	if err != nil {
		t.Fatal(err)
	}
	s.interval, s.readTimeout, s.goos = 5*time.Millisecond, 2*time.Millisecond, "linux"
	return s
}

// next returns the next event that is not filtered out, or fails after 2 s.
func hidNext(t *testing.T, ch <-chan devices.Event, kinds ...devices.Kind) devices.Event {
	t.Helper()
	deadline := time.After(2 * time.Second)
	for {
		select {
		case ev := <-ch:
			for _, k := range kinds {
				if ev.Kind == k {
					return ev
				}
			}
		case <-deadline:
			t.Fatalf("no event of kinds %v within 2s", kinds)
			return devices.Event{}
		}
	}
}

func hidRunSource(t *testing.T, s devices.Source) (chan devices.Event, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan devices.Event, 16)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, out) }()
	return out, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(2 * time.Second):
			t.Fatal("Run did not return after cancel")
			return nil
		}
	}
}

func TestHIDReadLoopHotplug(t *testing.T) {
	b := newFakeHIDBackend()
	s := testHIDSource(t, b, config.Scanner{Name: "desk", Options: &Options{Config: decode.Config{POSLayout: "honeywell"}}})
	var tapped atomic.Int32
	s.SetTap(func(time.Time, []byte) { tapped.Add(1) })
	out, stop := hidRunSource(t, s)

	if ev := hidNext(t, out, devices.KindState); ev.State != devices.StateWaiting {
		t.Fatalf("first state %q, want waiting (nothing plugged)", ev.State)
	}
	dev := b.plug("usb-1", "")
	if ev := hidNext(t, out, devices.KindState); ev.State != devices.StateConnected {
		t.Fatalf("state %q, want connected", ev.State)
	}
	dev.reports <- devtest.HonReport("]C0", "3123400012", false)
	ev := hidNext(t, out, devices.KindScan, devices.KindBad)
	if ev.Kind != devices.KindScan || ev.Data != "3123400012" || ev.Symbology != "]C0" || ev.Source != "desk" {
		t.Fatalf("got %+v", ev)
	}
	// A continued message whose end never comes is rejected after the
	// frame timeout (the read loop keeps calling Idle on read timeouts).
	dev.reports <- devtest.HonReport("]C0", "partial", true)
	if ev := hidNext(t, out, devices.KindScan, devices.KindBad); ev.Kind != devices.KindBad || !errors.Is(ev.Err, decode.ErrPOSTimeout) {
		t.Fatalf("got %+v, want timeout reject", ev)
	}
	b.unplug("usb-1")
	if ev := hidNext(t, out, devices.KindState); ev.State != devices.StateWaiting || ev.Err == nil {
		t.Fatalf("after unplug: %+v", ev)
	}
	dev = b.plug("usb-1", "")
	if ev := hidNext(t, out, devices.KindState); ev.State != devices.StateConnected {
		t.Fatalf("after replug: %+v", ev)
	}
	dev.reports <- devtest.HonReport("]A0", "P42", false)
	if ev := hidNext(t, out, devices.KindScan); ev.Data != "P42" {
		t.Fatalf("after replug got %+v", ev)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run returned %v on cancel", err)
	}
	if tapped.Load() != 3 {
		t.Errorf("tap saw %d reports, want 3", tapped.Load())
	}
	if n := b.badClose.Load(); n != 0 {
		t.Errorf("%d closes overlapped a read", n)
	}
}

func TestHIDHotplugCyclesNoLeak(t *testing.T) {
	b := newFakeHIDBackend()
	s := testHIDSource(t, b, config.Scanner{Name: "desk"})
	before := runtime.NumGoroutine()
	out, stop := hidRunSource(t, s)
	hidNext(t, out, devices.KindState) // waiting
	for i := 0; i < 50; i++ {
		dev := b.plug("usb-1", "")
		if ev := hidNext(t, out, devices.KindState); ev.State != devices.StateConnected {
			t.Fatalf("cycle %d: %+v", i, ev)
		}
		dev.reports <- devtest.HonReport("]C0", "ITEM", false)
		hidNext(t, out, devices.KindScan)
		b.unplug("usb-1")
		if ev := hidNext(t, out, devices.KindState); ev.State != devices.StateWaiting {
			t.Fatalf("cycle %d: %+v", i, ev)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("goroutines: %d before, %d after 50 cycles", before, g)
	}
	if n := b.badClose.Load(); n != 0 {
		t.Errorf("%d closes overlapped a read", n)
	}
	hidClaims.Lock()
	defer hidClaims.Unlock()
	if len(hidClaims.by) != 0 {
		t.Errorf("claims left behind: %v", hidClaims.by)
	}
}

func TestHIDTwoIdenticalScanners(t *testing.T) {
	b := newFakeHIDBackend()
	d1 := b.plug("usb-1", "")
	d2 := b.plug("usb-2", "")
	a := testHIDSource(t, b, config.Scanner{Name: "a"})
	c := testHIDSource(t, b, config.Scanner{Name: "c"})
	outA, stopA := hidRunSource(t, a)
	outC, stopC := hidRunSource(t, c)
	defer stopA()
	defer stopC()
	hidNext(t, outA, devices.KindState)
	hidNext(t, outC, devices.KindState)
	d1.reports <- devtest.HonReport("]C0", "ONE", false)
	d2.reports <- devtest.HonReport("]C0", "TWO", false)
	got := map[string]string{}
	for _, ch := range []chan devices.Event{outA, outC} {
		ev := hidNext(t, ch, devices.KindScan)
		got[ev.Source] = ev.Data
	}
	if got["a"] == got["c"] || len(got) != 2 {
		t.Fatalf("both sources read the same device: %v", got)
	}
}

func TestHIDSelectBySerial(t *testing.T) {
	b := newFakeHIDBackend()
	b.plug("usb-1", "AAA")
	d := b.plug("usb-2", "BBB")
	s := testHIDSource(t, b, config.Scanner{Name: "s", Options: &Options{USB: devices.USB{SerialNumber: "BBB"}}})
	out, stop := hidRunSource(t, s)
	defer stop()
	hidNext(t, out, devices.KindState)
	d.reports <- devtest.HonReport("]C0", "X1", false)
	if ev := hidNext(t, out, devices.KindScan); ev.Data != "X1" {
		t.Fatalf("%+v", ev)
	}
}

func TestHIDOpenFailureNotRetriedEveryTick(t *testing.T) {
	b := newFakeHIDBackend()
	b.openErr = errors.New("permission denied")
	b.plug("usb-1", "")
	s := testHIDSource(t, b, config.Scanner{Name: "s"})
	out, stop := hidRunSource(t, s)
	ev := hidNext(t, out, devices.KindState)
	if ev.State != devices.StateError || ev.Err == nil {
		t.Fatalf("%+v", ev)
	}
	time.Sleep(60 * time.Millisecond)
	stop()
	opens, enums := b.counts()
	if opens != 1 || enums < 5 {
		t.Errorf("opens=%d enums=%d: want one open and repeated cheap enumeration", opens, enums)
	}
}

func TestHIDUnsupported(t *testing.T) {
	b := newFakeHIDBackend()
	s := testHIDSource(t, b, config.Scanner{Name: "kbd", Type: "hid-keyboard"})
	s.unsupported = keyboardUnsupported("windows")
	if err := s.Run(context.Background(), make(chan devices.Event, 1)); !errors.Is(err, ErrKeyboardUnsupported) {
		t.Errorf("windows keyboard: %v", err)
	}
	if keyboardUnsupported("linux") != nil {
		t.Error("linux keyboard reported unsupported")
	}
	b.supported = false
	s = testHIDSource(t, b, config.Scanner{Name: "pos"})
	if err := s.Run(context.Background(), make(chan devices.Event, 1)); !errors.Is(err, ErrHIDNeedsCgo) {
		t.Errorf("no cgo: %v", err)
	}
}

func TestHIDBadConfig(t *testing.T) {
	for _, sc := range []config.Scanner{
		{Name: "x", Type: "hid-pos", Options: &Options{USB: devices.USB{VID: "", PID: "0001"}}},
		{Name: "x", Type: "hid-pos", Options: &Options{USB: devices.USB{VID: "zz", PID: "0001"}}},
		{Name: "x", Type: "hid-pos", Options: &Options{USB: devices.USB{VID: "0c2e", PID: "0001"}, Config: decode.Config{POSLayout: "nope"}}},
		{Name: "x", Type: "hid-keyboard", Options: &Options{USB: devices.USB{VID: "0c2e", PID: "0001"}, Config: decode.Config{Layout: "xx"}}},
	} {
		if _, err := newHIDSource(sc, devices.Env{}, hidQuietLog(), newFakeHIDBackend()); err == nil {
			t.Errorf("%+v: no error", sc)
		}
	}
}

func TestHIDBeep(t *testing.T) {
	b := newFakeHIDBackend()
	dev := b.plug("usb-1", "")
	s := testHIDSource(t, b, config.Scanner{Name: "s", BeepBytes: map[string]string{"double": "FD 03 16 07 0D"}, Options: &Options{Config: decode.Config{POSLayout: "honeywell"}}})
	if err := s.Beep("good"); !errors.Is(err, ErrHIDNotConnected) {
		t.Errorf("beep before connect: %v", err)
	}
	out, stop := hidRunSource(t, s)
	defer stop()
	hidNext(t, out, devices.KindState)
	for _, p := range []string{"good", "reject", "double"} {
		if err := s.Beep(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Beep("bogus"); !errors.Is(err, config.ErrUnknownPattern) {
		t.Errorf("unknown pattern: %v", err)
	}
	dev.mu.Lock()
	got := dev.writes
	dev.mu.Unlock()
	want := [][]byte{{0x04, 0x40}, {0x04, 0x20}, {0xFD, 0x03, 0x16, 0x07, 0x0D}}
	if len(got) != len(want) {
		t.Fatalf("writes %x, want %x", got, want)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("write %d: %x, want %x", i, got[i], want[i])
		}
	}
}

func TestPOSBeepProfiles(t *testing.T) {
	tests := []struct {
		beep, layout string
		pattern      string
		want         []byte
		err          bool
	}{
		{"", "honeywell", "good", []byte{0x04, 0x40}, false},
		{"honeywell", "honeywell", "write-failure", []byte{0x04, 0x20}, false},
		{"", "", "good", nil, true}, // the layout comes from the device
		{"none", "", "good", nil, false},
		{"", "newland", "good", nil, false},
		{"04 01", "", "patron", []byte{0x04, 0x01}, false},
		{"zebra-ssi", "", "good", nil, true},
		{"", "", "nope", nil, true},
	}
	for _, tt := range tests {
		got, err := decode.POSBeep(tt.beep, nil, tt.layout, tt.pattern)
		if (err != nil) != tt.err || !bytes.Equal(got, tt.want) {
			t.Errorf("beep %q layout %q %s: %x, %v", tt.beep, tt.layout, tt.pattern, got, err)
		}
	}
}

func TestHIDOutputReportWindows(t *testing.T) {
	tests := []struct {
		goos string
		in   []byte
		want []byte
		err  bool
	}{
		{"linux", []byte{0x04, 0x40}, []byte{0x04, 0x40}, false},
		{"windows", []byte{0x00, 0x16, 0x07}, []byte{0x16, 0x07}, false}, // karalabe adds the 0 back
		{"windows", []byte{0x04, 0x40}, nil, true},
	}
	for _, tt := range tests {
		got, err := hidOutputReport(tt.goos, tt.in)
		if (err != nil) != tt.err || !bytes.Equal(got, tt.want) {
			t.Errorf("%s %x: %x, %v", tt.goos, tt.in, got, err)
		}
	}
}

func TestHIDList(t *testing.T) {
	b := newFakeHIDBackend()
	b.plug("usb-1", "SN1")
	b.mu.Lock()
	b.present["usb-2"] = hidInfo{Path: "usb-2", VID: 0x046d, PID: 0xc52b, Product: "Mouse", Interface: 2}
	// usb-3 as Windows enumerates it (usage page given, no descriptor);
	// usb-4 as Linux does, with the report descriptor from sysfs; usb-5
	// a HID POS interface whose layout nothing tells.
	b.present["usb-3"] = hidInfo{Path: "usb-3", VID: 0x1eab, PID: 0x1d10, UsagePage: 0x8C, Interface: 0}
	b.present["usb-4"] = hidInfo{Path: "usb-4", VID: 0x0c2e, PID: 0x0b87, Interface: 0}
	b.present["usb-5"] = hidInfo{Path: "usb-5", VID: 0x1eab, PID: 0x2010, Interface: 0}
	b.mu.Unlock()
	b.setDescriptor("usb-4", devtest.HoneywellDescriptor)
	got, err := listHID(b, "linux")
	if err != nil || len(got) != 5 {
		t.Fatalf("%v %+v", err, got)
	}
	if !got[0].Likely || got[1].Likely || got[0].VID != "0c2e" || got[0].SerialNumber != "SN1" || got[1].Interface != 2 {
		t.Errorf("%+v", got)
	}
	if !strings.Contains(got[0].Snippet, `serial_number = "SN1"`) || !strings.Contains(got[0].Snippet, `vid           = "0c2e"`) {
		t.Errorf("snippet:\n%s", got[0].Snippet)
	}
	for _, c := range []struct {
		n          int
		want, dont string
	}{
		{2, `# pos_layout  = "newland"`, "\npos_layout"},
		{3, `# pos_layout  = "honeywell"`, "\npos_layout"},
		{4, `pos_layout    = ""`, "# pos_layout"},
	} {
		sn := got[c.n].Snippet
		if !strings.Contains(sn, `type          = "hid-pos"`) || !strings.Contains(sn, c.want) || strings.Contains(sn, c.dont) {
			t.Errorf("snippet %d, want %s:\n%s", c.n, c.want, sn)
		}
	}
	// Every snippet must be a valid [[scanner]] table for our config.
	for _, l := range got {
		if scs, err := config.ParseScanners("snippet.toml", []byte(l.Snippet)); err != nil || len(scs) != 1 {
			t.Errorf("snippet does not parse: %v\n%s", err, l.Snippet)
		}
	}
	b.supported = false
	if _, err := listHID(b, "linux"); !errors.Is(err, ErrHIDNeedsCgo) {
		t.Errorf("no cgo: %v", err)
	}
}

// setDescriptor gives the device at path a report descriptor (nil: none readable).
func (b *fakeHIDBackend) setDescriptor(path string, d []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.descs == nil {
		b.descs = map[string][]byte{}
	}
	b.descs[path] = d
}

func (b *fakeHIDBackend) Descriptor(i hidInfo) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := b.descs[i.Path]; d != nil {
		return d, nil
	}
	return nil, errors.New("no report descriptor")
}

// The HID types are registered as devices/all registers them.
func init() { Register() }
