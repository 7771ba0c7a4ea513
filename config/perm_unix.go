//go:build !windows

package config

import (
	"fmt"
	"os"
	"path/filepath"
)

// CheckPermissions refuses a config file that anyone on the machine could
// change: the service runs as root or a device-owning account and takes
// commands (beeper command lines, file locations) from it. A world-writable
// file, or a file in a world-writable folder without the sticky bit (where
// anyone may replace it), is an error.
func CheckPermissions(path string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if fi.Mode().Perm()&0o002 != 0 {
		return fmt.Errorf("config: %s is world-writable (mode %04o): anyone could make the service run their commands; fix with: chmod o-w %s",
			path, fi.Mode().Perm(), real)
	}
	dir := filepath.Dir(real)
	di, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if di.Mode().Perm()&0o002 != 0 && di.Mode()&os.ModeSticky == 0 {
		return fmt.Errorf("config: %s is in %s, which is world-writable without the sticky bit: anyone could replace it; move the file or fix with: chmod o-w %s",
			path, dir, dir)
	}
	return nil
}
