package feedback_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/daemon/feedback/feedbacktest"
)

func TestEventBytesLayout(t *testing.T) {
	b := feedback.EventBytes(0x12, 0x02, 440)
	tvSize := int(unsafe.Sizeof(syscall.Timeval{}))
	if len(b) != tvSize+8 {
		t.Fatalf("event is %d bytes, want timeval %d + 8", len(b), tvSize)
	}
	if !bytes.Equal(b[:tvSize], make([]byte, tvSize)) {
		t.Errorf("time not zero: % x", b[:tvSize])
	}
	if runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64" {
		want := strings.Repeat("00", 16) + "1200" + "0200" + "b8010000"
		if got := hex.EncodeToString(b); got != want {
			t.Errorf("bytes\n got %s\nwant %s", got, want)
		}
	}
}

func TestEvdevWritesToneEventsToDeviceFile(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "event-spkr")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := feedback.NewPCSpeaker("evdev:"+dev, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := sp.Device(); got != "evdev "+dev {
		t.Errorf("Device() = %q", got)
	}
	tones := []feedback.Tone{{Freq: 440, Dur: time.Millisecond}, {Freq: 0, Dur: time.Millisecond}, {Freq: 1000, Dur: time.Millisecond, Pause: time.Millisecond}}
	if err := sp.Play(context.Background(), feedback.Patron, tones); err != nil {
		t.Fatal(err)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dev)
	var want []byte
	for _, v := range []int32{440, 0, 1000, 0} { // the rest writes nothing
		want = append(want, feedback.EventBytes(0x12, 0x02, v)...)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("device file\n got % x\nwant % x", got, want)
	}
}

// stampWriter records which value was written at which clock time.
type stampWriter struct {
	mu    sync.Mutex
	clk   feedback.Clock
	start time.Time
	log   []string
}

func (w *stampWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(b)
	v := int32(b[n-4]) | int32(b[n-3])<<8 | int32(b[n-2])<<16 | int32(b[n-1])<<24
	w.log = append(w.log, w.clk.Now().Sub(w.start).String()+"="+strconv.Itoa(int(v)))
	return n, nil
}

func (w *stampWriter) Close() error { return nil }

func (w *stampWriter) entries() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.log...)
}

func TestPCSpeakerPatternTiming(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" && runtime.GOARCH != "386" && runtime.GOARCH != "arm" {
		t.Skip("little-endian decoding in this test")
	}
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	clk := feedbacktest.NewClock(start)
	w := &stampWriter{clk: clk, start: start}
	sp := feedback.NewEvdevSpeakerTo(w, clk)
	tones := []feedback.Tone{
		{Freq: 440, Dur: 100 * time.Millisecond, Pause: 50 * time.Millisecond},
		{Freq: 0, Dur: 30 * time.Millisecond},
		{Freq: 880, Dur: 200 * time.Millisecond},
	}
	done := make(chan error, 1)
	go func() { done <- sp.Play(context.Background(), feedback.Patron, tones) }()
	// Each step: the speaker sleeps on exactly one timer; advance it.
	for _, step := range []time.Duration{100, 50, 30, 200} {
		if !clk.WaitTimers(1, 5*time.Second) {
			t.Fatalf("speaker not waiting on the clock; log %v", w.entries())
		}
		clk.Advance(step * time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := []string{"0s=440", "100ms=0", "180ms=880", "380ms=0"}
	if got := w.entries(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("timeline %v, want %v", got, want)
	}
}

func TestPCSpeakerCancelSilences(t *testing.T) {
	clk := feedbacktest.NewClock(time.Unix(0, 0))
	w := &stampWriter{clk: clk, start: time.Unix(0, 0)}
	sp := feedback.NewEvdevSpeakerTo(w, clk)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sp.Play(ctx, feedback.Reject, []feedback.Tone{{Freq: 220, Dur: time.Hour}}) }()
	if !clk.WaitTimers(1, 5*time.Second) {
		t.Fatal("not playing")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if got := w.entries(); len(got) != 2 || got[1] != "0s=0" {
		t.Errorf("speaker left on after cancel: %v", got)
	}
}

func TestConsoleDivisor(t *testing.T) {
	for _, tc := range []struct{ hz, want int }{
		{440, 2711}, {1000, 1193}, {2000, 596}, {20, 59659}, {1193182, 1}, {0, 0}, {-5, 0},
	} {
		if got := feedback.ConsoleDivisor(tc.hz); got != tc.want {
			t.Errorf("divisor(%d) = %d, want %d", tc.hz, got, tc.want)
		}
	}
}

func TestConsoleIoctlSequence(t *testing.T) {
	type call struct {
		req uint
		arg int
	}
	var mu sync.Mutex
	var calls []call
	defer feedback.SetConsoleIoctl(func(fd int, req uint, arg int) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{req, arg})
		return nil
	})()
	tty := filepath.Join(t.TempDir(), "tty0")
	os.WriteFile(tty, nil, 0o600)
	sp, err := feedback.NewPCSpeaker("console:"+tty, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	if err := sp.Play(context.Background(), feedback.Good, []feedback.Tone{{Freq: 440, Dur: time.Millisecond}, {Freq: 1000, Dur: time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	want := []call{{0x4B2F, 0}, {0x4B2F, 2711}, {0x4B2F, 0}, {0x4B2F, 1193}, {0x4B2F, 0}}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != len(want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Errorf("call %d = %#x/%d, want %#x/%d", i, calls[i].req, calls[i].arg, want[i].req, want[i].arg)
		}
	}
}

func TestConsoleProbeFailureIsClearError(t *testing.T) {
	defer feedback.SetConsoleIoctl(func(int, uint, int) error { return syscall.EPERM })()
	tty := filepath.Join(t.TempDir(), "console")
	os.WriteFile(tty, nil, 0o600)
	_, err := feedback.NewPCSpeaker("console:"+tty, nil)
	if err == nil || !strings.Contains(err.Error(), "KIOCSOUND") {
		t.Fatalf("err = %v", err)
	}
}

func TestFindEvdev(t *testing.T) {
	mk := func(root string, names map[string]string) {
		for ev, name := range names {
			d := filepath.Join(root, "class", "input", ev, "device")
			os.MkdirAll(d, 0o755)
			os.WriteFile(filepath.Join(d, "name"), []byte(name+"\n"), 0o644)
		}
	}
	t.Run("sysfs name", func(t *testing.T) {
		sys, dev := t.TempDir(), t.TempDir()
		mk(sys, map[string]string{"event0": "AT Translated Set 2 keyboard", "event4": "PC Speaker", "event7": "Power Button"})
		defer feedback.SetDiscoveryRoots(sys, dev, nil)()
		got, ok := feedback.FindEvdev()
		if !ok || got != filepath.Join(dev, "input", "event4") {
			t.Errorf("got %q %v", got, ok)
		}
	})
	t.Run("by-path link", func(t *testing.T) {
		sys, dev := t.TempDir(), t.TempDir()
		mk(sys, map[string]string{"event0": "keyboard"})
		os.MkdirAll(filepath.Join(dev, "input", "by-path"), 0o755)
		link := filepath.Join(dev, "input", "by-path", "platform-pcspkr-event-spkr")
		os.WriteFile(link, nil, 0o600)
		defer feedback.SetDiscoveryRoots(sys, dev, nil)()
		got, ok := feedback.FindEvdev()
		if !ok || got != link {
			t.Errorf("got %q %v", got, ok)
		}
	})
	t.Run("none: clear warning", func(t *testing.T) {
		sys, dev := t.TempDir(), t.TempDir()
		defer feedback.SetDiscoveryRoots(sys, dev, []string{filepath.Join(dev, "tty0")})()
		_, err := feedback.NewPCSpeaker("", nil)
		if !errors.Is(err, feedback.ErrNoSpeaker) {
			t.Fatalf("err = %v, want ErrNoSpeaker", err)
		}
		for _, hint := range []string{"modprobe pcspkr", "tty0"} {
			if !strings.Contains(err.Error(), hint) {
				t.Errorf("warning %q lacks %q", err, hint)
			}
		}
	})
}

func TestEvdevPermissionNamesFix(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can open any file")
	}
	dev := filepath.Join(t.TempDir(), "event9")
	os.WriteFile(dev, nil, 0o400)
	_, err := feedback.NewPCSpeaker(dev, nil)
	if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "input") {
		t.Errorf("err = %v", err)
	}
}

func TestClassifyDevice(t *testing.T) {
	for _, tc := range []struct{ in, kind, path string }{
		{"/dev/input/event5", "evdev", "/dev/input/event5"},
		{"/dev/input/by-path/platform-pcspkr-event-spkr", "evdev", "/dev/input/by-path/platform-pcspkr-event-spkr"},
		{"/tmp/x/event-spkr", "evdev", "/tmp/x/event-spkr"},
		{"/dev/tty0", "console", "/dev/tty0"},
		{"/dev/console", "console", "/dev/console"},
		{"evdev:/tmp/f", "evdev", "/tmp/f"},
		{"console:/dev/input/event1", "console", "/dev/input/event1"},
	} {
		k, p := feedback.ClassifyDevice(tc.in)
		if k != tc.kind || p != tc.path {
			t.Errorf("%q → %s %s, want %s %s", tc.in, k, p, tc.kind, tc.path)
		}
	}
}
