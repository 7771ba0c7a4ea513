package decode

import (
	"errors"
	"fmt"
	"slices"

	"github.com/offcircd/offcircd/devices"
)

// With no pos_layout configured, a hid-pos scanner's report layout comes
// from the device itself: its report descriptor says where the decoded
// data, the AIM identifier and the "more follows" flag sit, and its vendor
// id names the layout when the descriptor declares the data with vendor
// usages. A device whose layout cannot be told is refused: decoding it by a
// guess writes wrong barcodes (the `generic` layout drops the last three
// characters of every Honeywell code and never joins continued reports).

// ErrPOSLayoutUnknown is returned for a hid-pos device without pos_layout
// whose report layout cannot be determined from the device.
var ErrPOSLayoutUnknown = errors.New("hid-pos: cannot tell the report layout")

// posVendorLayouts are the layouts scanner makers document for all their
// HID POS products (HARDWARE.md).
var posVendorLayouts = map[uint16]string{0x0c2e: "honeywell", 0x1eab: "newland"}

// HID POS usages (page 0x8C).
const (
	posUsageSym1      = 0x8C00FB
	posUsageData      = 0x8C00FE
	posUsageContinued = 0x8C00FF
	hidPageBarcode    = 0x8C
	hidUsageKeyboard  = 0x010006
)

// LayoutFromDevice returns the pos_layout name for a device, or an
// ErrPOSLayoutUnknown error that says why it cannot be told.
func LayoutFromDevice(id devices.DeviceID) (string, error) {
	unknown := func(format string, a ...any) error {
		return fmt.Errorf("%w of device %s: %s", ErrPOSLayoutUnknown, id, fmt.Sprintf(format, a...))
	}
	if len(id.Descriptor) == 0 {
		// Without a descriptor only the OS's usage page can say this is a
		// HID POS interface; the vendor then names its documented layout.
		if l, ok := posVendorLayouts[id.VID]; ok && id.UsagePage == hidPageBarcode {
			return l, nil
		}
		return "", unknown("its report descriptor could not be read")
	}
	d, err := parseHIDDescriptor(id.Descriptor)
	if err != nil {
		return "", unknown("%v", err)
	}
	if !d.hasApp(hidPageBarcode) {
		for _, a := range d.apps {
			if a == hidUsageKeyboard {
				return "", unknown("it is a keyboard (a scanner in keyboard mode): use type = \"hid-keyboard\"")
			}
		}
		return "", unknown("its report descriptor declares no HID POS bar code scanner (usage page 0x8C)")
	}
	if data, ok := d.find(posUsageData); ok {
		return posLayoutByShape(d, data, id)
	}
	// The scanner collection is there but its data has vendor usages: the
	// maker's documented layout, if the report has that layout's size.
	if l, ok := posVendorLayouts[id.VID]; ok {
		if n, ok := d.reportBytes(2); ok && n == 64 {
			return l, nil
		}
	}
	return "", unknown("its report descriptor declares no Decoded Data field (usage 0x8C 0xFE) and the vendor's layout is not known")
}

// posLayoutByShape matches where the descriptor puts the decoded data
// against the layouts offcircd knows.
func posLayoutByShape(d *hidDescriptor, data hidPos, id devices.DeviceID) (string, error) {
	at := func(u uint32) int {
		p, ok := d.find(u)
		if !ok || p.reportID != data.reportID {
			return -1
		}
		return p.bit
	}
	size, _ := d.reportBytes(data.reportID)
	switch {
	case data.reportID == 2 && size == 64 && data.bit == 5*8 && data.bits == 56*8 &&
		at(posUsageSym1) == 2*8 && at(posUsageContinued) == 63*8:
		return "honeywell", nil
	case data.reportID == 2 && data.bit == 2*8 && id.VID == 0x1eab:
		return "newland", nil
	case data.bit == 2*8 && len(d.inputBits) == 1 && posHasByteField(d, data.reportID, 1):
		// One input report, a length byte at [1], the data from [2].
		return "generic", nil
	}
	return "", fmt.Errorf("%w of device %s: its decoded data sits at bit %d of input report %d, which is no layout offcircd knows",
		ErrPOSLayoutUnknown, id, data.bit, data.reportID)
}

// posHasByteField reports whether report id has an 8-bit data field at byte n.
func posHasByteField(d *hidDescriptor, id uint8, n int) bool {
	for _, f := range d.inputs {
		off := f.bitOff
		if d.numbered {
			off += 8
		}
		if f.reportID == id && !f.constant && f.size == 8 && off <= n*8 && n*8 < off+f.size*f.count {
			return true
		}
	}
	return false
}

// ReportKind says which scanner type a report descriptor declares:
// "hid-pos" for a bar code scanner application (page 0x8C), "hid-keyboard"
// for a keyboard, "" when it declares neither or cannot be parsed.
func ReportKind(desc []byte) string {
	d, err := parseHIDDescriptor(desc)
	switch {
	case err != nil:
		return ""
	case d.hasApp(hidPageBarcode):
		return "hid-pos"
	case slices.Contains(d.apps, hidUsageKeyboard):
		return "hid-keyboard"
	}
	return ""
}
