//go:build linux

package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Start like you run: a data_dir on a read-only file system is a warning
// (the station starts and spools), a state_dir there an error. Works as
// root, for whom mode bits would not make a folder unwritable.
func TestReadOnlyFoldersAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a read-only tmpfs")
	}
	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount tmpfs: %v", err)
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	os.Mkdir(filepath.Join(mnt, "files"), 0o750)
	if err := unix.Mount("", mnt, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount read-only: %v", err)
	}
	base := t.TempDir()
	c, err := Parse(filepath.Join(base, "t.toml"), []byte("data_dir = '"+filepath.Join(mnt, "files")+"'\nstate_dir = 'state'\n"))
	if err != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Msg, "spooled") {
		t.Fatalf("read-only data_dir: err %v, warnings %v (want a warning only)", err, c.Warnings)
	}
	if _, err := Parse(filepath.Join(base, "t.toml"), []byte("data_dir = 'files'\nstate_dir = '"+filepath.Join(mnt, "files")+"'\n")); err == nil || !strings.Contains(err.Error(), "t.toml:2: state_dir") {
		t.Fatalf("read-only state_dir: %v, want an error", err)
	}
	if _, err := LoadForReading(writeFile(t, base, "r.toml", "data_dir = 'files'\nstate_dir = '"+filepath.Join(mnt, "files")+"'\n")); err != nil {
		t.Fatalf("LoadForReading with a read-only state_dir: %v", err)
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
