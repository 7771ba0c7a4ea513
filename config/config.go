package config

import (
	"fmt"
	"time"
)

// Duration is a time.Duration written in TOML as a Go duration string ("30s").
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want a Go duration such as \"500ms\", \"30s\" or \"2m\")", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Config is the whole configuration of one station (SPEC §6).
type Config struct {
	Station           string   `toml:"station"`
	DataDir           string   `toml:"data_dir"`
	FileName          string   `toml:"file_name"`
	StateDir          string   `toml:"state_dir"`
	FileMode          string   `toml:"file_mode"` // octal, "0640" (or "0600")
	Timezone          string   `toml:"timezone"`  // IANA name; "" = system local time
	DefaultMode       string   `toml:"default_mode"`
	ControlPrefix     string   `toml:"control_prefix"`
	PatronPattern     string   `toml:"patron_pattern"`
	ItemPattern       string   `toml:"item_pattern"`
	PatronTimeout     Duration `toml:"patron_timeout"`
	MaxItemsPerPatron int      `toml:"max_items_per_patron"`
	DoubleReadWindow  Duration `toml:"double_read_window"`
	UndoWindow        Duration `toml:"undo_window"`
	LogLevel          string   `toml:"log_level"` // debug | info | warn | error
	LogFile           string   `toml:"log_file"`  // "" = stderr only
	HotplugInterval   Duration `toml:"hotplug_interval"`
	AlarmInterval     Duration `toml:"alarm_interval"` // write-failure alarm repetition
	MetricsDir        string   `toml:"metrics_dir"`    // "" = off; else node_exporter's textfile folder
	WriteTimeout      Duration `toml:"write_timeout"`  // bound of one data-file write + fsync

	Scanners []Scanner `toml:"scanner"`
	Keypad   *Keypad   `toml:"keypad"`
	Beepers  []Beeper  `toml:"beeper"`
	// Patterns overrides feedback patterns by name: each a list of
	// [frequency Hz, duration ms, pause ms] triples.
	Patterns map[string][][]int `toml:"patterns"`

	// Path is the file the configuration was loaded from ("" = built-in).
	Path string `toml:"-"`
	// Warnings are problems that do not stop the daemon (for example a
	// data_dir this user could not create but the service account may).
	Warnings []Problem `toml:"-"`

	// forReading: loaded by LoadForReading (folders need not be writable).
	forReading bool

	// lines maps key paths ("scanner[0].baud") to their line in Path, so
	// validation can name the line of a bad value.
	lines map[string]int
	// bad holds the key paths whose values were refused while decoding.
	bad map[string]bool
}

// Scanner is one [[scanner]] table: the keys every scanner has, and its
// transport's own options (ScannerOptions), decoded into the type
// registered for Type.
type Scanner struct {
	Name string `toml:"name"`
	Type string `toml:"type"` // one of ScannerTypes()
	Mode string `toml:"mode"` // "" follows the station; loan | return pins this scanner
	Beep string `toml:"beep"` // none | a profile the type plays itself (ScannerBeeps) | hex bytes
	// BeepBytes gives raw hex bytes per pattern name for scanners with their own command set.
	BeepBytes map[string]string `toml:"beep_bytes"`

	// Options are the keys of the scanner's transport; nil until Load (or
	// ApplyDefaults) gives the table its type's options.
	Options ScannerOptions `toml:"-"`
}

// Keypad is the optional [keypad] table: an HID keyboard whose keys send commands.
type Keypad struct {
	Name         string            `toml:"name"`
	VID          string            `toml:"vid"`
	PID          string            `toml:"pid"`
	SerialNumber string            `toml:"serial_number"`
	Interface    *int              `toml:"interface"`
	ReportID     bool              `toml:"report_id"`
	Keys         map[string]string `toml:"keys"`         // key name → loan | return | toggle | done | undo | ack
	PatronEntry  bool              `toml:"patron_entry"` // digits + Enter enter a patron ID
}

// Beeper is one [[beeper]] table: a PC-side feedback sink.
type Beeper struct {
	Type    string   `toml:"type"`    // pcspeaker | command | bell | none
	Command []string `toml:"command"` // command: program and arguments; the pattern name is appended
	Device  string   `toml:"device"`  // pcspeaker: override the evdev/console device path
}
