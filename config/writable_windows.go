//go:build windows

package config

import "os"

// writable probes dir by creating and removing a temporary file: Windows
// ACLs cannot be judged from mode bits.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".offcircd-probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
