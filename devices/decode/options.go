package decode

import (
	"time"

	"github.com/offcircd/offcircd/config"
)

// Defaults of the decoder options, chosen to match a scanner out of the
// box: a CR suffix is the factory setting of Honeywell, Zebra, Datalogic
// and Newland scanners.
const (
	DefaultTerminator   = "cr"
	DefaultIdleGap      = 50 * time.Millisecond  // scanners send a code in one burst; 50 ms is far longer than inter-byte gaps at 9600 baud
	DefaultFrameTimeout = 500 * time.Millisecond // a partial code older than this is line noise or a torn read
	DefaultMaxLength    = 254                    // the longest valid field (a patron ID); items are checked for 80 later
	DefaultAIM          = "strip"
	DefaultAddOn        = "main"
	DefaultLayout       = "us"
)

// Framing is how a scanner's codes are cut from its input and cleaned: the
// [[scanner]] keys of the serial framer, which the keyboard and HID POS
// decoders read too (those that apply to them).
type Framing struct {
	Terminator   string          `toml:"terminator"`    // cr | lf | crlf | tab | idle
	IdleGap      config.Duration `toml:"idle_gap"`      // idle framing: silence that ends a code
	FrameTimeout config.Duration `toml:"frame_timeout"` // a partial code older than this is dropped
	MaxLength    int             `toml:"max_length"`    // longest accepted code
	AIM          string          `toml:"aim"`           // strip | keep | none: AIM symbology identifier handling
	AddOn        string          `toml:"addon"`         // main | keep | reject: EAN/UPC add-on handling
	// SSI makes the serial framer consume Zebra SSI replies; the transport
	// sets it for beep = "zebra-ssi" (it is not a key of its own).
	SSI bool `toml:"-"`
}

// The values the framing keys take.
var (
	terminators = []string{"cr", "lf", "crlf", "tab", "idle"}
	aimModes    = []string{"strip", "keep", "none"}
	addOnModes  = []string{"main", "keep", "reject"}
)

// Check reports every problem of the framing keys.
func (f Framing) Check(r *config.Report) {
	r.OneOf("terminator", f.Terminator, terminators)
	r.Bounded("idle_gap", f.IdleGap.Duration, time.Millisecond, 10*time.Second)
	r.Bounded("frame_timeout", f.FrameTimeout.Duration, 10*time.Millisecond, time.Minute)
	if f.MaxLength < 0 || (f.MaxLength == 0 && r.Has("max_length")) {
		r.Errorf("max_length", "max_length must be greater than 0")
	}
	r.OneOf("aim", f.AIM, aimModes)
	r.OneOf("addon", f.AddOn, addOnModes)
}

// Defaults fills the unset framing keys.
func (f *Framing) Defaults() {
	config.SetStr(&f.Terminator, DefaultTerminator)
	config.SetDuration(&f.IdleGap, DefaultIdleGap)
	config.SetDuration(&f.FrameTimeout, DefaultFrameTimeout)
	config.SetInt(&f.MaxLength, DefaultMaxLength)
	config.SetStr(&f.AIM, DefaultAIM)
	config.SetStr(&f.AddOn, DefaultAddOn)
}

// Config is every decoder's options: the framing, and the keys of the HID
// decoders. A replay takes them all, for the decoder it names.
type Config struct {
	Framing
	Layout    string `toml:"layout"`     // hid-keyboard: us | uk | de | fr, the scanner's keyboard country
	ReportID  bool   `toml:"report_id"`  // hid-keyboard: reports carry a leading report id byte
	POSLayout string `toml:"pos_layout"` // hid-pos: honeywell | newland | generic; "" = read from the device
}

// keyboardLayoutNames and posLayoutNames are the layouts in the order the
// docs give them.
var (
	keyboardLayoutNames = []string{"us", "uk", "de", "fr"}
	posLayoutNames      = []string{"honeywell", "newland", "generic"}
)

// Check reports every problem of the decoder keys.
func (c Config) Check(r *config.Report) {
	c.Framing.Check(r)
	r.OneOf("layout", c.Layout, keyboardLayoutNames)
	r.OneOf("pos_layout", c.POSLayout, posLayoutNames) // unset: read from the device
}

// Defaults fills the unset decoder keys.
func (c *Config) Defaults() {
	c.Framing.Defaults()
	config.SetStr(&c.Layout, DefaultLayout)
}
