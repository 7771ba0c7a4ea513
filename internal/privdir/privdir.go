// Package privdir creates the station's folders so that only the station
// and the machine's administrators can reach what is written in them: the
// data file, the spool and the status hold patron IDs, which are personal
// data (SPEC §4: files created with owner/group-only permissions).
//
// On Unix that is the mode 0750 (files inside are created 0640 by their
// writers). On Windows a new folder inherits its parent's ACL, and the ACL
// of a drive's root lets every signed-in user (Authenticated Users) modify
// what is created below it; so the topmost folder MkdirAll creates gets a
// protected ACL of its own, inherited by everything created in it. A folder
// that already exists is left as it is: it may be the Offline Circulation
// Utility's, whose users keep their access.
package privdir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// MkdirAll creates dir and any missing parents like os.MkdirAll, and makes
// the topmost folder it creates private to the station's account and the
// administrators (see the package comment). Nothing is changed when dir
// already exists.
func MkdirAll(dir string) error {
	top := firstMissing(dir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if top == "" {
		return nil
	}
	return restrict(top)
}

// firstMissing is the topmost folder of dir's path that does not exist,
// "" when dir exists or when a folder of its path cannot be looked at (then
// MkdirAll reports what is wrong in its own words, and nothing that may
// exist is changed).
func firstMissing(dir string) string {
	top := ""
	for p := filepath.Clean(dir); ; {
		_, err := os.Stat(p)
		switch {
		case err == nil:
			return top
		case !errors.Is(err, fs.ErrNotExist):
			return ""
		}
		top = p
		parent := filepath.Dir(p)
		if parent == p {
			return top
		}
		p = parent
	}
}
