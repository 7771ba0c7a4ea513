package hid

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/offcircd/offcircd/devices/decode"
)

// hidSysfsRoot is where Linux lists USB interfaces; a variable for tests.
var hidSysfsRoot = "/sys/bus/usb/devices"

// hidapiPath is the libusb backend's device path: bus-port[.port...]:config.interface,
// which is also the interface's name in sysfs.
var hidapiPath = regexp.MustCompile(`^[0-9]{1,3}-[0-9]{1,3}(\.[0-9]{1,3}){0,6}:[0-9]{1,3}\.[0-9]{1,3}$`)

// hidReportDescriptor reads an interface's report descriptor from sysfs,
// where the kernel's usbhid driver publishes it while it is bound: that is
// before karalabe/hid opens the device (opening detaches the driver).
func hidReportDescriptor(path string) ([]byte, error) {
	if !hidapiPath.MatchString(path) {
		return nil, fmt.Errorf("hid: report descriptor: device path %q is not a USB interface path", path)
	}
	files, err := filepath.Glob(filepath.Join(hidSysfsRoot, path, "*:*:*.*", "report_descriptor"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("hid: report descriptor: none under %s (the kernel's usbhid driver is not bound to the interface, or another program holds it)", filepath.Join(hidSysfsRoot, path))
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		return nil, fmt.Errorf("hid: report descriptor: %w", err)
	}
	if len(b) > decode.MaxDescriptor {
		b = b[:decode.MaxDescriptor+1] // parseHIDDescriptor refuses it by length
	}
	return b, nil
}
