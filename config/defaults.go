package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Default values that are the same on every platform.
const (
	DefaultFileName      = "OffCirc.dat" // what Alma's upload page and Offcirc.exe expect
	DefaultFileMode      = "0640"        // patron IDs are personal data: no world access
	DefaultControlPrefix = "OFFCIRC:"
)

// write_timeout: the default, and the bounds. Below 100 ms a busy but
// healthy disk would spool; above a minute a hung share freezes staff.
const (
	DefaultWriteTimeout = 2 * time.Second
	MinWriteTimeout     = 100 * time.Millisecond
	MaxWriteTimeout     = time.Minute
)

// Windows folders of the Offline Circulation Utility, so staff keep uploading
// from where they always did.
const (
	windowsDataDir  = `C:\Alma Offline Circulation\OffCirc\files`
	windowsStateDir = `C:\Alma Offline Circulation\OffCirc\state`
	linuxDataDir    = "/var/lib/offcircd/files"
	linuxStateDir   = "/var/lib/offcircd/state"
)

// Default returns the configuration of an installed service before any file
// is read: every key of SPEC §6 set, no scanners.
func Default() *Config {
	c := base()
	if runtime.GOOS == "windows" {
		c.DataDir, c.StateDir = windowsDataDir, windowsStateDir
	} else {
		c.DataDir, c.StateDir = linuxDataDir, linuxStateDir
	}
	return c
}

// Trial returns the configuration of `offcircd run` without --config: files
// land under ./OffCirc in the working directory, where someone trying the
// tool will look for them. It has no scanners; the run command adds a
// console scanner.
func Trial() *Config {
	c := base()
	c.DataDir = filepath.Join(".", "OffCirc", "files")
	c.StateDir = filepath.Join(".", "OffCirc", "state")
	return c
}

func base() *Config {
	return &Config{
		Station:          hostname(),
		FileName:         DefaultFileName,
		FileMode:         DefaultFileMode,
		DefaultMode:      "loan",
		ControlPrefix:    DefaultControlPrefix,
		PatronTimeout:    Duration{30 * time.Second},
		DoubleReadWindow: Duration{2 * time.Second},
		UndoWindow:       Duration{2 * time.Minute},
		LogLevel:         "info",
		HotplugInterval:  Duration{2 * time.Second},
		AlarmInterval:    Duration{5 * time.Second},
		WriteTimeout:     Duration{DefaultWriteTimeout},
	}
}

// hostname names the station after the machine, which is what IT staff see
// in their inventory.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "offcircd"
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return h
}

// Scanner defaults, chosen to match a scanner out of the box: 9600 8N1 with
// a CR suffix is the factory setting of Honeywell, Zebra, Datalogic and
// Newland serial scanners.
const (
	DefaultBaud         = 9600
	DefaultDataBits     = 8
	DefaultParity       = "none"
	DefaultStopBits     = "1"
	DefaultTerminator   = "cr"
	DefaultIdleGap      = 50 * time.Millisecond  // scanners send a code in one burst; 50 ms is far longer than inter-byte gaps at 9600 baud
	DefaultFrameTimeout = 500 * time.Millisecond // a partial code older than this is line noise or a torn read
	DefaultMaxLength    = 254                    // the longest valid field (a patron ID); items are checked for 80 later
	DefaultAIM          = "strip"
	DefaultAddOn        = "main"
	DefaultLayout       = "us"
	DefaultPOSLayout    = ""     // none: a hid-pos scanner's layout is read from the device (its report descriptor and vendor id), never guessed
	DefaultBeep         = "none" // the PC-side [[beeper]] is the portable default; scanner beeps are opt-in per model
)

// ApplyDefaults fills every unset scanner option with its default and
// normalises USB ids to lower case. Load calls it after decoding, because
// TOML array tables cannot carry per-element defaults.
func (c *Config) ApplyDefaults() {
	for i := range c.Scanners {
		s := &c.Scanners[i]
		setInt(&s.Baud, DefaultBaud)
		setInt(&s.DataBits, DefaultDataBits)
		setStr(&s.Parity, DefaultParity)
		setStr(&s.StopBits, DefaultStopBits)
		setStr(&s.Terminator, DefaultTerminator)
		setDur(&s.IdleGap, DefaultIdleGap)
		setDur(&s.FrameTimeout, DefaultFrameTimeout)
		setInt(&s.MaxLength, DefaultMaxLength)
		setStr(&s.AIM, DefaultAIM)
		setStr(&s.AddOn, DefaultAddOn)
		setStr(&s.Layout, DefaultLayout)
		setStr(&s.Beep, DefaultBeep)
		s.VID, s.PID = strings.ToLower(s.VID), strings.ToLower(s.PID)
	}
	if c.Keypad != nil {
		c.Keypad.VID, c.Keypad.PID = strings.ToLower(c.Keypad.VID), strings.ToLower(c.Keypad.PID)
	}
}

func setInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

func setStr(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func setDur(p *Duration, v time.Duration) {
	if p.Duration == 0 {
		p.Duration = v
	}
}
