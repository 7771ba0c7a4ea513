//go:build !windows

package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/offcircd/offcircd/daemon/status"
)

// Patron IDs are personal data: whatever the station creates (folders and
// their parents, the data file, the archive, the spool) is closed to other
// users of the machine, even when it was started under a umask of 000.
func TestCreatedFilesPrivateUnderUmask0(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "offcircd.toml")
	body := `station   = "perm-desk"
data_dir  = "site/OffCirc/files"
state_dir = "var/offcircd"
default_mode = "loan"
patron_pattern = '^P[0-9]+$'

[[scanner]]
name = "desk"
type = "console"
`
	if err := os.WriteFile(cfg, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Join(dir, "var", "offcircd")
	st := &liveStation{logs: &syncBuffer{}, statusPath: filepath.Join(stateDir, status.FileName)}
	st.cmd = exec.Command("/bin/sh", "-c", `umask 000 && exec "$0" run --config "$1"`, offcircdBinary(t), cfg)
	var err error
	if st.stdin, err = st.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	st.cmd.Stderr = st.logs
	if err := st.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.cmd.Process.Kill(); st.cmd.Wait() })
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.State == status.Running })
	fmt.Fprintf(st.stdin, "P12345678\n39000001\n")
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.RecordsTotal == 1 })
	if out, errb, code := runOffcircd(t, dir, "", "archive", "--config", cfg); code != 0 {
		t.Fatalf("archive: exit %d\n%s%s", code, out, errb)
	}
	fmt.Fprintf(st.stdin, "39000002\n")
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.RecordsTotal == 2 })
	st.stop(t)

	seen := 0
	for _, top := range []string{filepath.Join(dir, "site"), filepath.Join(dir, "var")} {
		filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Error(err)
				return nil
			}
			fi, err := os.Lstat(p)
			if err != nil {
				t.Error(err)
				return nil
			}
			seen++
			m, limit := fi.Mode().Perm(), fs.FileMode(0o640)
			switch {
			case d.IsDir():
				limit = 0o750
			case d.Name() == status.FileName || d.Name() == "offcircd.lock":
				// No patron data in them (the status masks every ID), and
				// their folder is closed to others anyway.
				limit = 0o644
			}
			if m&^limit != 0 {
				t.Errorf("%s has mode %04o: want at most %04o", p, m, limit)
			}
			return nil
		})
	}
	if seen < 6 {
		t.Errorf("only %d paths created under %s", seen, dir)
	}
}
