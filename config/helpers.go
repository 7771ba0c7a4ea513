package config

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	// IANA zone names must work on Windows, which has no zoneinfo database.
	_ "time/tzdata"
)

// Location returns the time zone records are stamped in: the configured IANA
// zone, or the system's local time when timezone is "". When the local time
// comes from a TZ environment variable Go could not load, the error says so
// (see LocalZoneError); time.Local is returned with it, so a caller that only
// shows times never gets nil.
func (c *Config) Location() (*time.Location, error) {
	if c.Timezone == "" {
		tz, set := os.LookupEnv("TZ")
		if err := LocalZoneError(tz, set, time.Local.String()); err != nil {
			return time.Local, fmt.Errorf("config: %w", err)
		}
		return time.Local, nil
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return nil, fmt.Errorf("config: timezone %q: %w", c.Timezone, err)
	}
	return loc, nil
}

// Mode returns file_mode as permission bits for new data, spool and side
// files; an invalid value (which Validate rejects) falls back to 0640 so a
// mistake never widens access.
func (c *Config) Mode() os.FileMode {
	m, err := parseFileMode(c.FileMode)
	if err != nil {
		return 0o640
	}
	return m
}

// DataPath is the data file the station appends to: data_dir/file_name.
func (c *Config) DataPath() string {
	return filepath.Join(c.DataDir, c.FileName)
}

// SlogLevel returns log_level as a slog level (info when unset or invalid).
func (c *Config) SlogLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// parseFileMode parses an octal mode string and refuses modes that would let
// other users read patron IDs or that the daemon itself could not append to.
func parseFileMode(s string) (os.FileMode, error) {
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || s == "" {
		return 0, fmt.Errorf("file_mode %q is not an octal mode such as \"0640\"", s)
	}
	m := os.FileMode(v)
	switch {
	case m&^0o777 != 0:
		return 0, fmt.Errorf("file_mode %q: only permission bits (at most 0777) are allowed", s)
	case m&0o007 != 0:
		return 0, fmt.Errorf("file_mode %q gives other users access to patron IDs; use \"0640\" or \"0600\"", s)
	case m&0o600 != 0o600:
		return 0, fmt.Errorf("file_mode %q: the owner needs read and write (0600 at least)", s)
	}
	return m, nil
}

// LocalZoneError reports a TZ environment variable (tz, when set) that Go
// could not load: Go then silently makes time.Local UTC, and every record
// would be stamped in UTC instead of the library's local time, a wrong
// line. local is time.Local's name, which Go sets to "UTC" only when it
// fell back (or TZ asks for UTC). Unset (/etc/localtime), "" (UTC, as in
// C), "UTC", a zone name or file Go loaded are fine.
func LocalZoneError(tz string, set bool, local string) error {
	name := strings.TrimPrefix(tz, ":")
	if !set || name == "" || name == "UTC" || local != "UTC" {
		return nil
	}
	return fmt.Errorf("the TZ environment variable is %q, which is no time zone this system knows, so local time would silently be UTC and every record stamped wrongly: fix TZ (unset it, or give an IANA name such as \"Europe/Berlin\"), or set timezone in the configuration", tz)
}
