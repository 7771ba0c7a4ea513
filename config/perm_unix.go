//go:build !windows

package config

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// CheckPermissions refuses a config file that anyone but root or the
// account running offcircd could change: the service runs as root or a
// device-owning account and takes commands (beeper command lines, file
// locations) from it. The file, every folder above it and every symbolic
// link on the way must be owned by root or this account and writable by
// nobody else, except through a sticky folder such as /tmp (permRules.check
// has the rules).
func CheckPermissions(path string) error {
	entries, err := walkPath(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	euid := uint32(os.Geteuid())
	r := permRules{euid: euid, name: accountName, group: groupName}
	r.groupOthers = func(gid uint32) []string { return groupOthers(gid, r.trusted) }
	return r.check(path, entries)
}

// maxLinks is how many symbolic links walkPath follows, as Linux's MAXSYMLINKS.
const maxLinks = 40

// walkPath follows path one name at a time, as the kernel does, and returns
// every entry it passes through: "/", each folder, each symbolic link (then
// the names of its target) and the file it ends at. Whoever can change any
// of them can change what offcircd reads.
func walkPath(path string) ([]pathEntry, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	root, err := lstatEntry("/")
	if err != nil {
		return nil, err
	}
	entries := []pathEntry{root}
	todo := strings.Split(abs, "/")
	cur, links := "/", 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			// cur has no links in it: its parent was walked through already.
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, name)
		e, err := lstatEntry(next)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
		if e.mode&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return nil, fmt.Errorf("%s: too many symbolic links", path)
		}
		target, err := os.Readlink(next)
		if err != nil {
			return nil, err
		}
		if filepath.IsAbs(target) {
			cur = "/"
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	return entries, nil
}

func lstatEntry(path string) (pathEntry, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return pathEntry{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return pathEntry{}, fmt.Errorf("%s: no owner information", path)
	}
	return pathEntry{path: path, uid: st.Uid, gid: st.Gid, mode: fi.Mode(), acl: hasACL(path)}, nil
}

// accountName is "name (uid N)", or "uid N" for an account without a name.
func accountName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil {
		return u.Username + " (uid " + id + ")"
	}
	return "uid " + id
}

// groupName is "name (gid N)", or "gid N" for a group without a name.
func groupName(gid uint32) string {
	id := strconv.FormatUint(uint64(gid), 10)
	if g, err := user.LookupGroupId(id); err == nil {
		return g.Name + " (gid " + id + ")"
	}
	return "gid " + id
}

// groupOthers lists the accounts in group gid that trusted refuses: the
// group's members in /etc/group and the accounts whose primary group it is
// in /etc/passwd. A group /etc/group does not have (one from a directory
// service) cannot be listed and counts as having others.
func groupOthers(gid uint32, trusted func(uint32) bool) []string {
	return groupOthersIn("/etc/passwd", "/etc/group", gid, trusted)
}

// groupOthersIn is groupOthers with the account files named.
func groupOthersIn(passwd, group string, gid uint32, trusted func(uint32) bool) []string {
	uids := map[string]uint32{}
	var others []string
	err := eachLine(passwd, func(f []string) {
		if len(f) < 4 {
			return
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		g, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			return
		}
		uids[f[0]] = uint32(uid)
		if uint32(g) == gid && !trusted(uint32(uid)) {
			others = append(others, f[0])
		}
	})
	if err != nil {
		return []string{"members unknown: " + err.Error()}
	}
	found := false
	err = eachLine(group, func(f []string) {
		if len(f) < 4 {
			return
		}
		if g, err := strconv.ParseUint(f[2], 10, 32); err != nil || uint32(g) != gid {
			return
		}
		found = true
		for _, m := range strings.Split(f[3], ",") {
			if m == "" {
				continue
			}
			if uid, ok := uids[m]; !ok || !trusted(uid) {
				others = append(others, m)
			}
		}
	})
	switch {
	case err != nil:
		return []string{"members unknown: " + err.Error()}
	case !found:
		return []string{"not in " + group + ", members unknown"}
	}
	slices.Sort(others)
	return slices.Compact(others)
}

// eachLine calls fn with the colon-separated fields of each line of file.
func eachLine(file string, fn func([]string)) error {
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			fn(strings.Split(l, ":"))
		}
	}
	return sc.Err()
}
