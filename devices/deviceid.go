package devices

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// DeviceID is what identifies a HID device's report format: recorded in a
// capture's header, so a replay decodes exactly as the live device did.
type DeviceID struct {
	VID, PID uint16
	// UsagePage is the top-level usage page where the OS reports it at
	// enumeration (Windows, macOS), 0 otherwise.
	UsagePage uint16
	// Descriptor is the interface's report descriptor, nil when it could
	// not be read (on Linux it is read from sysfs before the device is
	// opened; elsewhere hidapi does not hand it out).
	Descriptor []byte
}

// String is "vvvv:pppp".
func (id DeviceID) String() string { return fmt.Sprintf("%04x:%04x", id.VID, id.PID) }

// Equal reports whether a and b are the same device format.
func (id DeviceID) Equal(o DeviceID) bool {
	return id.VID == o.VID && id.PID == o.PID && id.UsagePage == o.UsagePage && bytes.Equal(id.Descriptor, o.Descriptor)
}

// ParseUSBID reads a 4-digit hex USB id, any case, optional 0x; what
// ("vid", "pid") names it in the error.
func ParseUSBID(what, s string) (uint16, error) {
	s = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "0x")
	if s == "" {
		return 0, fmt.Errorf("hid: %s is required", what)
	}
	v, err := strconv.ParseUint(s, 16, 16)
	if err != nil {
		return 0, fmt.Errorf("hid: %s %q is not a 4-digit hex USB id", what, s)
	}
	return uint16(v), nil
}
