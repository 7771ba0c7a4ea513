package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOpenLogRotates writes 5 MB through a rotating log of 1 MB with 2
// backups: the folder must end with the current file and at most two old
// ones, none over the limit, the newest lines in the current file.
func TestOpenLogRotates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "offcircd.log")
	w, err := openLog(path, true, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 1023) + "\n")
	for i := 0; i < 5*1024; i++ {
		if _, err := w.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Write([]byte("last line\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var files []string
	// Old files are removed in the background after a rotation.
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, _ = filepath.Glob(filepath.Join(dir, "*"))
		if len(files) <= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(files) != 3 {
		t.Fatalf("after 5 MB through a 1 MB log with 2 backups the folder holds %d files, want 3: %v", len(files), files)
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > 1<<20 {
			t.Errorf("%s is %d bytes, over the 1 MB limit", f, st.Size())
		}
	}
	cur, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(cur, []byte("last line\n")) {
		t.Errorf("the newest line is not at the end of %s", path)
	}
}

// TestOpenLogPlain: without rotation the file only grows; a missing folder
// is created (as data_dir and state_dir are), and an unwritable path fails
// at open, not at the first line.
func TestOpenLogPlain(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "offcircd.log")
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o640)
	for _, rotate := range []bool{false, true} {
		if _, err := openLog(filepath.Join(notDir, "x.log"), rotate, 1, 1); err == nil {
			t.Errorf("rotate=%v: opening a log below a file succeeded", rotate)
		}
		missing := filepath.Join(dir, fmt.Sprintf("logs-%v", rotate), "sub", "x.log")
		w, err := openLog(missing, rotate, 1, 1)
		if err != nil {
			t.Fatalf("rotate=%v: a log in a missing folder: %v", rotate, err)
		}
		w.Close()
		if _, err := os.Stat(missing); err != nil {
			t.Errorf("rotate=%v: %v", rotate, err)
		}
		os.RemoveAll(filepath.Dir(filepath.Dir(missing)))
	}
	w, err := openLog(path, false, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("y", 1023) + "\n")
	for i := 0; i < 2*1024; i++ {
		w.Write(line)
	}
	w.Close()
	if st, _ := os.Stat(path); st == nil || st.Size() != 2<<20 {
		t.Errorf("plain log is %v bytes, want %d", st.Size(), 2<<20)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 1 {
		t.Errorf("plain log rotated: %v", m)
	}
}
