//go:build !linux

package hid

import "errors"

// hidReportDescriptor is not available here: hidapi hands out no report
// descriptor on Windows and macOS; the usage page of the enumeration and
// the vendor id stand in for it (LayoutFromDevice).
func hidReportDescriptor(string) ([]byte, error) {
	return nil, errors.New("hid: report descriptors are read on Linux only")
}
