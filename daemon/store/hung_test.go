package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// tracer records the steps of appends and can hold one step of the data
// file (an injected writer that does not return) or fail its fsync.
type tracer struct {
	mu      sync.Mutex
	steps   []string
	data    string
	holdAt  string        // step of the data file to hold ("" = none)
	hold    chan struct{} // closed to let the held step return
	held    chan struct{} // closed when the step is being held
	failAt  string        // steps of the data file that fail, each once (space-separated)
	holding bool
}

func newTracer(data string) *tracer {
	return &tracer{data: data, hold: make(chan struct{}), held: make(chan struct{})}
}

func (tr *tracer) step(name, path string) error {
	tr.mu.Lock()
	who := "spool"
	if path == tr.data {
		who = "data"
	} else if strings.HasSuffix(path, drainLogName) {
		who = "log"
	}
	tr.steps = append(tr.steps, name+":"+who)
	hold := who == "data" && name == tr.holdAt && !tr.holding
	if hold {
		tr.holding = true
	}
	tr.mu.Unlock()
	if hold {
		close(tr.held)
		<-tr.hold
	}
	tr.mu.Lock()
	fail := false
	if who == "data" {
		var rest []string
		for _, f := range strings.Fields(tr.failAt) {
			if f == name && !fail {
				fail = true // once
				continue
			}
			rest = append(rest, f)
		}
		tr.failAt = strings.Join(rest, " ")
	}
	tr.mu.Unlock()
	if fail {
		return errors.New("injected " + name + " failure")
	}
	return nil
}

func (tr *tracer) got() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return strings.Join(tr.steps, " ")
}

func (tr *tracer) reset() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.steps = nil
}

func (e *env) openTraced(t *testing.T, tr *tracer, timeout time.Duration) *Store {
	t.Helper()
	o := e.opts()
	o.WriteTimeout = timeout
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	s.trace = tr.step
	t.Cleanup(func() { s.Close() })
	return s
}

// Item 10: the good beep's promise in order: the record's write, then its
// fsync, then Append returns; a failing fsync sends the record to the spool
// (the kernel may have marked the pages clean: never assume the line is on
// disk) and takes the line back out of the data file.
func TestSyncOrder(t *testing.T) {
	e := newEnv(t)
	tr := newTracer(e.path())
	s := e.openTraced(t, tr, time.Minute) // a slow fsync under load must not spool here
	mustAppend(t, s, 1, false)
	if got, want := tr.got(), "open:data write:data sync:data ack:data"; got != want {
		t.Fatalf("steps %q, want %q", got, want)
	}
	tr.reset()
	tr.failAt = "sync"
	mustAppend(t, s, 2, true)
	if got, want := tr.got(), "open:data write:data sync:data truncate:data open:spool write:spool sync:spool ack:spool"; got != want {
		t.Fatalf("steps with a failing fsync %q, want %q", got, want)
	}
	if got, want := e.content(t), line(t, testRec(1)); got != want {
		t.Fatalf("data file %q: the line whose fsync failed must be taken back", got)
	}
	tr.failAt = ""
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), linesOf(t, 1, 3); got != want {
		t.Fatalf("after the drain %q, want %q", got, want)
	}
}

// Item 4 with an injected writer that does not return: the record is
// spooled after the bound, status says why, later scans are spooled at
// once, and when the writer returns every record is in the file exactly
// once and in order, whether the hung write landed or not.
func TestHungDataWrite(t *testing.T) {
	tests := []struct {
		name, holdAt, failAt string
		landed               bool
	}{
		{"hangs before writing (open)", "open", "", false},
		{"hangs in the write, which then lands", "write", "", true},
		{"hangs in fsync, which then fails", "sync", "sync", false},
		{"hangs in fsync, which then succeeds", "sync", "", true},
	}
	const timeout = 300 * time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tr := newTracer(e.path())
			s := e.openTraced(t, tr, timeout)
			mustAppend(t, s, 0, false)
			tr.holdAt, tr.failAt = tt.holdAt, ""
			start := time.Now()
			acked := make(chan Ack, 1)
			go func() { ack, _ := s.Append(testRec(1)); acked <- ack }()
			select {
			case ack := <-acked:
				if !ack.Spooled {
					t.Fatal("hung record not spooled")
				}
			case <-time.After(5 * time.Second):
				close(tr.hold)
				t.Fatal("Append still blocked 5 s into a hung write")
			}
			if d := time.Since(start); d < timeout || d > timeout+2*time.Second {
				t.Errorf("hung append returned after %v, want about %v", d, timeout)
			}
			<-tr.held
			st := s.Status()
			if !st.Degraded || st.SpoolDepth != 1 || !strings.Contains(st.LastError, "did not return in time") {
				t.Fatalf("status while hung: %+v", st)
			}
			start = time.Now()
			for i := 2; i <= 4; i++ {
				mustAppend(t, s, i, true)
			}
			if d := time.Since(start); d > timeout {
				t.Errorf("appends while hung took %v: they must not wait for the data file again", d)
			}
			if err := s.Drain(); err == nil {
				t.Fatal("Drain succeeded while the write was still hung")
			}
			if _, err := s.Undo(time.Hour); err == nil || !strings.Contains(err.Error(), "not answered") {
				t.Errorf("Undo while hung: %v", err)
			}
			tr.mu.Lock()
			tr.failAt = tt.failAt
			tr.mu.Unlock()
			close(tr.hold)
			waitFor(t, func() bool { return s.Drain() == nil && s.Status().SpoolDepth == 0 })
			if got, want := e.content(t), linesOf(t, 0, 5); got != want {
				t.Fatalf("data file:\n%q\nwant\n%q", got, want)
			}
			// The first resolution is the hung write's (a loaded machine may
			// make a later drain write hit the short bound too).
			logs := e.logs.String()
			_, first, _ := strings.Cut(logs, "answers again")
			first, _, _ = strings.Cut(first, "\n")
			if strings.Contains(first, "record_landed=true") != tt.landed {
				t.Errorf("landed = %v, want %v:\n%s", !tt.landed, tt.landed, logs)
			}
			if st := s.Status(); st.Degraded || st.Appended != 5 {
				t.Errorf("status after recovery: %+v", st)
			}
		})
	}
}

// A restart while the write still hangs (the old process's goroutine holds
// the data file's lock): the new store neither writes nor guesses; once the
// old write returns it finds the record in the file and does not write it
// again.
func TestHungWriteResolvedAfterRestart(t *testing.T) {
	e := newEnv(t)
	tr := newTracer(e.path())
	s := e.openTraced(t, tr, 150*time.Millisecond)
	mustAppend(t, s, 0, false)
	tr.holdAt = "write"
	mustAppend(t, s, 1, true)
	mustAppend(t, s, 2, true)
	s.Close() // the process "restarts"; its hung goroutine lives on

	o := e.opts()
	o.WriteTimeout = 150 * time.Millisecond
	s2, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if st := s2.Status(); !st.Degraded || st.SpoolDepth != 2 {
		t.Fatalf("restarted while hung: %+v", st)
	}
	mustAppend(t, s2, 3, true)
	close(tr.hold)
	waitFor(t, func() bool { return s2.Drain() == nil && s2.Status().SpoolDepth == 0 })
	if got, want := e.content(t), linesOf(t, 0, 4); got != want {
		t.Fatalf("data file:\n%q\nwant\n%q", got, want)
	}
}

// The data folder hung at start: the store opens within the bound
// (start like you run), spools, and drains once the folder answers.
func TestHungAtOpen(t *testing.T) {
	e := newEnv(t)
	os.MkdirAll(e.data, 0o750)
	os.WriteFile(e.path(), []byte(line(t, testRec(0))), 0o640)
	holder := otherStation(t, e.path()) // another station hung holding the lock
	o := e.opts()
	o.WriteTimeout = 150 * time.Millisecond
	start := time.Now()
	// A torn tail at start makes Open take the lock (repair).
	f, _ := os.OpenFile(e.path(), os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte("2025"))
	f.Close()
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Open took %v with a hung data file", d)
	}
	if st := s.Status(); !st.Degraded || !strings.Contains(st.LastError, "did not return in time") {
		t.Fatalf("status: %+v", st)
	}
	mustAppend(t, s, 1, true)
	holder.Close()
	waitFor(t, func() bool { return s.Drain() == nil && s.Status().SpoolDepth == 0 && !s.Status().Degraded })
	if got, want := e.content(t), linesOf(t, 0, 2); got != want {
		t.Fatalf("data file %q, want %q", got, want)
	}
	if sides, _ := filepath.Glob(filepath.Join(e.state, "OffCirc.dat.torn-*")); len(sides) != 1 {
		t.Errorf("torn tail side files %v", sides)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
