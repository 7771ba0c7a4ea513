package feedback

import "io"

// Hooks for the external tests of the Linux PC speaker.
var (
	EventBytes     = eventBytes
	ConsoleDivisor = consoleDivisor
	ClassifyDevice = classifyDevice
)

// SetDiscoveryRoots points evdev discovery and the console fallback at test trees.
func SetDiscoveryRoots(sys, dev string, consoles []string) (restore func()) {
	os, od, oc := sysRoot, devRoot, consolePaths
	sysRoot, devRoot, consolePaths = sys, dev, consoles
	return func() { sysRoot, devRoot, consolePaths = os, od, oc }
}

// FindEvdev exposes discovery.
func FindEvdev() (string, bool) { return findEvdev() }

// SetConsoleIoctl replaces the KIOCSOUND ioctl.
func SetConsoleIoctl(f func(fd int, req uint, arg int) error) (restore func()) {
	old := consoleIoctl
	consoleIoctl = f
	return func() { consoleIoctl = old }
}

// NewEvdevSpeakerTo is a PC speaker whose event device is w.
func NewEvdevSpeakerTo(w io.WriteCloser, clk Clock) *PCSpeaker {
	return &PCSpeaker{dev: &evdevSpeaker{path: "test", w: w, clock: clk}, clock: clk, open: func() (toneDevice, error) { return nil, ErrNoSpeaker }}
}
