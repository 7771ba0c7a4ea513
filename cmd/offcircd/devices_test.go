package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/devices"
)

func TestWriteDevices(t *testing.T) {
	ls := []devices.Listing{
		{Kind: "serial", Name: "/dev/ttyS0", Interface: -1, Snippet: "[[scanner]]\nport = \"/dev/ttyS0\"\n"},
		{Kind: "serial", Name: "/dev/ttyACM0", VID: "0c2e", PID: "0720", SerialNumber: "18012B4F32",
			Manufacturer: "Honeywell", Product: "Voyager 1250g", Interface: -1, Likely: true,
			Snippet: "[[scanner]]\nvid = \"0c2e\"\n"},
		{Kind: "hid", Name: "1-1.2:1.0", VID: "0c2e", PID: "0b81", Interface: 0, Likely: true},
	}
	var b bytes.Buffer
	writeDevices(&b, ls, true)
	out := b.String()
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "KIND") {
		t.Fatalf("no header:\n%s", out)
	}
	// Likely scanners first, in listing order.
	if !strings.HasPrefix(lines[1], "serial  /dev/ttyACM0") || !strings.HasPrefix(lines[2], "hid") || !strings.HasPrefix(lines[3], "serial  /dev/ttyS0") {
		t.Fatalf("order:\n%s", out)
	}
	for _, want := range []string{"0c2e:0720", "18012B4F32", "Honeywell Voyager 1250g", "likely",
		"# serial /dev/ttyACM0\n[[scanner]]\nvid = \"0c2e\"\n", "# serial /dev/ttyS0\n[[scanner]]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(lines[2], " 0 ") || !strings.Contains(lines[3], "-") {
		t.Errorf("interface column:\n%s", out)
	}

	b.Reset()
	writeDevices(&b, nil, true)
	if !strings.Contains(b.String(), "no serial ports or HID devices found") {
		t.Errorf("empty listing: %q", b.String())
	}

	b.Reset()
	if err := writeDevicesJSON(&b, ls); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || len(got) != 3 {
		t.Fatalf("json: %v\n%s", err, b.String())
	}
	if got[1]["vid"] != "0c2e" || got[1]["likely_scanner"] != true || got[0]["interface"] != nil || got[2]["interface"] != float64(0) {
		t.Errorf("json fields: %v", got)
	}
}

// TestDevicesCommand runs the real binary: whatever this machine has
// attached, it lists and exits 0.
func TestDevicesCommand(t *testing.T) {
	bin := offcircdBinary(t)
	for _, args := range [][]string{{"devices"}, {"devices", "--json"}, {"devices", "--snippets=false"}} {
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\nstderr: %s", args, err, stderr.String())
		}
		out := stdout.String()
		switch {
		case args[len(args)-1] == "--json":
			var v []map[string]any
			if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
				t.Fatalf("--json output: %v\n%s", err, out)
			}
		case !strings.HasPrefix(out, "KIND") && !strings.HasPrefix(out, "no serial ports"):
			t.Fatalf("%v: unexpected output:\n%s", args, out)
		}
	}
	if err := exec.Command(bin, "devices", "extra").Run(); err == nil {
		t.Fatal("devices with an argument should fail")
	} else if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("devices extra: %v, want exit 2", err)
	}
}
