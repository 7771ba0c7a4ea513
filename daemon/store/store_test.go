package store

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/offcircd/offcircd/encoder"
)

// fakeClock is a settable clock for undo ages and side-file names.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2025, 3, 4, 10, 30, 0, 0, time.UTC)

// testRec returns record i: loans with a patron for even i, returns for odd.
func testRec(i int) encoder.Record {
	r := encoder.Record{Time: t0.Add(time.Duration(i%100_000) * time.Minute), Type: encoder.Return, Item: fmt.Sprintf("N%09d", i)}
	if i%2 == 0 {
		r.Type, r.Patron = encoder.Loan, fmt.Sprintf("P%07d", i)
	}
	return r
}

func line(t testing.TB, r encoder.Record) string {
	t.Helper()
	b, err := encoder.Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// linesOf returns the encoded lines of records from..to-1.
func linesOf(t testing.TB, from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(line(t, testRec(i)))
	}
	return b.String()
}

type env struct {
	data, state string
	clock       *fakeClock
	logs        *bytes.Buffer
	statuses    chan Status
}

func newEnv(t testing.TB) *env {
	dir := t.TempDir()
	return &env{
		data:     filepath.Join(dir, "files"),
		state:    filepath.Join(dir, "state"),
		clock:    &fakeClock{t: t0},
		logs:     &bytes.Buffer{},
		statuses: make(chan Status, 1000),
	}
}

func (e *env) opts() Options {
	return Options{
		DataDir: e.data, FileName: "OffCirc.dat", StateDir: e.state,
		Logger:   slog.New(slog.NewTextHandler(lockedWriter{w: e.logs}, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Now:      e.clock.Now,
		OnStatus: func(s Status) { e.statuses <- s },
		RetryMin: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond,
	}
}

var logMu sync.Mutex

type lockedWriter struct{ w io.Writer }

func (l lockedWriter) Write(b []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return l.w.Write(b)
}

func (e *env) open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(e.opts())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func (e *env) path() string { return filepath.Join(e.data, "OffCirc.dat") }

func (e *env) content(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(e.path())
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func mustAppend(t testing.TB, s *Store, i int, wantSpooled bool) {
	t.Helper()
	ack, err := s.Append(testRec(i))
	if err != nil {
		t.Fatalf("Append(%d): %v", i, err)
	}
	if ack.Spooled != wantSpooled {
		t.Fatalf("Append(%d): Spooled = %v, want %v", i, ack.Spooled, wantSpooled)
	}
}

func TestAppendWritesCanonicalLines(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	for i := range 3 {
		mustAppend(t, s, i, false)
	}
	if got, want := e.content(t), linesOf(t, 0, 3); got != want {
		t.Fatalf("file:\n%q\nwant\n%q", got, want)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(e.path())
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("mode %04o, want 0640", fi.Mode().Perm())
		}
	}
	if st := s.Status(); st.Degraded || st.SpoolDepth != 0 || st.Appended != 3 {
		t.Errorf("status %+v", st)
	}
	if s.Path() != e.path() {
		t.Errorf("Path %q", s.Path())
	}
}

func TestFileModeOption(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix modes")
	}
	e := newEnv(t)
	o := e.opts()
	o.FileMode = 0o600
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, 0, false)
	fi, _ := os.Stat(e.path())
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
	}
}

func TestAppendRejectsInvalidRecords(t *testing.T) {
	tests := []struct {
		name string
		rec  encoder.Record
		want error
	}{
		{"empty item", encoder.Record{Time: t0, Type: encoder.Return}, encoder.ErrItemEmpty},
		{"space in item", encoder.Record{Time: t0, Type: encoder.Return, Item: "A B"}, encoder.ErrCharset},
		{"loan without patron", encoder.Record{Time: t0, Type: encoder.Loan, Item: "A"}, encoder.ErrPatronEmpty},
		{"return with patron", encoder.Record{Time: t0, Type: encoder.Return, Item: "A", Patron: "P"}, encoder.ErrPatronOnReturn},
		{"bad type", encoder.Record{Time: t0, Type: 'X', Item: "A"}, encoder.ErrType},
		{"clock unset", encoder.Record{Time: time.Unix(0, 0), Type: encoder.Return, Item: "A"}, encoder.ErrTimeTooEarly},
		{"newline in patron", encoder.Record{Time: t0, Type: encoder.Loan, Item: "A", Patron: "P\r\n1"}, encoder.ErrCharset},
	}
	e := newEnv(t)
	s := e.open(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Append(tt.rec); !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
		})
	}
	if c := e.content(t); c != "" {
		t.Fatalf("invalid records reached the file: %q", c)
	}
}

func TestMovedAndDeletedFile(t *testing.T) {
	tests := []struct {
		name  string
		apply func(t *testing.T, path string) (moved string)
	}{
		{"moved", func(t *testing.T, path string) string {
			to := path + ".uploaded"
			if err := os.Rename(path, to); err != nil {
				t.Fatal(err)
			}
			return to
		}},
		{"deleted", func(t *testing.T, path string) string {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			return ""
		}},
		{"archived", func(t *testing.T, path string) string {
			to, err := Archive(filepath.Dir(path), filepath.Base(path), t0)
			if err != nil {
				t.Fatal(err)
			}
			return to
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.open(t)
			mustAppend(t, s, 0, false)
			mustAppend(t, s, 1, false)
			moved := tt.apply(t, e.path())
			mustAppend(t, s, 2, false)
			mustAppend(t, s, 3, false)
			if got, want := e.content(t), linesOf(t, 2, 4); got != want {
				t.Errorf("new file %q, want %q", got, want)
			}
			if moved != "" {
				b, _ := os.ReadFile(moved)
				if got, want := string(b), linesOf(t, 0, 2); got != want {
					t.Errorf("moved file changed: %q, want %q", got, want)
				}
			}
		})
	}
}

func TestTornTailRepairAtOpen(t *testing.T) {
	good := linesOf(t, 0, 2)
	tests := []struct {
		name, content, wantFile, wantTorn string
	}{
		{"clean", good, good, ""},
		{"empty", "", "", ""},
		{"torn loan", good + line(t, testRec(2))[:100], good, line(t, testRec(2))[:100]},
		{"missing LF only", good + strings.TrimSuffix(line(t, testRec(3)), "\n"), good, strings.TrimSuffix(line(t, testRec(3)), "\n")},
		{"only a partial line", "20250304", "", "20250304"},
		{"NUL block after crash", good + "\x00\x00\x00\x00", good, "\x00\x00\x00\x00"},
		{"long garbage", good + strings.Repeat("x", 10000), good, strings.Repeat("x", 10000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if err := os.MkdirAll(e.data, 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(e.path(), []byte(tt.content), 0o640); err != nil {
				t.Fatal(err)
			}
			s := e.open(t)
			if got := e.content(t); got != tt.wantFile {
				t.Errorf("file after repair %q, want %q", got, tt.wantFile)
			}
			side, _ := filepath.Glob(filepath.Join(e.state, "OffCirc.dat.torn-*"))
			if tt.wantTorn == "" {
				if len(side) != 0 {
					t.Errorf("unexpected side files %v", side)
				}
				return
			}
			if len(side) != 1 || filepath.Base(side[0]) != "OffCirc.dat.torn-20250304-103000" {
				t.Fatalf("side files %v", side)
			}
			b, _ := os.ReadFile(side[0])
			if string(b) != tt.wantTorn {
				t.Errorf("side file %q, want %q", b, tt.wantTorn)
			}
			if !strings.Contains(e.logs.String(), fmt.Sprintf("bytes=%d", len(tt.wantTorn))) {
				t.Errorf("no warning with byte count in log:\n%s", e.logs)
			}
			// And the next record starts on its own line.
			mustAppend(t, s, 5, false)
			if got, want := e.content(t), tt.wantFile+line(t, testRec(5)); got != want {
				t.Errorf("after append %q, want %q", got, want)
			}
		})
	}
}

func TestTornTailRepairedBeforeAppend(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	mustAppend(t, s, 0, false)
	f, err := os.OpenFile(e.path(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("20250304PARTIAL")
	f.Close()
	mustAppend(t, s, 1, false)
	if got, want := e.content(t), linesOf(t, 0, 2); got != want {
		t.Errorf("file %q, want %q", got, want)
	}
	side, _ := filepath.Glob(filepath.Join(e.state, "OffCirc.dat.torn-*"))
	if len(side) != 1 {
		t.Fatalf("side files %v", side)
	}
	// A second repair in the same second gets its own side file.
	f, _ = os.OpenFile(e.path(), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("X")
	f.Close()
	mustAppend(t, s, 2, false)
	side, _ = filepath.Glob(filepath.Join(e.state, "OffCirc.dat.torn-*"))
	if len(side) != 2 {
		t.Fatalf("side files %v", side)
	}
}

// blockData makes data file writes fail as on a full disk (the real
// failures are covered by the mount tests, which need root).
func blockData(s *Store) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failData = func() error { return &os.PathError{Op: "write", Path: s.dataPath, Err: syscall.ENOSPC} }
}

func unblockData(s *Store) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failData = nil
}

func TestUndo(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, e *env, s *Store)
		maxAge  time.Duration
		refused string // "" = undo succeeds
		want    string // file content afterwards
	}{
		{"last line", func(t *testing.T, e *env, s *Store) {}, time.Minute, "", "01"},
		{"at the age limit", func(t *testing.T, e *env, s *Store) { e.clock.Add(time.Minute) }, time.Minute, "", "01"},
		{"too old", func(t *testing.T, e *env, s *Store) { e.clock.Add(61 * time.Second) }, time.Minute, "old", "012"},
		{"disabled", func(t *testing.T, e *env, s *Store) {}, 0, "disabled", "012"},
		{"another line after it", func(t *testing.T, e *env, s *Store) {
			f, _ := os.OpenFile(e.path(), os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString(line(t, testRec(7)))
			f.Close()
		}, time.Minute, "no longer the last line", "0127"},
		{"file moved", func(t *testing.T, e *env, s *Store) {
			os.Rename(e.path(), e.path()+".old")
		}, time.Minute, "moved or deleted", ""},
		{"file archived and recreated", func(t *testing.T, e *env, s *Store) {
			b, _ := os.ReadFile(e.path())
			os.Rename(e.path(), e.path()+".old")
			os.WriteFile(e.path(), b, 0o640)
		}, time.Minute, "replaced", "012"},
		{"last line edited", func(t *testing.T, e *env, s *Store) {
			b, _ := os.ReadFile(e.path())
			b[len(b)-3] = 'Z'
			os.WriteFile(e.path(), b, 0o640)
		}, time.Minute, "not the record", "012*"},
		{"twice", func(t *testing.T, e *env, s *Store) {
			if _, err := s.Undo(time.Minute); err != nil {
				t.Fatal(err)
			}
		}, time.Minute, "nothing to undo", "01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.open(t)
			for i := range 3 {
				mustAppend(t, s, i, false)
			}
			tt.setup(t, e, s)
			rec, err := s.Undo(tt.maxAge)
			if tt.refused == "" {
				if err != nil {
					t.Fatalf("Undo: %v", err)
				}
				if rec != testRec(2) {
					t.Errorf("undone %+v", rec)
				}
				if st := s.Status(); st.Appended != 2 {
					t.Errorf("Appended %d", st.Appended)
				}
			} else if !errors.Is(err, ErrUndoRefused) || !strings.Contains(err.Error(), tt.refused) {
				t.Fatalf("Undo err %v, want refusal %q", err, tt.refused)
			}
			want := ""
			for _, c := range tt.want {
				switch c {
				case '*':
					want = want[:len(want)-3] + "Z" + want[len(want)-2:]
				default:
					want += line(t, testRec(int(c-'0')))
				}
			}
			if got := e.content(t); got != want {
				t.Errorf("file %q\nwant %q", got, want)
			}
		})
	}
}

func TestUndoSpooledRecord(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	mustAppend(t, s, 0, false)
	blockData(s)
	mustAppend(t, s, 1, true)
	mustAppend(t, s, 2, true)
	if _, err := s.Undo(time.Minute); err != nil {
		t.Fatalf("Undo: %v", err)
	}
	if st := s.Status(); st.SpoolDepth != 1 {
		t.Fatalf("status %+v", st)
	}
	mustAppend(t, s, 3, true)
	unblockData(s)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), linesOf(t, 0, 2)+line(t, testRec(3)); got != want {
		t.Errorf("file %q\nwant %q", got, want)
	}
	// The last record was drained: it is undone from the data file now.
	if rec, err := s.Undo(time.Minute); err != nil || rec != testRec(3) {
		t.Fatalf("Undo after drain: %+v %v", rec, err)
	}
	if got, want := e.content(t), linesOf(t, 0, 2); got != want {
		t.Errorf("file %q\nwant %q", got, want)
	}
	// Recovery must not bring the undone line back.
	s.Close()
	s2 := e.open(t)
	if st := s2.Status(); st.SpoolDepth != 0 {
		t.Errorf("after reopen %+v", st)
	}
}

func TestSpoolKeepsOrderAndDrainsOnce(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	mustAppend(t, s, 0, false)
	blockData(s)
	for i := 1; i <= 3; i++ {
		mustAppend(t, s, i, true)
	}
	st := s.Status()
	if !st.Degraded || st.SpoolDepth != 3 || !strings.Contains(st.LastError, "disk full") {
		t.Fatalf("status %+v", st)
	}
	spool, _ := os.ReadFile(filepath.Join(e.state, spoolName))
	var want []byte
	for i := 1; i < 4; i++ {
		want = append(want, spoolLine([]byte(line(t, testRec(i))))...)
	}
	if string(spool) != string(want) {
		t.Fatalf("spool %q\nwant %q", spool, want)
	}
	unblockData(s)
	mustAppend(t, s, 4, false) // drains 1..3 first, then appends 4
	if got, want := e.content(t), linesOf(t, 0, 5); got != want {
		t.Fatalf("file %q\nwant %q", got, want)
	}
	if st := s.Status(); st.Degraded || st.SpoolDepth != 0 || st.LastError != "" || st.Appended != 5 {
		t.Fatalf("status %+v", st)
	}
	for _, n := range []string{spoolName, drainLogName} {
		if fi, err := os.Stat(filepath.Join(e.state, n)); err == nil && fi.Size() != 0 {
			t.Errorf("%s not emptied: %d bytes", n, fi.Size())
		}
	}
	// Reopening finds nothing to drain.
	s.Close()
	s2 := e.open(t)
	if err := s2.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), linesOf(t, 0, 5); got != want {
		t.Fatalf("after reopen %q", got)
	}
	var seen []int
	for len(e.statuses) > 0 {
		seen = append(seen, (<-e.statuses).SpoolDepth)
	}
	if fmt.Sprint(seen) != "[1 2 3 0]" {
		t.Errorf("OnStatus depths %v, want [1 2 3 0]", seen)
	}
}

func TestRunDrainsInBackground(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	ctx, cancel := contextWithCancel()
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	blockData(s)
	mustAppend(t, s, 0, true)
	mustAppend(t, s, 1, true)
	time.Sleep(30 * time.Millisecond) // a few failed retries
	unblockData(s)
	deadline := time.After(5 * time.Second)
	for s.Status().Degraded {
		select {
		case <-deadline:
			t.Fatal("spool not drained by Run")
		case <-time.After(2 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got, want := e.content(t), linesOf(t, 0, 2); got != want {
		t.Fatalf("file %q", got)
	}
}

func TestRefusedWhenNothingIsWritable(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	blockData(s)
	spool := filepath.Join(e.state, spoolName)
	os.Remove(spool)
	if err := os.Mkdir(spool, 0o750); err != nil {
		t.Fatal(err)
	}
	_, err := s.Append(testRec(0))
	if !errors.Is(err, ErrNotStored) {
		t.Fatalf("err %v, want ErrNotStored", err)
	}
	if st := s.Status(); st.SpoolDepth != 0 {
		t.Errorf("status %+v", st)
	}
	if _, err := s.Undo(time.Minute); !errors.Is(err, ErrUndoRefused) {
		t.Errorf("undo of a refused record: %v", err)
	}
}

func TestClosed(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	s.Close()
	if _, err := s.Append(testRec(0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("err %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		mod  func(o *Options)
	}{
		{"no data dir", func(o *Options) { o.DataDir = "" }},
		{"no state dir", func(o *Options) { o.StateDir = "" }},
		{"folder in file name", func(o *Options) { o.FileName = "a/OffCirc.dat" }},
		{"state dir is a file", func(o *Options) {
			f := filepath.Join(t.TempDir(), "file")
			os.WriteFile(f, nil, 0o600)
			o.StateDir = f
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := e.opts()
			tt.mod(&o)
			if _, err := Open(o); err == nil || !strings.HasPrefix(err.Error(), "store: ") {
				t.Fatalf("Open err %v", err)
			}
		})
	}
}

// writeIntent builds a drain-log line for the spool line at off as if a
// drain had started with the data file at dataSize.
func writeIntent(t *testing.T, e *env, spool []byte, off int64, ln int, dataSize int64) {
	t.Helper()
	f, err := os.Open(e.path())
	if err != nil {
		t.Fatal(err)
	}
	id, err := fileIdentity(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	in := intent{SpoolOff: off, Len: ln, CRC: crc32.ChecksumIEEE(spool[off : off+int64(ln)]), DataSize: dataSize, ID: id}
	if err := os.WriteFile(filepath.Join(e.state, drainLogName), in.marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDrainRecoveryAfterCrash builds the on-disk states a crash in the
// middle of a drain can leave and checks that reopening and draining puts
// every spooled line in the data file exactly once.
func TestDrainRecoveryAfterCrash(t *testing.T) {
	l := func(i int) string { return line(t, testRec(i)) }
	spool := l(1) + l(2) + l(3)
	o1, o2 := int64(len(l(1))), int64(len(l(1))+len(l(2)))
	tests := []struct {
		name   string
		data   string // data file at the crash
		intent func(t *testing.T, e *env)
		extra  string // appended to the drain log
	}{
		{"crash before any drain", l(0), nil, ""},
		{"intent for line 2 written, line not", l(0) + l(1), func(t *testing.T, e *env) {
			writeIntent(t, e, []byte(spool), o1, len(l(2)), int64(len(l(0)+l(1))))
		}, ""},
		{"intent for line 2 written, line too", l(0) + l(1) + l(2), func(t *testing.T, e *env) {
			writeIntent(t, e, []byte(spool), o1, len(l(2)), int64(len(l(0)+l(1))))
		}, ""},
		{"last line drained, spool not yet emptied", l(0) + l(1) + l(2) + l(3), func(t *testing.T, e *env) {
			writeIntent(t, e, []byte(spool), o2, len(l(3)), int64(len(l(0)+l(1)+l(2))))
		}, ""},
		{"torn intent after a done line", l(0) + l(1) + l(2), func(t *testing.T, e *env) {
			writeIntent(t, e, []byte(spool), o1, len(l(2)), int64(len(l(0)+l(1))))
		}, "396 95 1234"},
		{"garbage log", l(0), func(t *testing.T, e *env) {
			os.WriteFile(filepath.Join(e.state, drainLogName), []byte("nonsense\n"), 0o600)
		}, ""},
		{"intent names a line undone and replaced", l(0) + l(1) + l(2), func(t *testing.T, e *env) {
			other := []byte(l(1) + l(2) + l(9))
			writeIntent(t, e, other, o2, len(l(9)), int64(len(l(0)+l(1)+l(2))))
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			os.MkdirAll(e.data, 0o750)
			os.MkdirAll(e.state, 0o750)
			os.WriteFile(e.path(), []byte(tt.data), 0o640)
			os.WriteFile(filepath.Join(e.state, spoolName), []byte(spool), 0o600)
			if tt.intent != nil {
				tt.intent(t, e)
			}
			if tt.extra != "" {
				f, _ := os.OpenFile(filepath.Join(e.state, drainLogName), os.O_WRONLY|os.O_APPEND, 0)
				f.WriteString(tt.extra)
				f.Close()
			}
			s := e.open(t)
			if err := s.Drain(); err != nil {
				t.Fatal(err)
			}
			if got, want := e.content(t), linesOf(t, 0, 4); got != want {
				t.Fatalf("file %q\nwant %q", got, want)
			}
		})
	}
}

// TestRecoveryAfterUndoOfFailedDrain: a drain of the last spooled line
// logged its intent and failed, then that line was undone from the spool;
// recovery must neither resurrect it nor re-drain the lines before it.
func TestRecoveryAfterUndoOfFailedDrain(t *testing.T) {
	l := func(i int) string { return line(t, testRec(i)) }
	e := newEnv(t)
	os.MkdirAll(e.data, 0o750)
	os.MkdirAll(e.state, 0o750)
	spool := l(1) + l(2)
	os.WriteFile(e.path(), []byte(l(0)+l(1)+l(2)), 0o640)
	os.WriteFile(filepath.Join(e.state, spoolName), []byte(spool), 0o600)
	writeIntent(t, e, []byte(spool+l(3)), int64(len(spool)), len(l(3)), int64(len(l(0)+l(1)+l(2))))
	s := e.open(t)
	if st := s.Status(); st.SpoolDepth != 0 {
		t.Fatalf("status %+v", st)
	}
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), linesOf(t, 0, 3); got != want {
		t.Fatalf("file %q\nwant %q", got, want)
	}
}

func TestSpoolTornAndCorruptLines(t *testing.T) {
	e := newEnv(t)
	os.MkdirAll(e.state, 0o750)
	bad := strings.Replace(line(t, testRec(2)), "N", " ", 1)
	os.WriteFile(filepath.Join(e.state, spoolName), []byte(line(t, testRec(1))+bad+line(t, testRec(3))+"2025030"), 0o600)
	s := e.open(t)
	if st := s.Status(); st.SpoolDepth != 2 || !st.Degraded {
		t.Fatalf("status %+v", st)
	}
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), line(t, testRec(1))+line(t, testRec(3)); got != want {
		t.Fatalf("file %q\nwant %q", got, want)
	}
	if !strings.Contains(e.logs.String(), "damaged spool line set aside") {
		t.Errorf("corrupt spool line not logged:\n%s", e.logs)
	}
}

func TestPatronNotLoggedUnmasked(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	blockData(s)
	r := testRec(0)
	r.Patron = "3120161826"
	if _, err := s.Append(r); err != nil {
		t.Fatal(err)
	}
	if logs := e.logs.String(); strings.Contains(logs, r.Patron) || !strings.Contains(logs, "31***26") {
		t.Errorf("log:\n%s", logs)
	}
}

func TestArchive(t *testing.T) {
	e := newEnv(t)
	if _, err := Archive(e.data, "OffCirc.dat", t0); !errors.Is(err, ErrNothingToArchive) {
		t.Fatalf("missing file: %v", err)
	}
	os.MkdirAll(e.data, 0o750)
	os.WriteFile(e.path(), nil, 0o640)
	if _, err := Archive(e.data, "OffCirc.dat", t0); !errors.Is(err, ErrNothingToArchive) {
		t.Fatalf("empty file: %v", err)
	}
	// Twelve archives in one second, then one in the next, with the
	// first deleted (uploaded) before the last two: their names sort in
	// the order they were made, in byte order and, having one shape that
	// differs only in digits, in any locale's order. Merging a station's
	// archives by name (ls, archive/*.dat) depends on it: a return must
	// not reach Alma before the loan it follows.
	var got []string
	for i := range 13 {
		os.WriteFile(e.path(), []byte(line(t, testRec(i))), 0o640)
		at := t0
		if i == 12 {
			at = t0.Add(time.Second)
		}
		if i == 11 {
			os.Remove(filepath.Join(e.data, ArchiveDir, got[0]))
		}
		dst, err := Archive(e.data, "OffCirc.dat", at)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(dst)
		if string(b) != line(t, testRec(i)) {
			t.Errorf("%s holds %q", dst, b)
		}
		got = append(got, filepath.Base(dst))
	}
	if got[0] != "OffCirc-20250304-103000-001.dat" || got[1] != "OffCirc-20250304-103000-002.dat" ||
		got[11] != "OffCirc-20250304-103000-012.dat" || got[12] != "OffCirc-20250304-103001-001.dat" {
		t.Errorf("names %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1] >= got[i] || len(got[i-1]) != len(got[i]) {
			t.Errorf("archive %d is named %s, archive %d %s: not in order, or not of one shape", i, got[i-1], i+1, got[i])
		}
	}
	if _, err := os.Stat(e.path()); !os.IsNotExist(err) {
		t.Errorf("data file still there: %v", err)
	}
}

// TestArchiveWhileAppending archives repeatedly while a writer appends:
// every record ends up in exactly one file, whole.
func TestArchiveWhileAppending(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	const n = 200
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			if _, err := s.Append(testRec(i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	clock := t0
	for archiving := true; archiving; {
		select {
		case <-done:
			archiving = false
		case <-time.After(time.Millisecond):
		}
		clock = clock.Add(time.Second)
		if _, err := Archive(e.data, "OffCirc.dat", clock); err != nil && !errors.Is(err, ErrNothingToArchive) {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(e.data, ArchiveDir, "*.dat"))
	var all string
	for _, f := range files { // names sort by time
		b, _ := os.ReadFile(f)
		all += string(b)
	}
	if all != linesOf(t, 0, n) {
		t.Fatalf("archives do not hold every record exactly once in order (%d files)", len(files))
	}
	if len(files) < 2 {
		t.Logf("only %d archives; the race was not exercised much", len(files))
	}
}

func TestRunReportsSpoolFromEarlierRun(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	blockData(s)
	mustAppend(t, s, 0, true)
	mustAppend(t, s, 1, true)
	s.Close()
	for len(e.statuses) > 0 {
		<-e.statuses
	}
	s2 := e.open(t)
	if st := s2.Status(); !st.Degraded || st.SpoolDepth != 2 {
		t.Fatalf("status after reopen %+v", st)
	}
	ctx, cancel := contextWithCancel()
	defer cancel()
	go s2.Run(ctx)
	select {
	case st := <-e.statuses:
		if !st.Degraded || st.SpoolDepth != 2 {
			t.Fatalf("first report %+v", st)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not report the spooled records")
	}
	select { // and then drains them
	case st := <-e.statuses:
		if st.Degraded {
			t.Fatalf("second report %+v", st)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not drained")
	}
	if got, want := e.content(t), linesOf(t, 0, 2); got != want {
		t.Fatalf("file %q", got)
	}
}

// TestReportCarriesAppends: appends alone do not change Degraded or the
// spool, so only Report tells the status file about them.
func TestReportCarriesAppends(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	mustAppend(t, s, 1, false)
	mustAppend(t, s, 2, false)
	s.Report()
	var last Status
	for len(e.statuses) > 0 {
		last = <-e.statuses
	}
	if last.Appended != 2 || last.Degraded || last.SpoolDepth != 0 {
		t.Fatalf("reported %+v, want 2 appended, healthy", last)
	}
}
