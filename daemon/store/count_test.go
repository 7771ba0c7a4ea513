package store

import (
	"testing"
	"time"
)

// TestStatusCountsReturns: Status.Returns counts the returns among the
// appended records, whether written at once, drained from the spool or
// taken back by undo, so loans are Appended - Returns.
func TestStatusCountsReturns(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	mustAppend(t, s, 0, false) // loan
	mustAppend(t, s, 1, false) // return
	blockData(s)
	mustAppend(t, s, 2, true) // loan, spooled
	mustAppend(t, s, 3, true) // return, spooled
	if st := s.Status(); st.Appended != 2 || st.Returns != 1 {
		t.Fatalf("before the drain: appended %d, returns %d; want 2 and 1", st.Appended, st.Returns)
	}
	unblockData(s)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); st.Appended != 4 || st.Returns != 2 {
		t.Fatalf("after the drain: appended %d, returns %d; want 4 and 2", st.Appended, st.Returns)
	}
	if _, err := s.Undo(time.Hour); err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); st.Appended != 3 || st.Returns != 1 {
		t.Fatalf("after undoing a return: appended %d, returns %d; want 3 and 1", st.Appended, st.Returns)
	}
}
