package serial

import (
	"log/slog"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
)

// Options are the [[scanner]] keys of a serial scanner.
type Options struct {
	Port string `toml:"port"` // COM3, /dev/ttyACM0; or find the port by USB ids
	devices.USB
	Baud     int    `toml:"baud"`
	DataBits int    `toml:"data_bits"`
	Parity   string `toml:"parity"`    // none | odd | even | mark | space
	StopBits string `toml:"stop_bits"` // 1 | 1.5 | 2
	decode.Framing
}

// Defaults of the line settings: 9600 8N1, the factory setting of
// Honeywell, Zebra, Datalogic and Newland serial scanners.
const (
	DefaultBaud     = 9600
	DefaultDataBits = 8
	DefaultParity   = "none"
	DefaultStopBits = "1"
)

// The values the line settings take.
var (
	parities = []string{"none", "odd", "even", "mark", "space"}
	stopBits = []string{"1", "1.5", "2"}
)

// Check reports every problem of the options.
func (o *Options) Check(r *config.Report) {
	if o.Port == "" && (o.VID == "" || o.PID == "") {
		r.Errorf("", "a serial scanner needs port, or vid and pid to find the port")
	}
	o.USB.Check(r)
	if o.Baud < 0 || (o.Baud == 0 && r.Has("baud")) {
		r.Errorf("baud", "baud must be greater than 0")
	}
	if (o.DataBits != 0 || r.Has("data_bits")) && (o.DataBits < 5 || o.DataBits > 8) {
		r.Errorf("data_bits", "data_bits must be 5, 6, 7 or 8, not %d", o.DataBits)
	}
	r.OneOf("parity", o.Parity, parities)
	r.OneOf("stop_bits", o.StopBits, stopBits)
	o.Framing.Check(r)
}

// Defaults fills the unset options.
func (o *Options) Defaults() {
	o.USB.Defaults()
	config.SetInt(&o.Baud, DefaultBaud)
	config.SetInt(&o.DataBits, DefaultDataBits)
	config.SetStr(&o.Parity, DefaultParity)
	config.SetStr(&o.StopBits, DefaultStopBits)
	o.Framing.Defaults()
}

// PortName is the configured port ("" when the port is found by USB ids).
func (o *Options) PortName() string { return o.Port }

// Device is the port this scanner opens, for config's check that no two
// scanners read one port; "" when the port is found by USB ids.
func (o *Options) Device() (key, path string) { return "port", o.Port }

// beepProfiles are the profiles a serial scanner plays (besides none and
// hex bytes).
var beepProfiles = []string{"bel", "honeywell", "zebra-ssi", "datalogic"}

// Register makes the "serial" scanner type and the serial port listing
// available (devices/all calls it).
func Register() {
	devices.Register(config.ScannerType{Name: "serial", Beeps: beepProfiles,
		Options: func() config.ScannerOptions { return new(Options) }},
		func(sc config.Scanner, _ devices.Env, log *slog.Logger) (devices.Source, error) {
			return NewSerial(sc, log)
		})
	devices.RegisterLister(ListSerial)
}
