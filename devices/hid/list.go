package hid

import (
	"fmt"
	"sort"
	"strings"

	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
)

// `offcircd devices` lists HID interfaces next to serial ports, marking the
// ones made by scanner vendors and offering a [[scanner]] table to paste.

// hidScannerVendors are USB vendor ids of barcode scanner makers (HARDWARE.md).
var hidScannerVendors = map[uint16]string{
	0x05e0: "Symbol/Zebra", 0x05f9: "Datalogic", 0x0c2e: "Honeywell/Metrologic", 0x1eab: "Newland",
	0x067e: "Intermec", 0x065a: "Opticon", 0x1fbb: "Cino", 0x23d0: "Youjie",
}

// hidKnownModes are product ids whose interface mode is known (HARDWARE.md).
var hidKnownModes = map[[2]uint16]string{
	{0x05e0, 0x1200}: "hid-keyboard", {0x05f9, 0x2206}: "hid-keyboard", {0x0c2e, 0x0204}: "hid-keyboard",
	{0x067e, 0x0801}: "hid-keyboard", {0x065a, 0x0001}: "hid-keyboard",
}

// hidGuessType says which scanner type fits a HID interface: its report
// descriptor (Linux), the usage page where the OS reports it (Windows,
// macOS), else known product ids.
func hidGuessType(i hidInfo, desc []byte) string {
	if t := decode.ReportKind(desc); t != "" {
		return t
	}
	switch {
	case i.UsagePage == 0x8C:
		return "hid-pos"
	case i.UsagePage == 0x01 && i.Usage == 0x06:
		return "hid-keyboard"
	}
	if t, ok := hidKnownModes[[2]uint16{i.VID, i.PID}]; ok {
		return t
	}
	if i.VID == 0x1eab {
		switch i.PID & 0xff {
		case 0x10:
			return "hid-pos"
		case 0x03:
			return "hid-keyboard"
		}
	}
	return ""
}

func listHID(b hidBackend, goos string) ([]devices.Listing, error) {
	if !b.Supported() {
		return nil, ErrHIDNeedsCgo
	}
	infos, err := b.Enumerate(0, 0)
	if err != nil {
		return nil, fmt.Errorf("hid: enumerate: %w", err)
	}
	sort.Slice(infos, func(a, c int) bool { return infos[a].Path < infos[c].Path })
	out := make([]devices.Listing, 0, len(infos))
	for n, i := range infos {
		_, likely := hidScannerVendors[i.VID]
		desc, _ := b.Descriptor(i)
		out = append(out, devices.Listing{
			Kind: "hid", Name: i.Path,
			VID: fmt.Sprintf("%04x", i.VID), PID: fmt.Sprintf("%04x", i.PID),
			SerialNumber: i.Serial, Manufacturer: i.Manufacturer, Product: i.Product,
			Interface: i.Interface, Likely: likely,
			Snippet: hidSnippet(i, fmt.Sprintf("hid-%d", n+1), goos, desc),
		})
	}
	return out, nil
}

// hidSnippet is a ready-to-paste [[scanner]] table for one interface,
// given its report descriptor (nil if unknown). A HID POS scanner whose
// layout the device tells gets none (offcircd reads it the same way at
// run time); one whose layout cannot be told gets an empty pos_layout to
// fill in, which offcircd refuses until it is.
func hidSnippet(i hidInfo, name, goos string, desc []byte) string {
	typ := hidGuessType(i, desc)
	var b strings.Builder
	b.WriteString("[[scanner]]\n")
	fmt.Fprintf(&b, "name          = %q\n", name)
	switch typ {
	case "hid-pos":
		b.WriteString("type          = \"hid-pos\"\n")
		id := devices.DeviceID{VID: i.VID, PID: i.PID, UsagePage: i.UsagePage, Descriptor: desc}
		if l, err := decode.LayoutFromDevice(id); err == nil {
			b.WriteString("# pos_layout  = \"" + l + "\"   # read from the device; set it only to override\n")
		} else {
			b.WriteString("pos_layout    = \"\"              # not told by the device: " + strings.Join(decode.POSLayouts(), ", ") + " (see the scanner's manual)\n")
		}
	case "hid-keyboard":
		if goos == "windows" {
			b.WriteString("# keyboard mode cannot be read by a Windows service: program the scanner\n# for HID POS or USB-COM mode first\n")
		} else {
			b.WriteString("# offcircd takes the scanner over: while it runs, scans no longer type into the console\n")
		}
		b.WriteString("type          = \"hid-keyboard\"\nlayout        = \"us\"            # the keyboard country programmed into the scanner\n")
	default:
		b.WriteString("type          = \"hid-pos\"       # or \"hid-keyboard\" if the scanner is in keyboard mode\n")
		b.WriteString("pos_layout    = \"\"              # for hid-pos: " + strings.Join(decode.POSLayouts(), ", ") + " (see the scanner's manual)\n")
	}
	fmt.Fprintf(&b, "vid           = \"%04x\"\npid           = \"%04x\"\n", i.VID, i.PID)
	if i.Serial != "" {
		fmt.Fprintf(&b, "serial_number = %q\n", i.Serial)
	}
	fmt.Fprintf(&b, "interface     = %d\n", i.Interface)
	return b.String()
}
