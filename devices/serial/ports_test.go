package serial

import (
	"strings"
	"testing"

	"go.bug.st/serial/enumerator"

	"github.com/offcircd/offcircd/config"

	"github.com/offcircd/offcircd/devices"
)

func TestSerialListings(t *testing.T) {
	ports := []*enumerator.PortDetails{
		{Name: "/dev/ttyS0"},
		{Name: "/dev/ttyACM0", IsUSB: true, VID: "0C2E", PID: "0720", SerialNumber: "18012B4F32", Product: "Voyager 1250g"},
		{Name: "/dev/ttyUSB0", IsUSB: true, VID: "0403", PID: "6001", Product: "FT232R USB UART"},
		{Name: "/dev/ttyACM1", IsUSB: true, VID: "1eab", PID: "1d06"},
		{Name: "/dev/ttyACM2", IsUSB: true, VID: "1eab", PID: "1d06"},
	}
	ls := serialListings(ports)
	if len(ls) != len(ports) {
		t.Fatalf("%d listings for %d ports", len(ls), len(ports))
	}
	by := map[string]devices.Listing{}
	for _, l := range ls {
		if l.Kind != "serial" || l.Interface != -1 {
			t.Errorf("%s: kind %q interface %d", l.Name, l.Kind, l.Interface)
		}
		by[l.Name] = l
		// Every snippet is valid TOML that the config accepts as a scanner.
		scs, err := config.ParseScanners("snippet.toml", []byte(l.Snippet))
		if err != nil || len(scs) != 1 {
			t.Fatalf("%s: snippet does not parse (%v):\n%s", l.Name, err, l.Snippet)
		}
		sc := scs[0]
		sc.Name = "x"
		if _, err := NewSerial(sc, nil); err != nil {
			t.Errorf("%s: snippet rejected: %v\n%s", l.Name, err, l.Snippet)
		}
	}
	hw := by["/dev/ttyACM0"]
	if hw.VID != "0c2e" || hw.PID != "0720" || !hw.Likely || hw.Product != "Voyager 1250g" {
		t.Errorf("honeywell: %+v", hw)
	}
	for _, want := range []string{`vid        = "0c2e"`, `serial_number = "18012B4F32"`, `beep       = "honeywell"`, "# Honeywell/Metrologic Voyager 1250g"} {
		if !strings.Contains(hw.Snippet, want) {
			t.Errorf("honeywell snippet lacks %q:\n%s", want, hw.Snippet)
		}
	}
	if by["/dev/ttyUSB0"].Likely {
		t.Error("an FTDI converter is not a scanner maker")
	}
	if by["/dev/ttyS0"].VID != "" || !strings.Contains(by["/dev/ttyS0"].Snippet, `port       = "/dev/ttyS0"`) {
		t.Errorf("ttyS0: %+v", by["/dev/ttyS0"])
	}
	// Two identical scanners without serial numbers: only the port tells them apart.
	if s := by["/dev/ttyACM2"].Snippet; !strings.Contains(s, `port       = "/dev/ttyACM2"`) || strings.Contains(s, "vid") {
		t.Errorf("identical scanners need a port:\n%s", s)
	}
}
