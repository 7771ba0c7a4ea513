package status

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offcircd/offcircd/daemon/station"
	"github.com/offcircd/offcircd/daemon/store"
	"github.com/offcircd/offcircd/devices"
)

func TestStatusFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", FileName)
	at := time.Date(2026, 3, 4, 10, 11, 12, 0, time.UTC)
	want := Status{
		Version: "1.2.3", Station: "desk-1", PID: 42, State: Running, StartedAt: at, UpdatedAt: at.Add(time.Minute),
		Mode: "loan", PatronPresent: true, ItemsInSession: 3, DataFile: "/d/OffCirc.dat", Day: "2026-03-04",
		RecordsToday: 5, RecordsTotal: 99, SpoolDepth: 2, Degraded: true, LastWriteError: "store: disk full",
		Scanners: []Scanner{
			{Name: "desk", State: "connected", LastScan: at},
			{Name: "drop", State: "waiting", LastError: "serial: no port"},
		},
	}
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %04o, want 0644", fi.Mode().Perm())
	}
	// No temp files left behind by the atomic write.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("state dir holds %d entries, want only %s", len(entries), FileName)
	}
}

func TestReadStatusFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(filepath.Join(dir, "none.json")); !errors.Is(err, ErrNoStatus) {
		t.Errorf("missing file: err %v, want ErrNoStatus", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\"state\": "), 0o644)
	if _, err := Read(bad); err == nil || errors.Is(err, ErrNoStatus) || !strings.HasPrefix(err.Error(), "status: ") {
		t.Errorf("torn file: err %v, want a status: parse error", err)
	}
}

// manualNow is a clock the test moves.
type manualNow struct {
	mu sync.Mutex
	t  time.Time
}

func (m *manualNow) now() time.Time  { m.mu.Lock(); defer m.mu.Unlock(); return m.t }
func (m *manualNow) set(t time.Time) { m.mu.Lock(); m.t = t; m.mu.Unlock() }

func TestStatusWriterCounts(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	clk := &manualNow{t: time.Date(2026, 3, 4, 22, 0, 0, 0, loc)}
	path := filepath.Join(t.TempDir(), FileName)
	// An earlier run of the same day left counts behind.
	Write(path, Status{Day: "2026-03-04", RecordsToday: 7, RecordsTotal: 100})

	w := NewWriter(WriterOptions{Path: path, Station: "s", Mode: "loan", Scanners: []string{"desk"}, Location: loc, Now: clk.now})
	steps := []struct {
		name        string
		at          time.Time
		st          store.Status
		today, tot  int64
		spool       int
		lastWriteEr string
	}{
		{"open", clk.t, store.Status{}, 7, 100, 0, ""},
		{"two records", clk.t, store.Status{Appended: 2}, 9, 102, 0, ""},
		{"undo", clk.t, store.Status{Appended: 1}, 8, 101, 0, ""},
		{"spooling", clk.t, store.Status{Appended: 1, Degraded: true, SpoolDepth: 3, LastError: "disk full"}, 8, 101, 3, "disk full"},
		{"after midnight, drained", time.Date(2026, 3, 5, 0, 1, 0, 0, loc), store.Status{Appended: 4}, 3, 104, 0, ""},
	}
	for _, s := range steps {
		clk.set(s.at)
		w.Store(s.st)
		got := w.Snapshot()
		if got.RecordsToday != s.today || got.RecordsTotal != s.tot || got.SpoolDepth != s.spool || got.LastWriteError != s.lastWriteEr {
			t.Errorf("%s: today %d total %d spool %d err %q, want %d %d %d %q", s.name,
				got.RecordsToday, got.RecordsTotal, got.SpoolDepth, got.LastWriteError, s.today, s.tot, s.spool, s.lastWriteEr)
		}
	}
	if got := w.Snapshot().Day; got != "2026-03-05" {
		t.Errorf("day %q after midnight", got)
	}
}

func TestStatusWriterStationSnapshot(t *testing.T) {
	w := NewWriter(WriterOptions{Path: filepath.Join(t.TempDir(), FileName), Mode: "loan", Scanners: []string{"drop", "desk"}})
	if got := w.Snapshot().Scanners; len(got) != 2 || got[0].Name != "drop" || got[0].State != "" {
		t.Fatalf("configured scanners before any event: %+v", got)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w.Station(station.State{
		Mode: station.ModeReturn, PatronPresent: true, ItemsInSession: 2,
		LastScan:     map[string]time.Time{"desk": at},
		Devices:      map[string]devices.State{"desk": devices.StateConnected, "drop": devices.StateWaiting, "console": devices.StateConnected},
		DeviceErrors: map[string]string{"drop": "serial: no such port"},
	})
	got := w.Snapshot()
	want := []Scanner{
		{Name: "console", State: "connected"},
		{Name: "desk", State: "connected", LastScan: at},
		{Name: "drop", State: "waiting", LastError: "serial: no such port"},
	}
	if !reflect.DeepEqual(got.Scanners, want) {
		t.Errorf("scanners\n got %+v\nwant %+v", got.Scanners, want)
	}
	if got.Mode != "return" || !got.PatronPresent || got.ItemsInSession != 2 {
		t.Errorf("mode %q patron %v items %d", got.Mode, got.PatronPresent, got.ItemsInSession)
	}
	// A scanner that reconnects loses its old error; its last scan stays.
	w.Station(station.State{Mode: station.ModeReturn, LastScan: map[string]time.Time{"desk": at}, Devices: map[string]devices.State{"drop": devices.StateConnected}})
	for _, sc := range w.Snapshot().Scanners {
		if sc.Name == "drop" && (sc.State != "connected" || sc.LastError != "") {
			t.Errorf("drop after reconnect: %+v", sc)
		}
		if sc.Name == "desk" && !sc.LastScan.Equal(at) {
			t.Errorf("desk lost its last scan: %+v", sc)
		}
	}
}

// TestStatusWriterRun: the file exists as soon as Run starts, follows
// changes within the interval, never holds a patron ID, and says stopped
// at the end.
func TestStatusWriterRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "st", FileName)
	w := NewWriter(WriterOptions{Path: path, Version: "v9", Station: "desk-1", Mode: "loan", Interval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	waitFor(t, func() bool { s, err := Read(path); return err == nil && s.State == Running })
	w.Station(station.State{Mode: station.ModeLoan, PatronPresent: true, ItemsInSession: 1})
	w.Store(store.Status{Appended: 1})
	waitFor(t, func() bool { s, _ := Read(path); return s.PatronPresent && s.RecordsTotal == 1 })

	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	s, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != Stopped || s.PID != os.Getpid() || s.Version != "v9" || s.Station != "desk-1" {
		t.Errorf("final status %+v", s)
	}
	raw, _ := os.ReadFile(path)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"patron", "patron_id"} {
		if _, ok := m[k]; ok {
			t.Errorf("status file has a %q key", k)
		}
	}
}

// TestStatusWriterCoalesces: a burst of changes is written at most once per
// interval, not once per change.
func TestStatusWriterCoalesces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	w := NewWriter(WriterOptions{Path: path, Interval: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	waitFor(t, func() bool { _, err := os.Stat(path); return err == nil })
	first, _ := os.Stat(path)
	writes := 0
	last := first.ModTime()
	start := time.Now()
	for i := range 200 {
		w.Store(store.Status{Appended: int64(i + 1)})
		if fi, err := os.Stat(path); err == nil && !fi.ModTime().Equal(last) {
			writes++
			last = fi.ModTime()
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	cancel()
	<-done
	if max := int(elapsed/(50*time.Millisecond)) + 2; writes > max {
		t.Errorf("%d writes during a %v burst, want at most %d", writes, elapsed, max)
	}
	if s, _ := Read(path); s.RecordsTotal != 200 || s.State != Stopped {
		t.Errorf("final: total %d state %s", s.RecordsTotal, s.State)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 3s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func FuzzReadStatusFile(f *testing.F) {
	f.Add([]byte(`{"state":"running","pid":1,"scanners":[{"name":"a"}]}`))
	f.Add([]byte(`{`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), FileName)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Skip()
		}
		s, err := Read(path)
		if err != nil {
			return
		}
		// Whatever parsed writes back and reads the same.
		if err := Write(path, s); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(path); err != nil {
			t.Fatalf("rewritten status unreadable: %v", err)
		}
	})
}

func BenchmarkWriteStatusFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), FileName)
	s := Status{State: Running, Scanners: []Scanner{{Name: "desk", State: "connected"}, {Name: "drop", State: "waiting"}}}
	for b.Loop() {
		if err := Write(path, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStatusWriterStore is the cost the status file adds to each
// station event (the hook runs on the station goroutine).
func BenchmarkStatusWriterStore(b *testing.B) {
	w := NewWriter(WriterOptions{Path: filepath.Join(b.TempDir(), FileName)})
	var n int64
	for b.Loop() {
		n++
		w.Store(store.Status{Appended: n})
	}
}
