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
}

// Scanner is one [[scanner]] table.
type Scanner struct {
	Name string `toml:"name"`
	Type string `toml:"type"` // serial | hid-pos | hid-keyboard | console | replay
	Mode string `toml:"mode"` // "" follows the station; loan | return pins this scanner
	Beep string `toml:"beep"` // none | bel | honeywell | zebra-ssi | datalogic | hid-pos | hex bytes
	// BeepBytes gives raw hex bytes per pattern name for scanners with their own command set.
	BeepBytes map[string]string `toml:"beep_bytes"`

	// USB selection (serial and HID).
	Port         string `toml:"port"`
	VID          string `toml:"vid"`
	PID          string `toml:"pid"`
	SerialNumber string `toml:"serial_number"`
	Interface    *int   `toml:"interface"`

	// Serial line settings.
	Baud     int    `toml:"baud"`
	DataBits int    `toml:"data_bits"`
	Parity   string `toml:"parity"`    // none | odd | even | mark | space
	StopBits string `toml:"stop_bits"` // 1 | 1.5 | 2

	// Framing (serial, and replay with decoder = "serial").
	Terminator   string   `toml:"terminator"`    // cr | lf | crlf | tab | idle
	IdleGap      Duration `toml:"idle_gap"`      // idle framing: silence that ends a code
	FrameTimeout Duration `toml:"frame_timeout"` // a partial code older than this is dropped
	MaxLength    int      `toml:"max_length"`    // longest accepted code
	AIM          string   `toml:"aim"`           // strip | keep: AIM symbology identifier handling
	AddOn        string   `toml:"addon"`         // main | keep | reject: EAN/UPC add-on handling

	// HID.
	Layout    string `toml:"layout"`     // hid-keyboard: us | uk | de | fr
	ReportID  bool   `toml:"report_id"`  // hid-keyboard: reports carry a leading report id byte
	POSLayout string `toml:"pos_layout"` // hid-pos: honeywell | newland | generic; "" = read from the device

	// Replay.
	Decoder string  `toml:"decoder"` // serial | hid-pos | hid-keyboard
	File    string  `toml:"file"`    // capture file (SPEC §7)
	Speed   float64 `toml:"speed"`   // replay speed factor; 0 = as recorded
	// RecordedTime stamps replayed scans with the capture's "# start:" time
	// plus each chunk's offset instead of the current time, so a replay
	// reproduces the original records byte for byte.
	RecordedTime bool `toml:"recorded_time"`
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
