// Package all links every transport into a binary: importing it registers
// the scanner types (serial, hid-pos, hid-keyboard, console, replay), the
// keypad and the device listings with package devices, which builds
// sources by name. A new transport is one package and one line here.
package all

import (
	_ "github.com/offcircd/offcircd/devices/capture" // replay
	_ "github.com/offcircd/offcircd/devices/console" // console
	_ "github.com/offcircd/offcircd/devices/hid"     // hid-pos, hid-keyboard, keypad
	_ "github.com/offcircd/offcircd/devices/serial"  // serial
)
