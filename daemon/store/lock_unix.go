//go:build !windows

package store

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive advisory lock on the open file f: flock(2),
// which NFS (as a whole-file POSIX lock) and SMB mounts pass on to the
// server, so two stations on one share exclude each other too. With wait
// false it fails at once with errLockBusy when another open file holds it.
// The kernel drops the lock when the last descriptor closes or the process
// dies, so a killed station never leaves a lock behind.
func lockFile(f *os.File, wait bool) error {
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	for {
		err := unix.Flock(int(f.Fd()), how)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return errLockBusy
		}
		return fmt.Errorf("flock %s: %w", f.Name(), err)
	}
}
