package privdir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFirstMissing(t *testing.T) {
	root := tempDir(t)
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ dir, want string }{
		{root, ""},
		{filepath.Join(root, "a"), filepath.Join(root, "a")},
		{filepath.Join(root, "a", "b", "c"), filepath.Join(root, "a")},
		{filepath.Join(root, "a", "b", "..", "c"), filepath.Join(root, "a")},
	} {
		if got := firstMissing(tt.dir); got != tt.want {
			t.Errorf("firstMissing(%s) = %q, want %q", tt.dir, got, tt.want)
		}
	}
}

func TestMkdirAllCreatesNested(t *testing.T) {
	dir := filepath.Join(tempDir(t), "a", "b")
	if err := MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("%s not created: %v", dir, err)
	}
	// A second call on the existing folder succeeds and changes nothing.
	if err := MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
}

func TestMkdirAllFileInTheWay(t *testing.T) {
	file := filepath.Join(tempDir(t), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := MkdirAll(filepath.Join(file, "sub")); err == nil {
		t.Fatal("MkdirAll under a file succeeded")
	}
}

// tempDir is a fresh folder, removed at the end as far as the platform
// lets (Go's own TempDir cleanup fails under Wine: unlinkat "Invalid
// function").
func tempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "privdir-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}
