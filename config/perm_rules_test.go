package config

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

func TestPermRules(t *testing.T) {
	const (
		dir    = fs.ModeDir | 0o755
		sticky = fs.ModeDir | fs.ModeSticky | 0o777
		link   = fs.ModeSymlink | 0o777
	)
	ent := func(path string, uid, gid uint32, mode fs.FileMode) pathEntry {
		return pathEntry{path: path, uid: uid, gid: gid, mode: mode}
	}
	root := ent("/", 0, 0, dir)
	etc := ent("/etc", 0, 0, dir)
	file := ent("/etc/offcircd.toml", 0, 0, 0o644)
	withACL := file
	withACL.mode, withACL.acl = 0o664, true
	tests := []struct {
		name    string
		euid    uint32
		entries []pathEntry
		msg     string // "" = accepted
	}{
		{"root's file in root's folders", 0, []pathEntry{root, etc, file}, ""},
		{"world-writable file", 0, []pathEntry{root, etc, ent("/etc/offcircd.toml", 0, 0, 0o666)},
			"is world-writable (mode 0666): anyone could make the service run their commands; fix with: chmod o-w /etc/offcircd.toml"},
		{"world-writable folder", 0, []pathEntry{root, ent("/etc", 0, 0, fs.ModeDir|0o777), file},
			"is in /etc, which is world-writable without the sticky bit"},
		{"world-writable grandparent", 0, []pathEntry{root, ent("/srv", 0, 0, fs.ModeDir|0o777), ent("/srv/etc", 0, 0, dir), ent("/srv/etc/offcircd.toml", 0, 0, 0o644)},
			"is in /srv, which is world-writable without the sticky bit: anyone could replace it; move the file or fix with: chmod o-w /srv"},
		{"world-writable root", 0, []pathEntry{ent("/", 0, 0, fs.ModeDir|0o777), etc, file}, "is in /, which is world-writable"},
		{"sticky /tmp, root's folder in it", 0, []pathEntry{root, ent("/tmp", 0, 0, sticky), ent("/tmp/t", 0, 0, fs.ModeDir|0o700), ent("/tmp/t/offcircd.toml", 0, 0, 0o600)}, ""},
		{"sticky /tmp, someone else's folder in it", 0, []pathEntry{root, ent("/tmp", 0, 0, sticky), ent("/tmp/t", 1001, 1001, fs.ModeDir|0o700), ent("/tmp/t/offcircd.toml", 0, 0, 0o600)},
			"is in /tmp/t, which is owned by user1001 (uid 1001), not by root or the account running offcircd (root)"},
		{"sticky folder owned by someone else", 0, []pathEntry{root, ent("/tmp", 1001, 0, sticky), ent("/tmp/t", 0, 0, dir), file},
			"is in /tmp, which is owned by user1001"},
		{"root runs a user's file", 0, []pathEntry{root, etc, ent("/etc/offcircd.toml", 1000, 1000, 0o644)},
			"is owned by user1000 (uid 1000), not by root or the account running offcircd (root): that account could make the service run its commands; fix with: chown root: /etc/offcircd.toml"},
		{"a user runs their own file", 1000, []pathEntry{root, ent("/home", 0, 0, dir), ent("/home/u", 1000, 1000, fs.ModeDir|0o700), ent("/home/u/offcircd.toml", 1000, 1000, 0o600)}, ""},
		{"a user runs root's file", 1000, []pathEntry{root, etc, file}, ""},
		{"a user runs another user's file", 1000, []pathEntry{root, etc, ent("/etc/offcircd.toml", 1001, 1001, 0o644)},
			"is owned by user1001 (uid 1001), not by root or the account running offcircd (user1000 (uid 1000))"},
		{"root's file in a user's folder", 0, []pathEntry{root, ent("/etc", 1000, 1000, dir), file}, "is in /etc, which is owned by user1000"},
		{"group-writable, group of root alone", 0, []pathEntry{root, etc, ent("/etc/offcircd.toml", 0, 0, 0o664)}, ""},
		{"group-writable file, group with others", 0, []pathEntry{root, etc, ent("/etc/offcircd.toml", 0, 50, 0o664)},
			"is writable by group staff (gid 50) (alice) (mode 0664): anyone could make the service run their commands; fix with: chmod g-w /etc/offcircd.toml"},
		{"group-writable grandparent", 0, []pathEntry{root, ent("/usr", 0, 0, dir), ent("/usr/local", 0, 50, fs.ModeDir|0o775), ent("/usr/local/etc", 0, 0, dir), ent("/usr/local/etc/offcircd.toml", 0, 0, 0o644)},
			"is in /usr/local, which is writable by group staff (gid 50) (alice) without the sticky bit"},
		{"world- and group-writable folder", 0, []pathEntry{root, ent("/etc", 0, 50, fs.ModeDir|0o777), file},
			"which is world-writable and writable by group staff (gid 50) (alice) without the sticky bit: anyone could replace it; move the file or fix with: chmod o-w,g-w /etc"},
		{"ACL on the file", 0, []pathEntry{root, etc, withACL}, "is writable through its ACL (see getfacl) (mode 0664)"},
		{"ACL without write in its mask", 0, []pathEntry{root, etc, {path: "/etc/offcircd.toml", mode: 0o644, acl: true}}, ""},
		{"a symbolic link someone else owns", 0, []pathEntry{root, etc, ent("/etc/offcircd.toml", 1001, 0, link), ent("/srv", 0, 0, dir), ent("/srv/offcircd.toml", 0, 0, 0o644)},
			"is reached through the symbolic link /etc/offcircd.toml, which is owned by user1001"},
		{"a device", 0, []pathEntry{root, ent("/dev", 0, 0, dir), ent("/dev/zero", 0, 0, fs.ModeDevice|fs.ModeCharDevice|0o666)},
			"config: /etc/offcircd.toml is not a regular file (a character device)"},
		{"root's symbolic link: its mode means nothing", 0, []pathEntry{root, etc, ent("/etc/offcircd.toml", 0, 0, link), ent("/srv", 0, 0, dir), ent("/srv/offcircd.toml", 0, 0, 0o644)}, ""},
		{"a symbolic link to a world-writable folder", 0, []pathEntry{root, etc, ent("/etc/offcircd.toml", 0, 0, link), ent("/srv", 0, 0, fs.ModeDir|0o777), ent("/srv/offcircd.toml", 0, 0, 0o644)},
			"is in /srv, which is world-writable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := permRules{
				euid:  tt.euid,
				name:  func(uid uint32) string { return fmt.Sprintf("user%d (uid %d)", uid, uid) },
				group: func(gid uint32) string { return fmt.Sprintf("staff (gid %d)", gid) },
			}
			r.groupOthers = func(gid uint32) []string {
				if gid == 50 {
					return []string{"alice"}
				}
				return nil
			}
			err := r.check("/etc/offcircd.toml", tt.entries)
			if tt.msg == "" && err != nil {
				t.Errorf("refused: %v", err)
			}
			if tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg)) {
				t.Errorf("error %v\nwant %q", err, tt.msg)
			}
		})
	}
}
