//go:build !linux

package devices

import "errors"

// hidReportDescriptor is not available here: hidapi hands out no report
// descriptor on Windows and macOS; the usage page of the enumeration and
// the vendor id stand in for it (posLayoutFromDevice).
func hidReportDescriptor(string) ([]byte, error) {
	return nil, errors.New("hid: report descriptors are read on Linux only")
}
