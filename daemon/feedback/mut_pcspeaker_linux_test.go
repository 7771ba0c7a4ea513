package feedback_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/offcircd/offcircd/daemon/feedback"
)

// openFDsTo lists this process's descriptors open on path.
func openFDsTo(t *testing.T, path string) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	var out []string
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && l == path {
			out = append(out, e.Name())
		}
	}
	return out
}

// The console speaker: a speaker that cannot be switched off again after
// a tone is a failure Play reports (the station logs it and shows it in
// status), and Close releases the console.
func TestConsoleSpeakerOffFailureAndClose(t *testing.T) {
	var mu sync.Mutex
	calls, failOff := 0, false
	defer feedback.SetConsoleIoctl(func(fd int, req uint, arg int) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if arg == 0 && failOff {
			return syscall.EIO
		}
		return nil
	})()
	tty := filepath.Join(t.TempDir(), "tty0")
	if err := os.WriteFile(tty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := feedback.NewPCSpeaker("console:"+tty, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fds := openFDsTo(t, tty); len(fds) != 1 {
		t.Fatalf("console open %d times, want 1", len(fds))
	}
	mu.Lock()
	failOff = true
	mu.Unlock()
	err = sp.Play(context.Background(), feedback.Good, []feedback.Tone{{Freq: 440, Dur: time.Millisecond}})
	if err == nil || !strings.Contains(err.Error(), "KIOCSOUND") {
		t.Fatalf("Play with the speaker stuck on = %v, want the KIOCSOUND error", err)
	}
	mu.Lock()
	failOff = false
	mu.Unlock()
	sp2, err := feedback.NewPCSpeaker("console:"+tty, nil)
	if err != nil {
		t.Fatal(err)
	}
	sp.Close()
	if err := sp2.Close(); err != nil {
		t.Fatal(err)
	}
	if fds := openFDsTo(t, tty); len(fds) != 0 {
		t.Fatalf("console still open after Close: fds %v", fds)
	}
}

// Device overrides: paths of udev's by-path links hold colons (the PCI
// address), and event devices may live outside /dev/input; an override
// under input/ is an event device whatever its name.
func TestClassifyDeviceMorePaths(t *testing.T) {
	for _, tc := range []struct{ in, kind, path string }{
		{"/dev/input/by-path/pci-0000:00:1f.0-platform-pcspkr-event-spkr", "evdev", "/dev/input/by-path/pci-0000:00:1f.0-platform-pcspkr-event-spkr"},
		{"/run/devs/event7", "evdev", "/run/devs/event7"},
		{"/dev/input/by-id/platform-beeper", "evdev", "/dev/input/by-id/platform-beeper"},
		{"/dev/ttyS0", "console", "/dev/ttyS0"},
		{"console:/dev/tty1", "console", "/dev/tty1"},
	} {
		k, p := feedback.ClassifyDevice(tc.in)
		if k != tc.kind || p != tc.path {
			t.Errorf("%q → %s %s, want %s %s", tc.in, k, p, tc.kind, tc.path)
		}
	}
}
