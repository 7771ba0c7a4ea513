package store

import (
	"errors"
	"os"
	"sync"
	"testing"
)

// A record whose fsync failed and whose line could not be taken back,
// and whose data file then cannot even be opened to look (staff moved it
// and something else took its name): the store cannot know whether the
// line is there. It spools the record, stays degraded and writes nothing
// to the data file while in doubt; once the file is back it looks again,
// takes the unsynced line off, and drains the spooled copy: the record is
// in the data file exactly once.
func TestFailedWriteInDoubtResolvedWhenTheFileIsBack(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	mustAppend(t, s, 0, false)

	var mu sync.Mutex
	armed := true
	away := e.path() + ".away"
	s.mu.Lock()
	s.trace = func(step, path string) error {
		mu.Lock()
		defer mu.Unlock()
		if !armed || path != e.path() {
			return nil
		}
		switch step {
		case "sync":
			return errors.New("injected fsync failure")
		case "truncate":
			armed = false
			// The file moves away before the line can be taken back, and a
			// folder takes its name: nobody can look into it now.
			if err := os.Rename(e.path(), away); err != nil {
				t.Error(err)
			}
			if err := os.Mkdir(e.path(), 0o750); err != nil {
				t.Error(err)
			}
			return errors.New("injected truncate failure")
		}
		return nil
	}
	s.mu.Unlock()

	mustAppend(t, s, 1, true)
	if st := s.Status(); !st.Degraded || st.SpoolDepth != 1 {
		t.Fatalf("status in doubt: %+v", st)
	}
	mustAppend(t, s, 2, true) // nothing goes to the data file while in doubt
	if err := s.Drain(); err == nil {
		t.Fatal("Drain succeeded while the data file could not be looked into")
	}
	if st := s.Status(); !st.Degraded || st.SpoolDepth != 2 || st.LastError == "" {
		t.Fatalf("status still in doubt: %+v", st)
	}

	if err := os.Remove(e.path()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(away, e.path()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return s.Drain() == nil && s.Status().SpoolDepth == 0 })
	if got, want := e.content(t), linesOf(t, 0, 3); got != want {
		t.Fatalf("data file %q\nwant %q", got, want)
	}
	if st := s.Status(); st.Degraded || st.Appended != 3 {
		t.Fatalf("status after the doubt: %+v", st)
	}
}
