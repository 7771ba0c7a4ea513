package serial

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"go.bug.st/serial/enumerator"

	"github.com/offcircd/offcircd/devices"
)

// Sentinel errors of serial port selection.
var (
	ErrPortNotFound  = errors.New("no matching serial port")
	ErrPortAmbiguous = errors.New("several serial ports match")
)

// scannerMakers are the USB vendor ids of barcode scanner makers (usb.ids).
// Converter chips (FTDI, CH340, Prolific) are left out on purpose: they
// say nothing about what is plugged into them.
var scannerMakers = map[string]string{
	"05e0": "Symbol/Zebra",
	"05f9": "Datalogic",
	"0c2e": "Honeywell/Metrologic",
	"1eab": "Newland",
	"067e": "Intermec",
	"065a": "Opticon",
	"1fbb": "Cino",
	"23d0": "Youjie",
}

// normHex lower-cases a USB id and drops a 0x prefix, so "0C2E", "0c2e"
// and "0x0c2e" compare equal (Windows and Linux report different cases).
func normHex(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.TrimPrefix(s, "0x")
}

// matchSerialPort picks the port for sc from list: by vid/pid (and
// serial_number when set). Several matches are an error rather than a
// guess, so two identical scanners never end up sharing one port.
func matchSerialPort(sc devices.USB, list []*enumerator.PortDetails) (string, error) {
	vid, pid := normHex(sc.VID), normHex(sc.PID)
	var names []string
	for _, p := range list {
		if p == nil || !p.IsUSB {
			continue
		}
		if normHex(p.VID) != vid || (pid != "" && normHex(p.PID) != pid) {
			continue
		}
		if sc.SerialNumber != "" && !strings.EqualFold(strings.TrimSpace(p.SerialNumber), strings.TrimSpace(sc.SerialNumber)) {
			continue
		}
		names = append(names, p.Name)
	}
	want := vid + ":" + pid
	if sc.SerialNumber != "" {
		want += " serial " + sc.SerialNumber
	}
	switch len(names) {
	case 0:
		return "", fmt.Errorf("serial: usb %s: %w", want, ErrPortNotFound)
	case 1:
		return names[0], nil
	}
	sort.Strings(names)
	return "", fmt.Errorf("serial: usb %s: %s: %w; set serial_number or port", want, strings.Join(names, ", "), ErrPortAmbiguous)
}

// ListSerial lists the serial ports of this machine for `offcircd devices`.
func ListSerial() ([]devices.Listing, error) {
	ports, err := systemPorts{}.List()
	if err != nil {
		return nil, fmt.Errorf("serial: listing ports: %w", err)
	}
	return serialListings(ports), nil
}

func serialListings(ports []*enumerator.PortDetails) []devices.Listing {
	// Count identical USB ids: when two scanners share vid:pid and have no
	// serial number, only the port name tells them apart.
	same := map[string]int{}
	for _, p := range ports {
		if p != nil && p.IsUSB {
			same[normHex(p.VID)+":"+normHex(p.PID)+":"+p.SerialNumber]++
		}
	}
	var out []devices.Listing
	for _, p := range ports {
		if p == nil {
			continue
		}
		l := devices.Listing{Kind: "serial", Name: p.Name, Interface: -1,
			SerialNumber: p.SerialNumber, Manufacturer: p.Manufacturer, Product: p.Product}
		if p.IsUSB {
			l.VID, l.PID = normHex(p.VID), normHex(p.PID)
			_, l.Likely = scannerMakers[l.VID]
		}
		unique := p.IsUSB && l.VID != "" && same[l.VID+":"+l.PID+":"+p.SerialNumber] == 1
		l.Snippet = serialSnippet(l, unique)
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// serialSnippet is a ready-to-paste [[scanner]] table. USB ids are
// preferred to the port name: ttyACM0 may be ttyACM1 after a replug.
func serialSnippet(l devices.Listing, unique bool) string {
	var b strings.Builder
	name := filepath.Base(l.Name)
	if maker, ok := scannerMakers[l.VID]; ok {
		b.WriteString("# " + maker)
		if l.Product != "" {
			b.WriteString(" " + l.Product)
		}
		b.WriteString("\n")
	} else if l.Product != "" {
		b.WriteString("# " + l.Product + "\n")
	}
	b.WriteString("[[scanner]]\n")
	fmt.Fprintf(&b, "name       = %q\n", name)
	b.WriteString("type       = \"serial\"\n")
	if unique {
		fmt.Fprintf(&b, "vid        = %q\n", l.VID)
		fmt.Fprintf(&b, "pid        = %q\n", l.PID)
		if l.SerialNumber != "" {
			fmt.Fprintf(&b, "serial_number = %q\n", l.SerialNumber)
		}
	} else {
		fmt.Fprintf(&b, "port       = %q\n", l.Name)
	}
	b.WriteString("baud       = 9600          # Cino/Newland CDC often 115200\n")
	b.WriteString("terminator = \"cr\"          # cr | lf | crlf | tab | idle\n")
	beep := "bel"
	switch l.VID {
	case "0c2e":
		beep = "honeywell"
	case "05f9":
		beep = "datalogic"
	}
	fmt.Fprintf(&b, "beep       = %q\n", beep)
	return b.String()
}
