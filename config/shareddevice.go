package config

import (
	"path/filepath"
	"strings"
)

// DeviceOptions is implemented by options that name the one device their
// transport opens (a serial port): Device returns it and the key that
// names it, "" when the device is found another way (by USB ids).
type DeviceOptions interface {
	Device() (key, path string)
}

// sharedDevices refuses two [[scanner]] tables on one device. Each would
// read it (root opens a serial port past the other's exclusive hold) and
// the scans are split between them: with one of them pinned to return, a
// patron's card became a return and a book the patron.
func (v *validator) sharedDevices() {
	first := map[string]int{}
	for i, sc := range v.c.Scanners {
		do, ok := sc.Options.(DeviceOptions)
		if !ok {
			continue
		}
		key, dev := do.Device()
		if dev == "" {
			continue
		}
		id := dev
		if r, err := filepath.EvalSymlinks(dev); err == nil { // /dev/serial/by-id links
			id = r
		}
		if j, ok := first[id]; ok {
			r := &Report{v: v, i: i, label: scannerLabel(i, sc), typ: sc.Type}
			r.Errorf(key, "%s %s is already %s's: two readers of one device split its scans between them", key, dev, strings.TrimSuffix(scannerLabel(j, v.c.Scanners[j]), ": "))
			continue
		}
		first[id] = i
	}
}
