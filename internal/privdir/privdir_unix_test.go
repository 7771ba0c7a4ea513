//go:build !windows

package privdir

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The folders are created 0750 even under a umask of 0: other users can
// neither list nor enter them.
func TestMkdirAllMode(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	root := tempDir(t)
	dir := filepath.Join(root, "a", "b")
	if err := MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(root, "a"), dir} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o750 {
			t.Errorf("%s mode %04o, want 0750", d, m)
		}
	}
}
