//go:build !windows

package config

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// groupHasOthers tells whether the group of file has members other than
// root and this account on this machine.
func groupHasOthers(t *testing.T, file string) bool {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	euid := uint32(os.Geteuid())
	return len(groupOthers(fi.Sys().(*syscall.Stat_t).Gid, func(u uint32) bool { return u == 0 || u == euid })) > 0
}

func TestGroupOthers(t *testing.T) {
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd")
	group := filepath.Join(dir, "group")
	os.WriteFile(passwd, []byte(`root:x:0:0:root:/root:/bin/bash
# a comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
offcircd:x:999:999::/var/lib/offcircd:/usr/sbin/nologin
alice:x:1000:1000:Alice:/home/alice:/bin/bash
bob:x:1001:100:Bob:/home/bob:/bin/bash
broken line
`), 0o644)
	os.WriteFile(group, []byte(`root:x:0:
daemon:x:1:
users:x:100:
staff:x:50:alice,root
offcircd:x:999:
alice:x:1000:
dialout:x:20:offcircd,ghost
`), 0o644)
	trusted := func(euid uint32) func(uint32) bool {
		return func(u uint32) bool { return u == 0 || u == euid }
	}
	tests := []struct {
		name string
		gid  uint32
		euid uint32
		want []string
	}{
		{"root's group", 0, 0, nil},
		{"a primary group of another account", 1, 0, []string{"daemon"}},
		{"a primary group only", 100, 0, []string{"bob"}},
		{"listed members", 50, 0, []string{"alice"}},
		{"listed members, one of them running", 50, 1000, nil},
		{"a user-private group, its user running", 1000, 1000, nil},
		{"a user-private group, root running", 1000, 0, []string{"alice"}},
		{"a member without an account", 20, 999, []string{"ghost"}},
		{"a group not in the file", 4242, 0, []string{"not in " + group + ", members unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := groupOthersIn(passwd, group, tt.gid, trusted(tt.euid)); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
