package feedback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Linux PC speaker interfaces (linux/input-event-codes.h, linux/kd.h).
const (
	evSnd     = 0x12   // EV_SND
	sndTone   = 0x02   // SND_TONE
	kiocSound = 0x4B2F // KIOCSOUND: start a tone at PIT divisor arg, 0 stops
	pitHz     = 1193182
)

// Where discovery looks; tests point them at temporary trees.
var (
	sysRoot       = "/sys"
	devRoot       = "/dev"
	consolePaths  = []string{"/dev/tty0", "/dev/console"}
	consoleIoctl  = func(fd int, req uint, arg int) error { return unix.IoctlSetInt(fd, req, arg) }
	pcspkrUdevFix = `add the service user to the "input" group, or install a udev rule such as ` +
		`ACTION=="add", SUBSYSTEM=="input", ATTRS{name}=="PC Speaker", ENV{DEVNAME}!="", GROUP="offcircd", MODE="0620"`
)

// inputEvent is struct input_event. unix.Timeval has the width of the
// kernel's timeval for this GOARCH (16 bytes on 64-bit, 8 on 32-bit), so
// the layout is right on amd64, arm64, 386 and arm alike.
type inputEvent struct {
	Time  unix.Timeval
	Type  uint16
	Code  uint16
	Value int32
}

// eventBytes is ev in the kernel's native layout. The kernel ignores the
// time of injected events, so it stays zero.
func eventBytes(typ, code uint16, value int32) []byte {
	ev := inputEvent{Type: typ, Code: code, Value: value}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&ev)), unsafe.Sizeof(ev))
	return append([]byte(nil), b...)
}

// consoleDivisor is the PIT divisor KIOCSOUND takes for hz.
func consoleDivisor(hz int) int {
	if hz <= 0 {
		return 0
	}
	return pitHz / hz
}

// openSpeaker opens the configured device, or finds the evdev PC speaker,
// or falls back to the console ioctl.
func openSpeaker(device string, clk Clock) (toneDevice, error) {
	if device != "" {
		kind, path := classifyDevice(device)
		if kind == "console" {
			return openConsole(path, clk)
		}
		return openEvdev(path, clk)
	}
	var problems []string
	if path, ok := findEvdev(); ok {
		dev, err := openEvdev(path, clk)
		if err == nil {
			return dev, nil
		}
		problems = append(problems, err.Error())
	} else {
		problems = append(problems, `no "PC Speaker" input device (load the pcspkr kernel module: modprobe pcspkr, and check it is not blacklisted)`)
	}
	for _, p := range consolePaths {
		dev, err := openConsole(p, clk)
		if err == nil {
			return dev, nil
		}
		problems = append(problems, err.Error())
	}
	return nil, fmt.Errorf("pcspeaker: %w: %s", ErrNoSpeaker, strings.Join(problems, "; "))
}

// classifyDevice reads an override: "evdev:PATH", "console:PATH", or a bare
// path that is an event device when it lives under input/ or is named
// like one, else a console.
func classifyDevice(device string) (kind, path string) {
	if k, p, ok := strings.Cut(device, ":"); ok && (k == "evdev" || k == "console") {
		return k, p
	}
	base := filepath.Base(device)
	if strings.Contains(device, "/input/") || strings.HasPrefix(base, "event") || strings.Contains(base, "spkr") {
		return "evdev", device
	}
	return "console", device
}

// findEvdev returns the event device whose input name is "PC Speaker".
func findEvdev() (string, bool) {
	names, _ := filepath.Glob(filepath.Join(sysRoot, "class", "input", "event*", "device", "name"))
	sort.Strings(names)
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil || strings.TrimSpace(string(b)) != "PC Speaker" {
			continue
		}
		ev := filepath.Base(filepath.Dir(filepath.Dir(n)))
		return filepath.Join(devRoot, "input", ev), true
	}
	links, _ := filepath.Glob(filepath.Join(devRoot, "input", "by-path", "*pcspkr*event*"))
	sort.Strings(links)
	if len(links) > 0 {
		return links[0], true
	}
	return "", false
}

// evdevSpeaker writes EV_SND/SND_TONE events to the PC speaker's event device.
type evdevSpeaker struct {
	path  string
	w     io.WriteCloser
	clock Clock
}

func openEvdev(path string, clk Clock) (*evdevSpeaker, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("pcspeaker: %w: %s", err, pcspkrUdevFix)
		}
		return nil, fmt.Errorf("pcspeaker: %w", err)
	}
	return &evdevSpeaker{path: path, w: f, clock: clk}, nil
}

func (e *evdevSpeaker) set(hz int) error {
	if _, err := e.w.Write(eventBytes(evSnd, sndTone, int32(hz))); err != nil {
		return fmt.Errorf("pcspeaker: write %s: %w", e.path, err)
	}
	return nil
}

func (e *evdevSpeaker) tone(ctx context.Context, hz int, d time.Duration) error {
	return switchTone(ctx, e.clock, e.set, hz, d)
}

func (e *evdevSpeaker) close() error     { return e.w.Close() }
func (e *evdevSpeaker) describe() string { return "evdev " + e.path }

// consoleSpeaker uses the KIOCSOUND ioctl on a virtual console; it needs
// root or CAP_SYS_TTY_CONFIG unless the console is the caller's own tty.
type consoleSpeaker struct {
	path  string
	f     *os.File
	fd    int
	ioctl func(fd int, req uint, arg int) error
	clock Clock
}

func openConsole(path string, clk Clock) (*consoleSpeaker, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_NOCTTY, 0)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("pcspeaker: console %w (the console tone needs root or CAP_SYS_TTY_CONFIG; prefer the evdev device)", err)
		}
		return nil, fmt.Errorf("pcspeaker: console: %w", err)
	}
	c := &consoleSpeaker{path: path, f: f, fd: int(f.Fd()), ioctl: consoleIoctl, clock: clk}
	// Silence is a harmless probe that tells a working console apart from a
	// serial console or a missing capability before the first real beep.
	if err := c.set(0); err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

func (c *consoleSpeaker) set(hz int) error {
	if err := c.ioctl(c.fd, kiocSound, consoleDivisor(hz)); err != nil {
		return fmt.Errorf("pcspeaker: KIOCSOUND on %s: %w", c.path, err)
	}
	return nil
}

func (c *consoleSpeaker) tone(ctx context.Context, hz int, d time.Duration) error {
	return switchTone(ctx, c.clock, c.set, hz, d)
}

func (c *consoleSpeaker) close() error {
	if c.f == nil {
		return nil
	}
	return c.f.Close()
}

func (c *consoleSpeaker) describe() string { return "console " + c.path }

// switchTone drives speakers that are switched on and off (evdev, console
// ioctl): on at hz, wait d on the clock, always off again, so a cancelled
// pattern never leaves the speaker sounding.
func switchTone(ctx context.Context, clk Clock, set func(hz int) error, hz int, d time.Duration) error {
	if err := set(hz); err != nil {
		return err
	}
	werr := Sleep(ctx, clk, d)
	if err := set(0); err != nil {
		return errors.Join(werr, err)
	}
	return werr
}
