package hid

import (
	"log/slog"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
)

// Options are the [[scanner]] keys of a hid-pos or hid-keyboard scanner:
// the device's USB ids and the options of its decoder.
type Options struct {
	devices.USB
	decode.Config
}

// Check reports every problem of the options.
func (o *Options) Check(r *config.Report) {
	if o.VID == "" || o.PID == "" {
		r.Errorf("", "a %s scanner needs vid and pid (see `offcircd devices`)", r.Type())
	}
	o.USB.Check(r)
	o.Config.Check(r)
}

// Defaults fills the unset options.
func (o *Options) Defaults() {
	o.USB.Defaults()
	o.Config.Defaults()
}

// Register makes the hid-pos and hid-keyboard scanner types, the keypad and
// the HID listing available (devices/all calls it).
func Register() {
	build := func(sc config.Scanner, env devices.Env, log *slog.Logger) (devices.Source, error) {
		return newHIDSource(sc, env, log, hidSystem)
	}
	options := func() config.ScannerOptions { return new(Options) }
	devices.Register(config.ScannerType{Name: "hid-pos", Options: options, Beeps: []string{"hid-pos", "honeywell"}}, build)
	devices.Register(config.ScannerType{Name: "hid-keyboard", Options: options}, build)
	devices.RegisterKeypad(NewKeypad)
	devices.RegisterLister(func() ([]devices.Listing, error) { return listHID(hidSystem, hostOS) })
}
