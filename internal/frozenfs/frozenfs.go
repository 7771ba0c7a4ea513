// Package frozenfs gives tests a real file system that stops answering: a
// small ext4 image on a loop device, frozen with fsfreeze(8), which makes
// the kernel hold every write to it as a network share that went away does.
// It needs root, mkfs.ext4 and fsfreeze; without them tests skip with the
// reason.
package frozenfs

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Mount makes and mounts a 32 MiB ext4 image for the test and returns the
// mount point; it is thawed and unmounted at the end of the test.
func Mount(t testing.TB) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to loop-mount ext4 and fsfreeze it (CI runs as root)")
	}
	for _, tool := range []string{"mkfs.ext4", "fsfreeze", "mount", "umount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (e2fsprogs, util-linux): %v", tool, err)
		}
	}
	img := filepath.Join(t.TempDir(), "ext4.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 32<<20); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput(); err != nil {
		t.Skipf("mkfs.ext4: %v: %s", err, out)
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-o", "loop", img, mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot loop-mount ext4 here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		exec.Command("fsfreeze", "-u", mnt).Run()
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	return mnt
}

// Freeze freezes (on) or thaws the file system mounted at mnt.
func Freeze(t testing.TB, mnt string, on bool) {
	t.Helper()
	flag := "-u"
	if on {
		flag = "-f"
	}
	if out, err := exec.Command("fsfreeze", flag, mnt).CombinedOutput(); err != nil {
		t.Fatalf("fsfreeze %s %s: %v: %s", flag, mnt, err, out)
	}
}
