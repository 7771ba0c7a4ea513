//go:build offcircd_nofsync

package store

import "os"

// syncFile does nothing in this build: it exists only for the negative
// control of the power-cut test (e2e), which must observe lost records.
// Never ship a binary built with the offcircd_nofsync tag.
func syncFile(*os.File) error { return nil }

// fsyncSkipped tells whether this build skips fsync.
const fsyncSkipped = true
