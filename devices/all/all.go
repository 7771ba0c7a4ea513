// Package all links every transport into a binary: importing it registers
// the scanner types, in the order the docs list them (serial, hid-pos,
// hid-keyboard, console, replay), with their options types, the keypad and
// the device listings. Package devices then builds sources by type name
// and package config decodes each [[scanner]] table into its type's
// options. A new transport is one package and one line here.
package all

import (
	"github.com/offcircd/offcircd/devices/capture"
	"github.com/offcircd/offcircd/devices/console"
	"github.com/offcircd/offcircd/devices/hid"
	"github.com/offcircd/offcircd/devices/serial"
)

func init() {
	serial.Register()
	hid.Register()
	console.Register()
	capture.Register()
}
