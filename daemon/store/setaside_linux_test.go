package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A damaged spool line among pending records, the data file still not
// writable: every restart before the drain (systemd, the watchdog, a
// reboot) must not copy the same line into one more side file, or staff
// told to add what is missing by hand would add that loan once per copy.
// The records around it still drain, once each.
func TestDamagedLineCopiedAsideOnlyOnce(t *testing.T) {
	e := newEnv(t)
	os.MkdirAll(e.state, 0o750)
	os.MkdirAll(e.path(), 0o750) // a folder where the data file should be: not writable
	bad := strings.Replace(string(spoolLine([]byte(line(t, testRec(2))))), "P0000002", "P0000003", 1)
	spool := string(spoolLine([]byte(line(t, testRec(1))))) + bad + string(spoolLine([]byte(line(t, testRec(3)))))
	os.WriteFile(filepath.Join(e.state, spoolName), []byte(spool), 0o600)

	sides := func() []string {
		m, _ := filepath.Glob(filepath.Join(e.state, spoolName+damagedMark+"*"))
		return m
	}
	for i := range 3 {
		s := e.open(t)
		if st := s.Status(); st.SpoolDepth != 2 {
			t.Fatalf("start %d: spool depth %d, want the 2 good records", i+1, st.SpoolDepth)
		}
		s.Close()
		if n := len(sides()); n != 1 {
			t.Fatalf("start %d: %d side files, want 1: %v", i+1, n, sides())
		}
	}
	b, _ := os.ReadFile(sides()[0])
	if string(b) != bad {
		t.Fatalf("side file %q, want the damaged line %q", b, bad)
	}

	os.Remove(e.path()) // the data file can be written again
	s := e.open(t)
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for s.Status().SpoolDepth > 0 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	<-done
	if got, want := e.content(t), line(t, testRec(1))+line(t, testRec(3)); got != want {
		t.Fatalf("data file %q, want %q", got, want)
	}
	if n := len(sides()); n != 1 {
		t.Errorf("%d side files after the drain, want 1", n)
	}
}
