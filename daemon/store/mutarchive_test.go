package store

import (
	"os"
	"path/filepath"
	"testing"
)

// `offcircd archive` moves the configured data file (file_name), and
// OffCirc.dat when none is configured; a file of another name in the data
// folder is left alone.
func TestArchiveUsesTheConfiguredFileName(t *testing.T) {
	e := newEnv(t)
	os.MkdirAll(e.data, 0o750)
	loans := filepath.Join(e.data, "Loans.dat")
	os.WriteFile(loans, []byte(line(t, testRec(1))), 0o640)
	os.WriteFile(e.path(), []byte(line(t, testRec(2))), 0o640)

	dst, err := Archive(e.data, "Loans.dat", t0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := filepath.Base(dst), "Loans-20250304-103000-001.dat"; got != want {
		t.Errorf("archived as %s, want %s", got, want)
	}
	if b, _ := os.ReadFile(dst); string(b) != line(t, testRec(1)) {
		t.Errorf("archive holds %q", b)
	}
	if _, err := os.Stat(loans); !os.IsNotExist(err) {
		t.Errorf("Loans.dat still there: %v", err)
	}
	if got := e.content(t); got != line(t, testRec(2)) {
		t.Errorf("OffCirc.dat touched: %q", got)
	}

	dst, err = Archive(e.data, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := filepath.Base(dst), "OffCirc-20250304-103000-001.dat"; got != want {
		t.Errorf("archived as %s, want %s", got, want)
	}
	if b, _ := os.ReadFile(dst); string(b) != line(t, testRec(2)) {
		t.Errorf("archive holds %q", b)
	}
}
