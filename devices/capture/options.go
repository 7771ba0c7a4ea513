package capture

import (
	"strings"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
)

// Options are the [[scanner]] keys of a replay scanner: the capture, how
// to play it, and the options of the decoder it plays through.
type Options struct {
	Decoder string  `toml:"decoder"` // serial | hid-pos | hid-keyboard
	File    string  `toml:"file"`    // capture file (SPEC §7)
	Speed   float64 `toml:"speed"`   // replay speed factor; 0 = as recorded
	// RecordedTime stamps replayed scans with the capture's "# start:" time
	// plus each chunk's offset instead of the current time, so a replay
	// reproduces the original records byte for byte.
	RecordedTime bool `toml:"recorded_time"`
	decode.Config
}

// Check reports every problem of the options.
func (o *Options) Check(r *config.Report) {
	decoders := decode.Names()
	if o.Decoder == "" {
		r.Errorf("", "a replay scanner needs decoder: one of %s", strings.Join(decoders, " | "))
	} else {
		r.OneOf("decoder", o.Decoder, decoders)
	}
	if o.File == "" {
		r.Errorf("", "a replay scanner needs file (a capture made by `offcircd capture`)")
	} else {
		r.ReadableFile("file", o.File)
	}
	if o.Speed < 0 {
		r.Errorf("speed", "speed must be 0 (as recorded) or more")
	}
	o.Config.Check(r)
}

// Defaults fills the unset options.
func (o *Options) Defaults() { o.Config.Defaults() }

// Paths is the capture file, relative to the configuration's folder.
func (o *Options) Paths() []*string { return []*string{&o.File} }

// Register makes the "replay" scanner type available (devices/all calls it).
func Register() {
	devices.Register(config.ScannerType{Name: "replay",
		Options: func() config.ScannerOptions { return new(Options) }}, newReplay)
}
