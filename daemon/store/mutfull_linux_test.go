package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fillUp writes dir's file system full (a real tmpfs from mountTmpfs) and
// returns the filler file, whose removal frees the space again.
func fillUp(t *testing.T, dir string) string {
	t.Helper()
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	for { // the last partial page too
		if _, err := f.Write(buf[:1]); err != nil {
			break
		}
	}
	return filler
}

// A damaged spool line is an acknowledged record that could not be
// checked: it is never thrown away. When it cannot be saved to its side
// file (the state folder is full), the station must not start, say why,
// and leave the spool as it is; once there is space it starts and the
// side file holds the line.
func TestDamagedLineKeptWhenTheStateFolderIsFull(t *testing.T) {
	mnt := mountTmpfs(t, "64k")
	e := newEnv(t)
	e.state = filepath.Join(mnt, "state")
	os.MkdirAll(e.state, 0o750)
	good := spoolLine([]byte(line(t, testRec(2))))
	bad := strings.Replace(string(good), "P0000002", "P0000003", 1)
	spool := filepath.Join(e.state, spoolName)
	os.WriteFile(spool, []byte(bad), 0o600)
	filler := fillUp(t, mnt)

	if s, err := Open(e.opts()); err == nil {
		s.Close()
		t.Fatalf("Open succeeded with a damaged spool line it could not save aside")
	} else if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("Open: %v, want a disk-full error about the damaged spool lines", err)
	}
	if b, _ := os.ReadFile(spool); string(b) != bad {
		t.Fatalf("spool after the refused start %q, want the damaged line kept %q", b, bad)
	}

	os.Remove(filler)
	s := e.open(t)
	st := s.Status()
	if len(st.Damaged) == 0 || !st.Degraded {
		t.Fatalf("status %+v: want the damaged line set aside", st)
	}
	// The refused start left no partial side file behind: the line is in
	// exactly one, the one this start wrote.
	if len(st.Damaged) != 1 {
		t.Errorf("side files %v, want one: a failed write leaves none", st.Damaged)
	}
	var all string
	for _, side := range st.Damaged {
		b, _ := os.ReadFile(side)
		all += string(b)
	}
	if all != bad {
		t.Fatalf("side files %v hold %q, want %q", st.Damaged, all, bad)
	}
}
