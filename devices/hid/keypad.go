package hid

import (
	"fmt"
	"log/slog"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices/decode"

	"github.com/offcircd/offcircd/devices"
)

// The keypad is a small USB keyboard whose keys send station commands
// (decode.NewKeypad says which); it is read like a keyboard-mode scanner.

// NewKeypad builds the keypad source of the [keypad] table on this
// machine's HID devices. It opens nothing (Run does).
func NewKeypad(kp *config.Keypad, env devices.Env, log *slog.Logger) (devices.Source, error) {
	s, err := newKeypad(kp, env, log, hidSystem)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return s, nil
}

// newKeypad is NewKeypad on the given HID backend.
func newKeypad(kp *config.Keypad, env devices.Env, log *slog.Logger, backend hidBackend) (*hidSource, error) {
	if kp == nil {
		return nil, fmt.Errorf("keypad: no [keypad] table in the configuration")
	}
	name := kp.Name
	if name == "" {
		name = "keypad"
	}
	log = log.With("scanner", name, "type", "keypad")
	m, err := newHIDMatch(kp.VID, kp.PID, kp.SerialNumber, kp.Interface)
	if err != nil {
		return nil, fmt.Errorf("keypad: %w", err)
	}
	if _, err := decode.NewKeypad(kp); err != nil {
		return nil, err
	}
	s := &hidSource{name: name, match: m, backend: backend, log: log, goos: hostOS,
		interval: hotplugInterval(env), readTimeout: hidReadTimeout,
		newDecoder: func(string) (devices.Decoder, error) { return decode.NewKeypad(kp) }}
	s.unsupported = keyboardUnsupported(s.goos)
	return s, nil
}
