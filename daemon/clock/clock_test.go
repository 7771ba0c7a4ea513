package clock

import (
	"context"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeNow is a wall clock a test sets.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time  { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) set(t time.Time) { f.mu.Lock(); f.t = t; f.mu.Unlock() }

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func TestWatch(t *testing.T) {
	tests := []struct {
		name   string
		saved  time.Time // state_dir/clock; zero: none
		record time.Time // newest record; zero: none
		steps  []struct {
			at     time.Time
			behind time.Duration
		}
		source string
	}{
		{name: "fresh station: nothing to compare", steps: steps(t0, 0)},
		{name: "boot with the time of the last shutdown", saved: t0.Add(3 * time.Hour), steps: steps(t0, 3*time.Hour), source: "station"},
		{name: "records newer than the clock", record: t0.Add(30 * time.Minute), saved: t0.Add(time.Minute), steps: steps(t0, 30*time.Minute), source: "records"},
		{name: "within the tolerance", saved: t0.Add(Tolerance), steps: steps(t0, 0)},
		{name: "stepped back while running, then set right", steps: steps(
			t0, 0,
			t0.Add(10*time.Minute), 0,
			t0.Add(4*time.Minute), 6*time.Minute, // stepped back
			t0.Add(9*time.Minute), time.Minute,
			t0.Add(11*time.Minute), 0, // caught up
		), source: "station"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if !tt.saved.IsZero() {
				if err := os.WriteFile(filepath.Join(dir, FileName), []byte(tt.saved.Format(time.RFC3339Nano)+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			clk := &fakeNow{t: t0}
			w := Open(dir, tt.record, clk.now, nil)
			var last Report
			for i, s := range tt.steps {
				clk.set(s.at)
				last = w.Check()
				if last.Behind != s.behind {
					t.Fatalf("step %d at %v: behind %v, want %v (%s)", i, s.at.Format(time.TimeOnly), last.Behind, s.behind, last)
				}
				if s.behind > 0 && !strings.Contains(last.String(), "clock behind by "+Round(s.behind)) {
					t.Errorf("report %q", last)
				}
			}
			if tt.source != "" && last.Source != tt.source && last.Behind > 0 {
				t.Errorf("source %q, want %q", last.Source, tt.source)
			}
		})
	}
}

// steps pairs times with the expected lag.
func steps(a ...any) []struct {
	at     time.Time
	behind time.Duration
} {
	var out []struct {
		at     time.Time
		behind time.Duration
	}
	for i := 0; i < len(a); i += 2 {
		out = append(out, struct {
			at     time.Time
			behind time.Duration
		}{a[i].(time.Time), toDuration(a[i+1])})
	}
	return out
}

// TestWatchSavesAndRestarts: the newest time seen survives a restart (a
// reboot without a clock battery), saved at most a minute behind.
func TestWatchSavesAndRestarts(t *testing.T) {
	dir := t.TempDir()
	clk := &fakeNow{t: t0}
	w := Open(dir, time.Time{}, clk.now, nil)
	for m := range 5 {
		clk.set(t0.Add(time.Duration(m) * time.Minute))
		w.Check()
	}
	saved, err := ReadFile(dir)
	if err != nil || saved.Before(t0.Add(3*time.Minute)) {
		t.Fatalf("saved %v %v", saved, err)
	}
	clk.set(t0.Add(4*time.Minute + 30*time.Second))
	w.Check()
	w.Save()
	clk.set(t0) // the reboot
	if r := Open(dir, time.Time{}, clk.now, nil).Check(); r.Behind != 4*time.Minute+30*time.Second {
		t.Fatalf("after restart: %s", r)
	}
}

// TestWatchSavesEachMinute: the saved time is never behind the minute of
// a record written before the last check, so a power cut right after a
// record leaves the clock file at least at the record's minute (the data
// file is not read at start: it may hold other stations' lines).
func TestWatchSavesEachMinute(t *testing.T) {
	dir := t.TempDir()
	clk := &fakeNow{t: t0.Add(58 * time.Second)}
	w := Open(dir, time.Time{}, clk.now, nil)
	w.Check()
	clk.set(t0.Add(time.Minute + 3*time.Second)) // a record stamped 09:01, then the power cut
	w.Check()
	if saved, err := ReadFile(dir); err != nil || saved.Before(t0.Add(time.Minute)) {
		t.Fatalf("saved %v (%v), want at least the record's minute %v", saved, err, t0.Add(time.Minute))
	}
	clk.set(t0.Add(time.Minute + 20*time.Second))
	w.Check()
	if saved, _ := ReadFile(dir); !saved.Equal(t0.Add(time.Minute + 3*time.Second)) {
		t.Errorf("saved %v again within the minute: one save a minute", saved)
	}
}

// TestRunReportsChanges: Run reports while behind and on the way back.
func TestRunReportsChanges(t *testing.T) {
	dir := t.TempDir()
	clk := &fakeNow{t: t0}
	w := Open(dir, t0.Add(time.Hour), clk.now, nil)
	got := make(chan Report, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx, time.Millisecond, func(r Report) { got <- r }); close(done) }()
	if r := <-got; r.Behind != time.Hour {
		t.Fatalf("first report %s", r)
	}
	clk.set(t0.Add(2 * time.Hour))
	for r := range got {
		if r.Behind == 0 {
			break
		}
	}
	cancel()
	<-done
	if saved, err := ReadFile(dir); err != nil || !saved.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("saved at stop: %v %v", saved, err)
	}
}

func TestNewestRecord(t *testing.T) {
	dir := t.TempDir()
	pad := func(s string) string { return s + strings.Repeat(" ", 93-len(s)) }
	var data strings.Builder
	for i := range 2000 { // more than the tail that is read
		fmt.Fprintf(&data, "%s\r\n", pad(fmt.Sprintf("2026030108%02dR%d", i%60, i)))
	}
	data.WriteString(pad("202603011000R9") + "\r\n")
	data.WriteString(pad("202603010930R10") + "\r\n") // a clock stepped back: not the newest
	spool := pad("202603011015R11") + "\r\n"
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	df := write("OffCirc.dat", data.String())
	sp := write("spool.dat", fmt.Sprintf("%08x %s", crc32.ChecksumIEEE([]byte(spool)), spool))
	if got := NewestRecord(time.UTC, df); !got.Equal(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("data file: %v", got)
	}
	if got := NewestRecord(time.UTC, df, sp, filepath.Join(dir, "missing")); !got.Equal(time.Date(2026, 3, 1, 10, 15, 0, 0, time.UTC)) {
		t.Fatalf("with the spool: %v", got)
	}
}

func toDuration(v any) time.Duration {
	if d, ok := v.(time.Duration); ok {
		return d
	}
	return time.Duration(v.(int))
}
