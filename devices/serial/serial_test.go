package serial

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	bugst "go.bug.st/serial"
	"go.bug.st/serial/enumerator"

	"github.com/offcircd/offcircd/config"

	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
)

// newPTY returns a pseudo-terminal master and the path of its slave: the
// slave is what the source opens through go.bug.st/serial, the master
// plays the scanner. Closing the master looks like an unplug.
func newPTY(t testing.TB) (*os.File, string) {
	t.Helper()
	m, s, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	path := s.Name()
	s.Close()
	t.Cleanup(func() { m.Close() })
	return m, path
}

// runSerial starts a serial source for sc and returns its event channel.
// The source is stopped (cancel + wait) when the test ends.
func runSerial(t testing.TB, sc config.Scanner, log *slog.Logger) (*Serial, <-chan devices.Event) {
	t.Helper()
	return runSerialOn(t, sc, log, systemPorts{})
}

// fakePorts is a serialPorts for tests: list replaces the port list and
// open the opened port; what is nil is the system's.
type fakePorts struct {
	list func() ([]*enumerator.PortDetails, error)
	open serialPort
}

func (f fakePorts) List() ([]*enumerator.PortDetails, error) {
	if f.list != nil {
		return f.list()
	}
	return systemPorts{}.List()
}

func (f fakePorts) Open(name string, mode *bugst.Mode) (serialPort, error) {
	if f.open != nil {
		return f.open, nil
	}
	return systemPorts{}.Open(name, mode)
}

// runSerialOn is runSerial on the given ports.
func runSerialOn(t testing.TB, sc config.Scanner, log *slog.Logger, ports serialPorts) (*Serial, <-chan devices.Event) {
	t.Helper()
	if log == nil {
		log = serialQuietLog
	}
	src, err := newSerial(sc, log, ports)
	if err != nil {
		t.Fatal(err)
	}
	src.backoffMin, src.backoffMax = 5*time.Millisecond, 40*time.Millisecond
	out := make(chan devices.Event, 64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	return src, out
}

// next returns the next event that is not filtered out, or fails.
func next(t testing.TB, ch <-chan devices.Event, keep func(devices.Event) bool) devices.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-ch:
			if keep == nil || keep(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no event within 5s")
			return devices.Event{}
		}
	}
}

func waitState(t testing.TB, ch <-chan devices.Event, want devices.State) devices.Event {
	t.Helper()
	ev := next(t, ch, func(ev devices.Event) bool { return ev.Kind == devices.KindState })
	if ev.State != want {
		t.Fatalf("state %q (err %v), want %q", ev.State, ev.Err, want)
	}
	return ev
}

func notState(ev devices.Event) bool { return ev.Kind != devices.KindState }

// writeSlowly writes b in pieces of n bytes with a small pause, so the
// source's reads see the code split.
func writeSlowly(t testing.TB, m *os.File, b []byte, n int) {
	t.Helper()
	for i := 0; i < len(b); i += n {
		if _, err := m.Write(b[i:min(i+n, len(b))]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestSerialPTYTerminators(t *testing.T) {
	for _, tc := range []struct {
		term, sep string
	}{{"cr", "\r"}, {"lf", "\n"}, {"crlf", "\r\n"}, {"tab", "\t"}, {"idle", ""}} {
		t.Run(tc.term, func(t *testing.T) {
			t.Parallel()
			m, path := newPTY(t)
			// Generous gaps: the test machine may stall a goroutine for
			// a good fraction of a second under load.
			_, out := runSerial(t, config.Scanner{Name: "desk", Options: &Options{Port: path, Framing: decode.Framing{Terminator: tc.term, IdleGap: config.Duration{Duration: 250 * time.Millisecond}, FrameTimeout: config.Duration{Duration: 5 * time.Second}}}}, nil)
			waitState(t, out, devices.StateConnected)
			codes := []string{"]E09780306406157", "31234000567890", "P00042"}
			for i, c := range codes {
				// Whole, in 1-byte and in 3-byte pieces.
				writeSlowly(t, m, []byte(c+tc.sep), []int{len(c) + 2, 1, 3}[i])
				if tc.term == "idle" {
					time.Sleep(600 * time.Millisecond)
				}
			}
			want := []string{"9780306406157", "31234000567890", "P00042"}
			for i, w := range want {
				ev := next(t, out, notState)
				if ev.Kind != devices.KindScan || ev.Data != w || ev.Source != "desk" {
					t.Fatalf("scan %d: %+v, want %q", i, ev, w)
				}
				if i == 0 && ev.Symbology != "]E0" {
					t.Errorf("symbology %q", ev.Symbology)
				}
			}
		})
	}
}

func TestSerialPTYGarbage(t *testing.T) {
	t.Parallel()
	m, path := newPTY(t)
	_, out := runSerial(t, config.Scanner{Name: "drop", Options: &Options{Port: path, Framing: decode.Framing{MaxLength: 20}}}, nil)
	waitState(t, out, devices.StateConnected)
	garbage := []byte("\x00\x01\xfe\xff\x1b[0m\x80\r")
	overlong := []byte(strings.Repeat("7", 500) + "\r")
	good := []byte("GOOD-1\r")
	for _, b := range [][]byte{garbage, overlong, good} {
		if _, err := m.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []error{decode.ErrFrameBadByte, decode.ErrFrameTooLong} {
		ev := next(t, out, notState)
		if ev.Kind != devices.KindBad || !errors.Is(ev.Err, want) {
			t.Fatalf("event %d: %+v, want KindBad %v", i, ev, want)
		}
	}
	if ev := next(t, out, notState); ev.Kind != devices.KindScan || ev.Data != "GOOD-1" {
		t.Fatalf("after garbage: %+v", ev)
	}

	// The tap sees raw reads before framing.
	var mu sync.Mutex
	var tapped []byte
	m2, path2 := newPTY(t)
	src2, err := NewSerial(config.Scanner{Name: "tap", Options: &Options{Port: path2}}, serialQuietLog)
	if err != nil {
		t.Fatal(err)
	}
	src2.SetTap(func(_ time.Time, b []byte) { mu.Lock(); tapped = append(tapped, b...); mu.Unlock() })
	out2 := make(chan devices.Event, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src2.Run(ctx, out2); close(done) }()
	waitState(t, out2, devices.StateConnected)
	m2.Write([]byte("\x07AB\r"))
	next(t, out2, notState)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if string(tapped) != "\x07AB\r" {
		t.Fatalf("tapped %q", tapped)
	}
}

// TestSerialTwoScanners reads two scanners at once, each sending its codes
// byte by byte at the same time: no code may mix bytes of the other.
func TestSerialTwoScanners(t *testing.T) {
	t.Parallel()
	ma, pa := newPTY(t)
	mb, pb := newPTY(t)
	_, outA := runSerial(t, config.Scanner{Name: "a", Options: &Options{Port: pa, Framing: decode.Framing{FrameTimeout: config.Duration{Duration: 5 * time.Second}}}}, nil)
	_, outB := runSerial(t, config.Scanner{Name: "b", Options: &Options{Port: pb, Framing: decode.Framing{Terminator: "lf", FrameTimeout: config.Duration{Duration: 5 * time.Second}}}}, nil)
	waitState(t, outA, devices.StateConnected)
	waitState(t, outB, devices.StateConnected)
	const n = 30
	var wg sync.WaitGroup
	for _, w := range []struct {
		m      *os.File
		prefix string
		sep    string
	}{{ma, "AAAA", "\r"}, {mb, "BBBB", "\n"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				for _, c := range []byte(fmt.Sprintf("%s%04d%s", w.prefix, i, w.sep)) {
					w.m.Write([]byte{c})
					time.Sleep(50 * time.Microsecond)
				}
			}
		}()
	}
	wg.Wait()
	for _, r := range []struct {
		out    <-chan devices.Event
		prefix string
	}{{outA, "AAAA"}, {outB, "BBBB"}} {
		for i := range n {
			ev := next(t, r.out, notState)
			if want := fmt.Sprintf("%s%04d", r.prefix, i); ev.Kind != devices.KindScan || ev.Data != want {
				t.Fatalf("got %+v, want %q", ev, want)
			}
		}
	}
}

// countingHandler counts warnings, to check "logged once".
type countingHandler struct {
	warns atomic.Int64
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.warns.Add(1)
	}
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func openFDs(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// TestSerialReconnect unplugs the scanner 50 times: the pty master is
// closed mid-stream and a new pty appears under the same path (a symlink
// re-pointed, as udev does for /dev/serial/by-id). The source must come
// back each time, log each outage once, and leak neither goroutines nor
// file descriptors.
func TestSerialReconnect(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "usb-Honeywell_Scanner-if00")
	m, path := newPTY(t)
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	h := &countingHandler{}
	_, out := runSerial(t, config.Scanner{Name: "kiosk", Options: &Options{Port: link}}, slog.New(h))
	waitState(t, out, devices.StateConnected)

	const cycles = 50
	var fds0, gr0 int
	for i := range cycles {
		if i == 2 { // after warm-up (timers, poller threads)
			fds0, gr0 = openFDs(t), runtime.NumGoroutine()
		}
		code := fmt.Sprintf("ITEM%04d", i)
		// Half a code, then the unplug: the half must not reach the next connection.
		m.Write([]byte(code + "\rHALF"))
		if ev := next(t, out, notState); ev.Data != code {
			t.Fatalf("cycle %d: got %+v, want %q", i, ev, code)
		}
		nm, npath := newPTY(t)
		tmp := link + ".new"
		if err := os.Symlink(npath, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, link); err != nil {
			t.Fatal(err)
		}
		m.Close()
		if ev := waitState(t, out, devices.StateWaiting); ev.Err == nil {
			t.Fatalf("cycle %d: waiting without error", i)
		}
		waitState(t, out, devices.StateConnected)
		m = nm
	}
	m.Write([]byte("LAST\r"))
	if ev := next(t, out, notState); ev.Data != "LAST" {
		t.Fatalf("after reconnects: %+v", ev)
	}
	if w := h.warns.Load(); w < cycles || w > 2*cycles+2 {
		// One "not available" per outage, plus at most one "partial
		// code dropped" per outage.
		t.Errorf("%d warnings for %d outages", w, cycles)
	}
	// Closed ptys of earlier cycles are released by their Cleanup only at
	// the end; count what the source itself holds: fds may not grow.
	deadline := time.Now().Add(2 * time.Second)
	for {
		fds, gr := openFDs(t), runtime.NumGoroutine()
		if fds <= fds0+1 && gr <= gr0+1 {
			t.Logf("fds %d→%d, goroutines %d→%d over %d cycles", fds0, fds, gr0, gr, cycles-2)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("leak: fds %d→%d, goroutines %d→%d over %d cycles", fds0, fds, gr0, gr, cycles-2)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSerialUSBReplug finds the scanner by USB ids; after the replug it
// comes back under another port name, as ttyACM0 becomes ttyACM1.
func TestSerialUSBReplug(t *testing.T) {
	m1, p1 := newPTY(t)
	var mu sync.Mutex
	ports := []*enumerator.PortDetails{
		{Name: "/dev/ttyS0"},
		{Name: p1, IsUSB: true, VID: "0C2E", PID: "0720", SerialNumber: "18012B4F32"},
	}
	list := func() ([]*enumerator.PortDetails, error) {
		mu.Lock()
		defer mu.Unlock()
		return append([]*enumerator.PortDetails(nil), ports...), nil
	}

	_, out := runSerialOn(t, config.Scanner{Name: "desk", Options: &Options{USB: devices.USB{VID: "0c2e", PID: "0720", SerialNumber: "18012b4f32"}}}, nil, fakePorts{list: list})
	waitState(t, out, devices.StateConnected)
	m1.Write([]byte("ONE\r"))
	if ev := next(t, out, notState); ev.Data != "ONE" {
		t.Fatalf("%+v", ev)
	}
	mu.Lock()
	ports = ports[:1] // unplugged: gone from the list
	mu.Unlock()
	m1.Close()
	waitState(t, out, devices.StateWaiting)
	m2, p2 := newPTY(t)
	mu.Lock()
	ports = append(ports, &enumerator.PortDetails{Name: p2, IsUSB: true, VID: "0c2e", PID: "0720", SerialNumber: "18012B4F32"})
	mu.Unlock()
	waitState(t, out, devices.StateConnected)
	m2.Write([]byte("TWO\r"))
	if ev := next(t, out, notState); ev.Data != "TWO" {
		t.Fatalf("%+v", ev)
	}
}

func TestSerialWaitingAtStart(t *testing.T) {
	t.Parallel()
	_, out := runSerial(t, config.Scanner{Name: "gone", Options: &Options{Port: filepath.Join(t.TempDir(), "nope")}}, nil)
	ev := waitState(t, out, devices.StateWaiting)
	if ev.Err == nil {
		t.Fatal("waiting without the reason")
	}
	// Retries are silent: no second state event while nothing changes.
	select {
	case ev := <-out:
		t.Fatalf("unexpected %+v", ev)
	case <-time.After(150 * time.Millisecond):
	}
}

func TestSerialBeepPTY(t *testing.T) {
	t.Parallel()
	m, path := newPTY(t)
	src, err := NewSerial(config.Scanner{Name: "z", Beep: "zebra-ssi", Options: &Options{Port: path}}, serialQuietLog)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Beep("good"); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("beep before Run: %v, want ErrNotConnected", err)
	}
	src, out := runSerial(t, config.Scanner{Name: "z", Beep: "zebra-ssi", Options: &Options{Port: path}}, nil)
	waitState(t, out, devices.StateConnected)
	if err := src.Beep("good"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 16)
	m.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := m.Read(got)
	if err != nil {
		t.Fatal(err)
	}
	if want := "05 E6 04 00 00 FF 11"; fmt.Sprintf("% X", got[:n]) != want {
		t.Fatalf("wrote % X, want %s", got[:n], want)
	}
	// The scanner's ACK, split across reads, then a scan: only the scan comes out.
	m.Write([]byte{0x04, 0xD0, 0x00})
	time.Sleep(5 * time.Millisecond)
	m.Write([]byte{0x00, 0xFF, 0x2C, 'A', '1', '\r'})
	if ev := next(t, out, notState); ev.Kind != devices.KindScan || ev.Data != "A1" {
		t.Fatalf("after ACK: %+v", ev)
	}
	if err := src.Beep("no-such-pattern"); !errors.Is(err, config.ErrUnknownPattern) {
		t.Fatalf("unknown pattern: %v", err)
	}
}

func TestNewSerialErrors(t *testing.T) {
	for _, sc := range []config.Scanner{
		{Name: "x"},
		{Name: "x", Options: &Options{Port: "/dev/null", Parity: "sometimes"}},
		{Name: "x", Options: &Options{Port: "/dev/null", StopBits: "3"}},
		{Name: "x", Options: &Options{Port: "/dev/null", DataBits: 9}},
		{Name: "x", Options: &Options{Port: "/dev/null", Framing: decode.Framing{Terminator: "etx"}}},
		{Name: "x", Beep: "trumpet", Options: &Options{Port: "/dev/null"}},
		{Name: "x", BeepBytes: map[string]string{"good": "zz"}, Options: &Options{Port: "/dev/null"}},
	} {
		if _, err := NewSerial(sc, nil); err == nil {
			t.Errorf("%+v: no error", sc)
		} else if !strings.HasPrefix(err.Error(), "serial: ") {
			t.Errorf("error without component prefix: %v", err)
		}
	}
	src, err := devices.NewSource(config.Scanner{Name: "ok", Type: "serial", Options: &Options{Port: "/dev/ttyACM0"}}, devices.Env{}, serialQuietLog)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(devices.Beeper); !ok {
		t.Error("serial source is not a Beeper")
	}
	if _, ok := src.(devices.Tapper); !ok {
		t.Error("serial source is not a Tapper")
	}
}

func TestMatchSerialPort(t *testing.T) {
	list := []*enumerator.PortDetails{
		{Name: "/dev/ttyS0"},
		{Name: "/dev/ttyACM0", IsUSB: true, VID: "0c2e", PID: "0720", SerialNumber: "AAA111"},
		{Name: "/dev/ttyACM1", IsUSB: true, VID: "0C2E", PID: "0720", SerialNumber: "BBB222"},
		{Name: "COM7", IsUSB: true, VID: "05F9", PID: "4204", SerialNumber: ""},
		{Name: "/dev/ttyUSB0", IsUSB: true, VID: "0403", PID: "6001", SerialNumber: "FT1"},
		{Name: "/dev/ttyUSB1", IsUSB: true, VID: "0403", PID: "6001", SerialNumber: "FT2"},
		nil,
	}
	for _, tc := range []struct {
		vid, pid, sn string
		want         string
		err          error
	}{
		{"0c2e", "0720", "aaa111", "/dev/ttyACM0", nil},
		{"0C2E", "0720", "BBB222", "/dev/ttyACM1", nil},
		{"0x0c2e", "0X0720", "bbb222", "/dev/ttyACM1", nil},
		{"0c2e", "0720", "", "", ErrPortAmbiguous},
		{"0c2e", "0720", "CCC333", "", ErrPortNotFound},
		{"05f9", "4204", "", "COM7", nil},
		{"05f9", "", "", "COM7", nil},
		{"0403", "6001", "FT2", "/dev/ttyUSB1", nil},
		{"1eab", "1d06", "", "", ErrPortNotFound},
	} {
		got, err := matchSerialPort(devices.USB{VID: tc.vid, PID: tc.pid, SerialNumber: tc.sn}, list)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%s:%s %q: got %q, %v; want %q, %v", tc.vid, tc.pid, tc.sn, got, err, tc.want, tc.err)
		}
	}
}

// BenchmarkSerialPTYLatency measures bytes written to a pty master (the
// scanner) → KindScan event out of the source: the device share of the
// scan-to-record latency.
func BenchmarkSerialPTYLatency(b *testing.B) {
	m, path := newPTY(b)
	_, out := runSerial(b, config.Scanner{Name: "bench", Options: &Options{Port: path}}, nil)
	waitState(b, out, devices.StateConnected)
	lat := make([]time.Duration, 0, b.N)
	code := []byte("]E09780306406157\r")
	for b.Loop() {
		t := time.Now()
		if _, err := m.Write(code); err != nil {
			b.Fatal(err)
		}
		if ev := next(b, out, notState); ev.Kind != devices.KindScan {
			b.Fatalf("%+v", ev)
		}
		lat = append(lat, time.Since(t))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func TestSerialOpenState(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want devices.State
	}{
		{fmt.Errorf("serial: open x: %w", os.ErrNotExist), devices.StateWaiting},
		{fmt.Errorf("x: %w", ErrPortNotFound), devices.StateWaiting},
		{fmt.Errorf("x: %w", ErrPortAmbiguous), devices.StateError},
		{fmt.Errorf("x: %w", syscall.EACCES), devices.StateError},
		{fmt.Errorf("x: %w", syscall.ENOENT), devices.StateWaiting},
	} {
		if got := openState(tc.err); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.err, got, tc.want)
		}
	}
}

var serialQuietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// The serial type is registered as devices/all registers it, for the
// tests that build it by name.
func init() { Register() }
