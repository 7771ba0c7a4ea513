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

// DefaultBeep is a scanner's beep when it sets none: the PC-side [[beeper]]
// is the portable default; scanner beeps are opt-in per model. The
// defaults of a transport's options are the transport's.
const DefaultBeep = "none"

// ApplyDefaults gives each scanner table its type's options (unset ones
// when it has none yet) and fills every unset option with its default, and
// normalises the keypad's USB ids to lower case. Load calls it after
// decoding, because TOML array tables cannot carry per-element defaults.
func (c *Config) ApplyDefaults() {
	for i := range c.Scanners {
		s := &c.Scanners[i]
		setStr(&s.Beep, DefaultBeep)
		if s.Options == nil {
			if t, ok := LookupScannerType(s.Type); ok {
				s.Options = t.Options()
			}
		}
		if s.Options != nil {
			s.Options.Defaults()
		}
	}
	if c.Keypad != nil {
		c.Keypad.VID, c.Keypad.PID = strings.ToLower(c.Keypad.VID), strings.ToLower(c.Keypad.PID)
	}
}

// SetInt, SetStr and SetDuration fill an unset (zero) option with v: for
// the transports' Defaults.
func SetInt(p *int, v int) { setInt(p, v) }

// SetStr fills an unset string option with v.
func SetStr(p *string, v string) { setStr(p, v) }

// SetDuration fills an unset duration option with v.
func SetDuration(p *Duration, v time.Duration) { setDur(p, v) }

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
