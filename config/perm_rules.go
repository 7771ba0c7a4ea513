package config

import (
	"fmt"
	"io/fs"
	"strings"
)

// This file decides, from the owners and modes of the names the kernel
// passes through to reach a config file, whether someone other than root
// and the account running offcircd could change what it reads. It has no
// system calls so that its rules are tested on every platform;
// perm_unix.go reads the real entries. dacl.go is the Windows form.

// pathEntry is one name on the way to the config file: "/", each folder,
// each symbolic link and the file itself, as lstat sees it.
type pathEntry struct {
	path     string
	uid, gid uint32
	mode     fs.FileMode
	acl      bool // an extended POSIX ACL: named users or groups may have rights the mode does not show
}

// permRules is who is trusted.
type permRules struct {
	euid uint32 // the account running offcircd; root (0) is always trusted
	// groupOthers names the members of group gid other than root and
	// euid; a group whose members cannot be listed gives a non-empty
	// answer.
	groupOthers func(gid uint32) []string
	// name and group turn a uid or gid into "name (uid N)" or "name
	// (gid N)" for messages.
	name, group func(id uint32) string
}

func (r permRules) trusted(uid uint32) bool { return uid == 0 || uid == r.euid }

// check returns why the config file reached through entries (in the order
// the kernel walks them, the file last) could be changed by someone else,
// or nil. shown is the path as the user gave it.
//
// Every entry must be owned by root or the running account: an owner may
// always chmod, rename or replace what it owns. Folders and the file must
// not be writable by anyone else, through the world bits, a group with
// other members or an ACL; a folder with the sticky bit (/tmp) is the
// exception, since there only an entry's owner may rename or delete it,
// and the next entry's owner is checked in turn. A symbolic link's own mode
// means nothing; its owner and its folder do.
func (r permRules) check(shown string, entries []pathEntry) error {
	fix := "root"
	if r.euid != 0 {
		fix = r.name(r.euid)
	}
	for i, e := range entries {
		last := i == len(entries)-1
		if !r.trusted(e.uid) {
			who := "is in " + e.path + ", which is owned by " + r.name(e.uid)
			switch {
			case last:
				who = "is owned by " + r.name(e.uid)
			case e.mode&fs.ModeSymlink != 0:
				who = "is reached through the symbolic link " + e.path + ", which is owned by " + r.name(e.uid)
			}
			return fmt.Errorf("config: %s %s, not by root or the account running offcircd (%s): that account could make the service run its commands; fix with: chown root: %s",
				shown, who, fix, e.path)
		}
		if e.mode&fs.ModeSymlink != 0 {
			continue
		}
		if last && !e.mode.IsRegular() {
			// Load refuses it too; its mode says nothing of who may
			// change what it gives (chmod o-w /dev/zero is no advice).
			return fmt.Errorf("config: %s is not a regular file (%s)", shown, fileKind(e.mode))
		}
		var writers []string
		var chmod string
		if e.mode&0o002 != 0 {
			writers = append(writers, "world-writable")
			chmod = "o-w"
		}
		if e.mode&0o020 != 0 {
			if others := r.groupOthers(e.gid); len(others) > 0 {
				writers = append(writers, fmt.Sprintf("writable by group %s (%s)", r.group(e.gid), strings.Join(others, ", ")))
				chmod = strings.TrimPrefix(chmod+",g-w", ",")
			} else if e.acl {
				writers = append(writers, "writable through its ACL (see getfacl)")
				chmod = strings.TrimPrefix(chmod+",g-w", ",")
			}
		}
		if len(writers) == 0 {
			continue
		}
		how := strings.Join(writers, " and ")
		if last {
			return fmt.Errorf("config: %s is %s (mode %04o): anyone could make the service run their commands; fix with: chmod %s %s",
				shown, how, e.mode.Perm(), chmod, e.path)
		}
		if e.mode.IsDir() && e.mode&fs.ModeSticky != 0 {
			continue
		}
		return fmt.Errorf("config: %s is in %s, which is %s without the sticky bit: anyone could replace it; move the file or fix with: chmod %s %s",
			shown, e.path, how, chmod, e.path)
	}
	return nil
}
