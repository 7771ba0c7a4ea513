package devices

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/offcircd/offcircd/config"
)

// USB selects a USB device by its ids, and by serial number and interface
// where several identical devices are plugged in: the [[scanner]] keys of
// the transports that find their device on the bus.
type USB struct {
	VID          string `toml:"vid"`
	PID          string `toml:"pid"`
	SerialNumber string `toml:"serial_number"`
	Interface    *int   `toml:"interface"`
}

// Check reports ids that are not 4 hex digits and a negative interface.
func (u USB) Check(r *config.Report) {
	r.USBIDs(u.VID, u.PID)
	if u.Interface != nil && *u.Interface < 0 {
		r.Errorf("interface", "interface must be 0 or more")
	}
}

// Defaults lower-cases the ids (Windows and Linux print them in different cases).
func (u *USB) Defaults() { u.VID, u.PID = strings.ToLower(u.VID), strings.ToLower(u.PID) }

// USBIDs returns the vid and pid, for code that looks at any scanner's device.
func (u USB) USBIDs() (vid, pid string) { return u.VID, u.PID }

// Where tells where a scanner's device is: the port path its options name
// (serial) and its USB ids, "" for what its type has none of.
func Where(sc config.Scanner) (port, vid, pid string) {
	if p, ok := sc.Options.(interface{ PortName() string }); ok {
		port = p.PortName()
	}
	if u, ok := sc.Options.(interface{ USBIDs() (string, string) }); ok {
		vid, pid = u.USBIDs()
	}
	return port, vid, pid
}

// Register makes a scanner type available in one call: config learns its
// name, options type and beep profiles (config.RegisterScannerType), and
// NewSource builds its source with f. A transport's Register function calls
// it; devices/all calls those.
func Register(t config.ScannerType, f SourceFactory) {
	config.RegisterScannerType(t)
	RegisterSource(t.Name, f)
}

// OptionsOf returns the options of sc as the transport's options type O (a
// pointer to T): the decoded ones, or unset ones for a table built in code
// without them.
func OptionsOf[T any, O interface {
	*T
	config.ScannerOptions
}](sc config.Scanner) (O, error) {
	if sc.Options == nil {
		return O(new(T)), nil
	}
	o, ok := sc.Options.(O)
	if !ok {
		return nil, fmt.Errorf("devices: scanner %q: options of a %T, want %T", sc.Name, sc.Options, O(nil))
	}
	return o, nil
}

// logFor is the child logger of one scanner.
func logFor(log *slog.Logger, sc config.Scanner) *slog.Logger {
	return log.With("scanner", sc.Name, "type", sc.Type)
}
