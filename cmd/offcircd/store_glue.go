package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

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

// readScanners prepares a command that reads the configured scanners
// itself (capture, monitor): the station's lock for as long as it runs
// (holdScanners) and a warn-level log on standard error. done releases
// both.
func readScanners(cmd *cobra.Command, cfg *config.Config, what string) (log *slog.Logger, done func(), err error) {
	release, err := holdScanners(cfg, what)
	if err != nil {
		return nil, nil, err
	}
	log, closeLog, err := newLogger(cmd.ErrOrStderr(), "text", "warn", "")
	if err != nil {
		release()
		return nil, nil, err
	}
	return log, func() { closeLog(); release() }, nil
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
