package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrEmptyHex is returned by ParseHex for a string with no hex digits.
var ErrEmptyHex = errors.New("config: no hex bytes")

// ParseHex decodes a byte string written as hex, with or without spaces
// between the bytes ("16 07 0D" or "16070d"), any case. Scanner command
// strings in manuals are printed both ways.
func ParseHex(s string) ([]byte, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, ErrEmptyHex
	}
	var out []byte
	for _, f := range fields {
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("config: hex %q: odd number of digits in %q", s, f)
		}
		b, err := hex.DecodeString(f)
		if err != nil {
			return nil, fmt.Errorf("config: hex %q: %q is not hex", s, f)
		}
		out = append(out, b...)
	}
	return out, nil
}

// isUSBID reports whether s is a USB vendor or product id as lsusb prints it:
// exactly four hex digits.
func isUSBID(s string) bool {
	if len(s) != 4 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
