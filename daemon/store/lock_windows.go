//go:build windows

package store

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// lockOffsetHigh places the one locked byte far beyond any real end of
// file (offset 2^62). Windows byte-range locks are mandatory: locking byte
// 0, as most libraries do, would make every reader of the data file (Alma's
// upload, Explorer, a second `offcircd status`) fail while a record is
// written. A lock beyond the end blocks only other lockers.
const lockOffsetHigh = 1 << 30

// lockFile takes an exclusive lock (LockFileEx) on f; see the Unix version.
// Windows releases it when the handle closes or the process ends.
func lockFile(f *os.File, wait bool) error {
	flags := uint32(windows.LOCKFILE_EXCLUSIVE_LOCK)
	if !wait {
		flags |= windows.LOCKFILE_FAIL_IMMEDIATELY
	}
	ol := &windows.Overlapped{OffsetHigh: lockOffsetHigh}
	err := windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, ol)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION), errors.Is(err, windows.ERROR_IO_PENDING):
		return errLockBusy
	}
	return fmt.Errorf("LockFileEx %s: %w", f.Name(), err)
}
