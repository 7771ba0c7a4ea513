//go:build !windows

package status

import (
	"errors"
	"syscall"
)

// ProcessAlive reports whether a process with pid exists, so `offcircd
// status` can tell a running daemon from a status file a crash left behind.
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	// EPERM: it exists but belongs to another user (the service account).
	return err == nil || errors.Is(err, syscall.EPERM)
}
