package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/status"
	"github.com/offcircd/offcircd/daemon/store"
)

// exitInstanceRunning is `offcircd run`'s exit code when another offcircd
// already runs with the same state_dir (it holds the station's lock).
const exitInstanceRunning = 4

// lockStation takes cfg's state directory for this process's whole run.
// A second instance gets an exit error naming the first one.
func lockStation(cfg *config.Config) (*store.StateLock, error) {
	l, err := store.LockState(cfg.StateDir, store.Owner{PID: os.Getpid(), Since: time.Now(), Config: cfg.Path})
	if errors.Is(err, store.ErrInstanceRunning) {
		return nil, &exitError{code: exitInstanceRunning, err: err}
	}
	return l, err
}

// holdScanners takes the station's state lock for a command that reads
// the configured scanners itself (capture, monitor, learn at the desk), for
// as long as it runs. While the station runs, what such a command read
// would reach neither the station nor the data file, with no beep at all:
// root opens a serial port past the station's exclusive hold, and the two
// readers split the scans between them. A user who may not take the lock
// is not refused here: the devices' own exclusive hold refuses that user's
// second reader.
func holdScanners(cfg *config.Config, what string) (release func(), err error) {
	l, err := store.LockState(cfg.StateDir, store.Owner{PID: os.Getpid(), Since: time.Now(), Config: cfg.Path})
	switch {
	case errors.Is(err, store.ErrInstanceRunning):
		return nil, &exitError{code: exitInstanceRunning,
			err: fmt.Errorf("%s: the station is running and reads these scanners: scans read here would never be recorded nor beeped: %w", what, err)}
	case err != nil:
		return func() {}, nil
	}
	return func() { l.Close() }, nil
}

// describeSpool says what the spool and the alarm mean for staff.
func describeSpool(s *status.Status) string {
	spool := fmt.Sprintf("%d waiting", s.SpoolDepth)
	switch {
	case s.NotStored:
		spool += " — NOTHING CAN BE STORED: scans are refused (not-stored); make the data folder or state_dir writable"
	case s.Degraded && s.SpoolDepth > 0:
		spool += " — THE DATA FILE CANNOT BE WRITTEN; records are safe in the spool"
	case s.Degraded && len(s.DamagedSpool) == 0:
		spool += " — THE DATA FILE CANNOT BE WRITTEN; the next records go to the spool"
	}
	return spool
}
