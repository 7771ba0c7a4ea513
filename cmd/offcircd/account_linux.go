package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
)

// deviceNodeProblems checks that this process may open the device nodes of
// the configured scanners and keypad: serial ports (named, or found by USB
// ids) and, for HID, the USB device node libusb opens. Run by config check
// --service-account as the service account, it finds the scanner the
// service could never open, before the service starts and fails in a
// loop. A device that is not plugged in cannot be checked and is skipped.
func deviceNodeProblems(c *config.Config) []config.Problem {
	var probs []config.Problem
	check := func(path, label, node, why string) {
		if err := unix.Access(node, unix.R_OK|unix.W_OK); err != nil {
			probs = append(probs, config.Problem{File: c.Path, Line: c.Line(path), Key: path,
				Msg: fmt.Sprintf("%s%s (%s): this account cannot open it (%v); give it the device's group (ls -l %s), or install contrib/udev/60-offcircd.rules", label, node, why, err, node)})
		}
	}
	for i, sc := range c.Scanners {
		at := fmt.Sprintf("scanner[%d]", i)
		label := fmt.Sprintf("scanner %q: ", sc.Name)
		port, vid, pid := devices.Where(sc)
		switch sc.Type {
		case "serial":
			if port != "" {
				if strings.HasPrefix(port, "/dev/") {
					check(at+".port", label, port, "its port")
				}
				continue
			}
			for _, node := range ttyNodes(vid, pid) {
				check(at+".vid", label, node, "found by vid/pid")
			}
		case "hid-pos", "hid-keyboard":
			for _, node := range usbNodes(vid, pid) {
				check(at+".vid", label, node, "its USB device")
			}
		}
	}
	if k := c.Keypad; k != nil {
		for _, node := range usbNodes(k.VID, k.PID) {
			check("keypad.vid", "keypad: ", node, "its USB device")
		}
	}
	return probs
}

// sysfsRoot is where the kernel's device tree is mounted.
const sysfsRoot = "/sys"

// usbIDsOf walks up from a sysfs device folder to the USB device that
// holds it and returns its ids.
func usbIDsOf(dir string) (vid, pid string, ok bool) {
	for range 6 {
		v, err1 := os.ReadFile(filepath.Join(dir, "idVendor"))
		p, err2 := os.ReadFile(filepath.Join(dir, "idProduct"))
		if err1 == nil && err2 == nil {
			return strings.TrimSpace(string(v)), strings.TrimSpace(string(p)), true
		}
		dir = filepath.Dir(dir)
	}
	return "", "", false
}

// ttyNodes returns the /dev nodes of the serial ports of USB device vid:pid.
func ttyNodes(vid, pid string) []string {
	var nodes []string
	ttys, _ := filepath.Glob(filepath.Join(sysfsRoot, "class", "tty", "*", "device"))
	for _, d := range ttys {
		real, err := filepath.EvalSymlinks(d)
		if err != nil {
			continue
		}
		if v, p, ok := usbIDsOf(real); ok && strings.EqualFold(v, vid) && strings.EqualFold(p, pid) {
			nodes = append(nodes, "/dev/"+filepath.Base(filepath.Dir(d)))
		}
	}
	return nodes
}

// usbNodes returns the /dev/bus/usb nodes of the USB devices vid:pid.
func usbNodes(vid, pid string) []string {
	var nodes []string
	devs, _ := filepath.Glob(filepath.Join(sysfsRoot, "bus", "usb", "devices", "*"))
	for _, d := range devs {
		v, err1 := os.ReadFile(filepath.Join(d, "idVendor"))
		p, err2 := os.ReadFile(filepath.Join(d, "idProduct"))
		if err1 != nil || err2 != nil || !strings.EqualFold(strings.TrimSpace(string(v)), vid) || !strings.EqualFold(strings.TrimSpace(string(p)), pid) {
			continue
		}
		bus, err1 := readInt(filepath.Join(d, "busnum"))
		dev, err2 := readInt(filepath.Join(d, "devnum"))
		if err1 == nil && err2 == nil {
			nodes = append(nodes, fmt.Sprintf("/dev/bus/usb/%03d/%03d", bus, dev))
		}
	}
	return nodes
}

func readInt(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}
