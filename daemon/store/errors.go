package store

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. The failure classes (ErrDiskFull … ErrLocked) are wrapped
// into write errors next to the OS error so callers and logs can name the
// cause without parsing strings.
var (
	// ErrUndoRefused is wrapped by every Undo refusal, with the reason.
	ErrUndoRefused = errors.New("undo refused")
	// ErrNotStored means a record is durable nowhere: neither the data file
	// nor the spool could be written. The scan must not be acknowledged.
	ErrNotStored = errors.New("record not stored")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("store closed")
	// ErrNothingToArchive means Archive found no data file (or an empty one).
	ErrNothingToArchive = errors.New("no data file to archive")
	// errLockBusy: another open file holds the lock (lockFile without wait).
	errLockBusy = errors.New("locked by another process")

	ErrDiskFull      = errors.New("disk full")                                                                // ENOSPC, EDQUOT, ERROR_DISK_FULL
	ErrReadOnly      = errors.New("read-only file system")                                                    // EROFS, ERROR_WRITE_PROTECT
	ErrPermission    = errors.New("permission denied")                                                        // EACCES, EPERM, ERROR_ACCESS_DENIED
	ErrFolderMissing = errors.New("folder missing")                                                           // ENOENT on create, ERROR_PATH_NOT_FOUND
	ErrLocked        = errors.New("file locked by another program")                                           // Windows sharing/lock violations
	ErrSymlink       = errors.New("is a symbolic link; offcircd never follows links for the files it writes") // ELOOP from O_NOFOLLOW
	ErrHung          = errors.New("data file write did not return in time (hung share?)")
)

// classify returns the failure class of an OS error, or nil when it is none
// of the known ones (it is still treated as a write failure: any error means
// the record is not in the data file).
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrSymlink):
		return ErrSymlink
	case errors.Is(err, ErrHung):
		return ErrHung
	}
	return classifyPlatform(err)
}

// wrapClass formats a store error for op, naming its class when known.
func wrapClass(op string, err error) error {
	if c := classify(err); c != nil && !strings.Contains(err.Error(), c.Error()) {
		return fmt.Errorf("store: %s: %w: %w", op, c, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// refuse builds an Undo refusal.
func refuse(format string, a ...any) error {
	return fmt.Errorf("store: %w: %s", ErrUndoRefused, fmt.Sprintf(format, a...))
}
