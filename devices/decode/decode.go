package decode

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
)

// names are the decoders New builds, one per transport that has raw input:
// the names a capture's "# decoder:" header and a replay's decoder key take.
var names = []string{"serial", "hid-pos", "hid-keyboard"}

// Names lists the decoders New builds.
func Names() []string { return slices.Clone(names) }

// New builds the decoder named name ("serial", "hid-pos", "hid-keyboard")
// for the scanner named scanner with options c: what the live transport
// and a replay of its capture both decode with.
func New(name, scanner string, c Config) (devices.Decoder, error) {
	switch name {
	case "serial":
		fc, err := FramerConfigFor(scanner, c.Framing)
		if err != nil {
			return nil, err
		}
		return NewFramer(fc, slog.Default().With("scanner", scanner, "decoder", "serial")), nil
	case "hid-pos":
		d, err := newPOSDecoder(c)
		if err != nil {
			return nil, err
		}
		return d, nil
	case "hid-keyboard":
		d, err := newKbdDecoder(c)
		if err != nil {
			return nil, err
		}
		return d, nil
	}
	return nil, fmt.Errorf("devices: unknown decoder %q", name)
}

// NewKeypad builds the decoder of the [keypad] table: key presses to
// commands and, with patron_entry, digits + Enter to a patron scan.
func NewKeypad(kp *config.Keypad) (devices.Decoder, error) {
	d, err := newKeypadDecoder(kp)
	if err != nil {
		return nil, err
	}
	return d, nil
}
