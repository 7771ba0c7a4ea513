//go:build !offcircd_nofsync

package store

import "os"

// syncFile makes f's written bytes durable. Every fsync of the store goes
// through here so that one build tag can take them all away: the power-cut
// test (e2e) builds a daemon with the tag offcircd_nofsync and must then see
// acknowledged records lost, which proves that it can fail.
func syncFile(f *os.File) error {
	if fsyncTrace != nil {
		fsyncTrace(f)
	}
	return f.Sync()
}

// fsyncTrace, set only by tests (before a store is opened, cleared after),
// sees every fsync the store makes, with the file as it is synced: the
// unit tests' proof that no fsync can be deleted unnoticed.
var fsyncTrace func(f *os.File)

// fsyncSkipped tells whether this build skips fsync (only the negative
// control of the power-cut test does).
const fsyncSkipped = false
