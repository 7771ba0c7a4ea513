package hid

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/devices/internal/devtest"
)

// TestHIDSysfsDescriptor: the report descriptor is read from the sysfs
// interface directory named by hidapi's libusb path, as Linux lays it out
// (/sys/bus/usb/devices/1-2:1.0/0003:0C2E:0B87.0004/report_descriptor).
func TestHIDSysfsDescriptor(t *testing.T) {
	root := t.TempDir()
	old := hidSysfsRoot
	hidSysfsRoot = root
	t.Cleanup(func() { hidSysfsRoot = old })
	dir := filepath.Join(root, "1-2:1.0", "0003:0C2E:0B87.0004")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report_descriptor"), devtest.HoneywellDescriptor, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := hidReportDescriptor("1-2:1.0")
	if err != nil || !bytes.Equal(got, devtest.HoneywellDescriptor) {
		t.Fatalf("%x, %v", got, err)
	}
	for _, p := range []string{"1-3:1.0", "../../etc:1.0", "1-2:1.0/..", ""} {
		if _, err := hidReportDescriptor(p); err == nil || !strings.Contains(err.Error(), "report descriptor") {
			t.Errorf("%q: %v, want an error", p, err)
		}
	}
}
