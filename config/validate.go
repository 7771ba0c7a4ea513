package config

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// The allowed values of each enumerated key of config's own tables. The
// scanner types, their options and beep profiles are the transports'
// (ScannerTypes, ScannerOptions, ScannerBeeps).
var (
	BeeperTypes = []string{"pcspeaker", "command", "bell", "none"}

	modes     = []string{"loan", "return"}
	logLevels = []string{"debug", "info", "warn", "error"}
)

// Tone limits for [patterns]: what a PC speaker or piezo can play and a
// person can hear, and no tone long enough to block the next scan's beep.
const (
	minFreq, maxFreq = 20, 20000
	minMs, maxMs     = 1, 5000
	maxPause         = 5000
)

// Validate checks every key of an already decoded configuration and returns
// an *Errors with every problem, or nil. Warnings are stored in c.Warnings.
// Load calls it; call it yourself on a Default or Trial configuration you
// changed in code.
func (c *Config) Validate() error {
	_, err := c.finish(c.problems())
	return err
}

func (c *Config) problem(path, format string, a ...any) Problem {
	return Problem{File: c.Path, Line: c.line(path), Key: path, Msg: fmt.Sprintf(format, a...)}
}

func (c *Config) problems() []Problem {
	v := &validator{c: c}
	v.top()
	for i := range c.Scanners {
		v.scanner(i)
	}
	v.sharedDevices()
	v.keypad()
	for i := range c.Beepers {
		v.beeper(i)
	}
	v.patterns()
	return v.probs
}

type validator struct {
	c     *Config
	probs []Problem
}

func (v *validator) errorf(path, format string, a ...any) {
	v.probs = append(v.probs, v.c.problem(path, format, a...))
}

func (v *validator) warnf(path, format string, a ...any) {
	p := v.c.problem(path, format, a...)
	p.Warning = true
	v.probs = append(v.probs, p)
}

// oneOf checks an enumerated value; label prefixes the message.
func (v *validator) oneOf(path, label, key, val string, allowed []string) {
	if !slices.Contains(allowed, val) {
		v.errorf(path, "%s%s %q is not one of %s", label, key, val, strings.Join(allowed, " | "))
	}
}

func (v *validator) top() {
	c := v.c
	switch bad, ok := stationText(c.Station); {
	case c.Station == "":
		v.errorf("station", "station must not be empty (it names this station in logs, status and on the barcode sheet)")
	case !ok:
		v.errorf("station", "station %q has %q, which the barcode sheet cannot print: %s", c.Station, bad, stationAllowed)
	}
	v.storeKeys() // data_dir, colliding paths, write_timeout: see paths.go
	v.dir("state_dir", c.StateDir)
	switch {
	case c.FileName == "" || c.FileName == "." || c.FileName == "..":
		v.errorf("file_name", "file_name %q must name a file", c.FileName)
	case strings.ContainsAny(c.FileName, `/\`):
		v.errorf("file_name", "file_name %q must be a plain file name; put the folder in data_dir", c.FileName)
	}
	if _, err := parseFileMode(c.FileMode); err != nil {
		v.errorf("file_mode", "%v", err)
	}
	if _, err := c.Location(); err != nil {
		if c.Timezone == "" { // the local time: a TZ Go could not load
			v.errorf("timezone", "%v", strings.TrimPrefix(err.Error(), "config: "))
		} else {
			v.errorf("timezone", "timezone %q is not an IANA time zone name such as \"Europe/Berlin\"", c.Timezone)
		}
	}
	v.oneOf("default_mode", "", "default_mode", c.DefaultMode, modes)
	if c.ControlPrefix == "" || !printable(c.ControlPrefix, false) {
		v.errorf("control_prefix", "control_prefix %q must be non-empty printable ASCII without spaces (it starts a barcode)", c.ControlPrefix)
	}
	for _, k := range []struct{ key, re string }{{"patron_pattern", c.PatronPattern}, {"item_pattern", c.ItemPattern}} {
		if _, err := regexp.Compile(k.re); err != nil {
			v.errorf(k.key, "%s: bad regular expression: %v", k.key, unwrapRegexp(err))
		}
	}
	v.bounded("patron_timeout", c.PatronTimeout.Duration)
	v.bounded("double_read_window", c.DoubleReadWindow.Duration)
	v.bounded("undo_window", c.UndoWindow.Duration)
	v.bounded("hotplug_interval", c.HotplugInterval.Duration)
	v.bounded("alarm_interval", c.AlarmInterval.Duration)
	if c.MaxItemsPerPatron < 0 {
		v.errorf("max_items_per_patron", "max_items_per_patron must be 0 (no limit) or more, not %d", c.MaxItemsPerPatron)
	}
	v.oneOf("log_level", "", "log_level", c.LogLevel, logLevels)
	v.metrics()
	if c.LogFile != "" {
		if fi, err := os.Stat(c.LogFile); err == nil && fi.IsDir() {
			v.errorf("log_file", "log_file %s is a directory", c.LogFile)
		}
	}
}

// NoPatronPatternWarning is said by config check and run when a station
// that can lend has no patron_pattern (NoPatronPattern).
const NoPatronPatternWarning = "no patron_pattern: this station tells a patron's card from an item only by what its own files know and by the order of scans, so patrons must scan DONE between them; `offcircd learn` derives the patterns from a few cards and items"

// NoPatronPattern returns the warning for a station that can lend without
// a patron_pattern, with the line of the key when the file has one.
func (c *Config) NoPatronPattern() (Problem, bool) {
	if c.PatronPattern != "" || !c.CanLend() {
		return Problem{}, false
	}
	p := c.problem("patron_pattern", "%s", NoPatronPatternWarning)
	p.Warning = true
	return p, true
}

// CanLend reports whether some scanner can lend: one not pinned to
// return mode (or none configured: the console of a trial).
func (c *Config) CanLend() bool {
	if len(c.Scanners) == 0 {
		return true
	}
	return slices.ContainsFunc(c.Scanners, func(s Scanner) bool { return !strings.EqualFold(s.Mode, "return") })
}

// DurationBounds are the sane ranges of the durations and intervals, by
// key; `offcircd config` states them. Outside them a station misbehaves: an
// alarm_interval of 1ns burns a core while degraded, a patron_timeout of a
// week lends the next person's books to the last one.
var DurationBounds = map[string]struct{ Min, Max time.Duration }{
	"patron_timeout":     {time.Second, 24 * time.Hour},
	"double_read_window": {0, time.Minute},
	"undo_window":        {0, 24 * time.Hour},
	"hotplug_interval":   {100 * time.Millisecond, time.Hour},
	"alarm_interval":     {time.Second, time.Hour},
}

// bounded checks a duration against DurationBounds.
func (v *validator) bounded(path string, d time.Duration) {
	b := DurationBounds[lastKey(path)]
	v.within(path, d, b.Min, b.Max, "")
}

// within checks a duration against min..max; label prefixes the message
// (a scanner's name).
func (v *validator) within(path string, d, min, max time.Duration, label string) {
	if d >= min && d <= max {
		return
	}
	off := ""
	if min == 0 {
		off = "; 0s turns it off"
	}
	v.errorf(path, "%s%s %v is outside %s..%s%s", label, lastKey(path), d, FormatDuration(min), FormatDuration(max), off)
}

// FormatDuration writes d as a person would: "24h", "1m", "100ms".
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// dir checks a folder the daemon writes to. A missing one is created at
// start, so then the nearest existing parent must be writable; when it is
// not, this user may simply not be the service account, hence a warning.
func (v *validator) dir(path, dir string) {
	if dir == "" {
		v.errorf(path, "%s must not be empty", path)
		return
	}
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		v.errorf(path, "%s %s exists but is not a directory", path, dir)
	case err == nil:
		if werr := v.writable(dir); werr != nil {
			v.errorf(path, "%s %s is not writable: %v", path, dir, werr)
		}
	case errors.Is(err, fs.ErrNotExist):
		parent := existingParent(dir)
		if parent == "" {
			return
		}
		if pi, err := os.Stat(parent); err == nil && !pi.IsDir() {
			v.errorf(path, "%s %s cannot be created: %s is not a directory", path, dir, parent)
		} else if werr := v.writable(parent); werr != nil {
			v.warnf(path, "%s %s does not exist and this user cannot create it in %s (%v); the service account must be able to", path, dir, parent, werr)
		}
	default:
		v.errorf(path, "%s %s: %v", path, dir, unwrapPath(err))
	}
}

// existingParent returns the nearest ancestor of dir that exists.
func existingParent(dir string) string {
	for p := filepath.Dir(filepath.Clean(dir)); ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			return p
		} else if !errors.Is(err, fs.ErrNotExist) {
			return p
		}
		if next := filepath.Dir(p); next == p {
			return ""
		}
	}
}

func scannerLabel(i int, s Scanner) string {
	if s.Name != "" {
		return fmt.Sprintf("scanner %q: ", s.Name)
	}
	return fmt.Sprintf("scanner %d: ", i+1)
}

func (v *validator) scanner(i int) {
	s := v.c.Scanners[i]
	at := func(key string) string { return fmt.Sprintf("scanner[%d].%s", i, key) }
	table := fmt.Sprintf("scanner[%d]", i)
	label := scannerLabel(i, s)

	switch {
	case s.Name == "":
		v.errorf(at("name"), "%sname is required (it names the scanner in logs and status)", label)
	case !printable(s.Name, true):
		v.errorf(at("name"), "%sname must be ASCII letters, digits, spaces and punctuation", label)
	default:
		for j := range i {
			if v.c.Scanners[j].Name == s.Name {
				v.errorf(at("name"), "%sname is already used by scanner %d", label, j+1)
				break
			}
		}
	}
	typ, registered := LookupScannerType(s.Type)
	if s.Type == "" {
		v.errorf(table, "%stype is required: one of %s", label, strings.Join(ScannerTypes(), " | "))
	} else {
		v.oneOf(at("type"), label, "type", s.Type, ScannerTypes())
	}
	if s.Mode != "" {
		v.oneOf(at("mode"), label, "mode", s.Mode, modes)
	}
	if registered {
		opts := s.Options
		if opts == nil {
			opts = typ.Options() // a table made in code: its options are all unset
		}
		opts.Check(&Report{v: v, i: i, label: label, typ: s.Type})
	}

	profiles := BeepProfiles()
	if p := cmp.Or(s.Beep, DefaultBeep); !slices.Contains(profiles, p) {
		if _, err := ParseHex(s.Beep); err != nil {
			v.errorf(at("beep"), "%sbeep %q is neither a profile (%s) nor hex bytes", label, s.Beep, strings.Join(profiles, " | "))
		}
	} else if p != "none" && registered {
		// Each transport speaks its own command set: the serial profiles are
		// bytes on the line, HID POS beeps are output reports.
		takes := typ.Beeps
		switch {
		case len(takes) == 0:
			v.errorf(at("beep"), "%sa %s scanner cannot beep itself: use beep = \"none\" and a [[beeper]]", label, s.Type)
		case !slices.Contains(takes, p):
			other := "a profile of another scanner type"
			for t, ps := range ScannerBeeps() {
				if slices.Contains(ps, p) {
					other = "for " + t + " scanners"
				}
			}
			v.errorf(at("beep"), "%sbeep %q is %s; a %s scanner takes %s | none | hex bytes", label, p, other, s.Type, strings.Join(takes, " | "))
		}
	}
	for _, name := range sortedKeys(s.BeepBytes) {
		path := at("beep_bytes." + name)
		if !slices.Contains(Patterns, Pattern(name)) {
			v.errorf(path, "%sbeep_bytes: %q is not a pattern name (%s)", label, name, joinNames(Patterns, ", "))
		}
		if _, err := ParseHex(s.BeepBytes[name]); err != nil {
			v.errorf(path, "%sbeep_bytes.%s: %q is not hex bytes such as \"16 07 0D\"", label, name, s.BeepBytes[name])
		}
	}
}

func (v *validator) usbIDs(label string, at func(string) string, vid, pid string) {
	for _, id := range []struct{ key, val string }{{"vid", vid}, {"pid", pid}} {
		if id.val != "" && !isUSBID(id.val) {
			v.errorf(at(id.key), "%s%s %q must be 4 hex digits such as \"0c2e\"", label, id.key, id.val)
		}
	}
}

func (v *validator) keypad() {
	k := v.c.Keypad
	if k == nil {
		return
	}
	at := func(key string) string { return "keypad." + key }
	if k.VID == "" || k.PID == "" {
		v.errorf("keypad", "keypad: vid and pid are required (see `offcircd devices`)")
	}
	v.usbIDs("keypad: ", at, k.VID, k.PID)
	if k.Interface != nil && *k.Interface < 0 {
		v.errorf(at("interface"), "keypad: interface must be 0 or more")
	}
	if len(k.Keys) == 0 && !k.PatronEntry {
		v.errorf("keypad", "keypad: no keys bound; add keys = { KP_DIVIDE = \"loan\", ... }")
	}
	for _, name := range sortedKeys(k.Keys) {
		path := at("keys." + name)
		if _, ok := KeyUsages[name]; !ok {
			hint := ""
			if _, ok := KeyUsages[strings.ToUpper(name)]; ok {
				hint = fmt.Sprintf(" (key names are upper case: %q)", strings.ToUpper(name))
			}
			v.errorf(path, "keypad: unknown key %q%s; use names such as KP_0..KP_9, KP_ENTER, KP_PLUS, A..Z, F1..F12", name, hint)
		}
		if cmd := k.Keys[name]; !slices.Contains(Commands, Command(cmd)) {
			v.errorf(path, "keypad: key %s: command %q is not one of %s", name, cmd, joinNames(Commands, " | "))
		}
	}
}

func (v *validator) beeper(i int) {
	b := v.c.Beepers[i]
	at := func(key string) string { return fmt.Sprintf("beeper[%d].%s", i, key) }
	label := fmt.Sprintf("beeper %d: ", i+1)
	if b.Type == "" {
		v.errorf(fmt.Sprintf("beeper[%d]", i), "%stype is required: one of %s", label, strings.Join(BeeperTypes, " | "))
		return
	}
	v.oneOf(at("type"), label, "type", b.Type, BeeperTypes)
	switch {
	case b.Type != "command":
	case len(b.Command) == 0 || b.Command[0] == "":
		v.errorf(fmt.Sprintf("beeper[%d]", i), "%sa command beeper needs command = [\"program\", \"args\"...]", label)
	default:
		// What run would find at the first beep, found now.
		if _, err := exec.LookPath(b.Command[0]); err != nil {
			v.errorf(at("command"), "%scommand %q cannot be run: %v", label, b.Command[0], lookPathReason(err))
		}
	}
}

func (v *validator) patterns() {
	for _, name := range sortedKeys(v.c.Patterns) {
		path := "patterns." + name
		if !slices.Contains(Patterns, Pattern(name)) {
			v.errorf(path, "patterns: %q is not a pattern name (%s)", name, joinNames(Patterns, ", "))
			continue
		}
		for j, tone := range v.c.Patterns[name] {
			tp := fmt.Sprintf("%s[%d]", path, j)
			switch {
			case len(tone) != 2 && len(tone) != 3:
				v.errorf(tp, "patterns.%s: tone %d must be [frequency Hz, duration ms, pause ms] (pause optional), got %d numbers", name, j+1, len(tone))
			case tone[0] != 0 && (tone[0] < minFreq || tone[0] > maxFreq):
				v.errorf(tp, "patterns.%s: tone %d: frequency %d Hz is outside %d..%d (0 = a rest)", name, j+1, tone[0], minFreq, maxFreq)
			case tone[1] < minMs || tone[1] > maxMs:
				v.errorf(tp, "patterns.%s: tone %d: duration %d ms is outside %d..%d", name, j+1, tone[1], minMs, maxMs)
			case len(tone) == 3 && (tone[2] < 0 || tone[2] > maxPause):
				v.errorf(tp, "patterns.%s: tone %d: pause %d ms is outside 0..%d", name, j+1, tone[2], maxPause)
			}
		}
	}
}

// lookPathReason says why exec.LookPath refused a program, without
// repeating its name.
func lookPathReason(err error) string {
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return "not found in PATH (give the full path)"
	case errors.Is(err, fs.ErrPermission):
		return "not executable"
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err.Error()
	}
	return err.Error()
}

// stationAllowed says what stationText takes.
const stationAllowed = `use letters, digits, spaces and punctuation of Western European text (Windows-1252, e.g. "Zürich", "Bibliothèque Süd")`

// stationText reports whether s is fit for a station name, or the first
// character that is not. Beyond printable ASCII it takes the printable
// characters of Windows-1252, the code page of the PDF core fonts the
// barcode sheet is set in: a library names its station "Zürich" or
// "Bibliothèque", and the sheet would print any other character as a dot.
// Logs, status.json and the metrics labels carry UTF-8 as it is.
func stationText(s string) (bad rune, ok bool) {
	for _, r := range s {
		if r == ' ' || (r < utf8.RuneSelf && printable(string(r), false)) {
			continue
		}
		if r < utf8.RuneSelf || r == utf8.RuneError || !unicode.IsPrint(r) {
			return r, false
		}
		if _, ok := charmap.Windows1252.EncodeRune(r); !ok {
			return r, false
		}
	}
	return 0, true
}

// printable reports whether s is printable ASCII; space allowed or not.
func printable(s string, space bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7E {
			if !(space && c == ' ') {
				return false
			}
		}
	}
	return true
}

func lastKey(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// unwrapRegexp drops the "error parsing regexp: " prefix that repeats what
// the message already says.
func unwrapRegexp(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}
