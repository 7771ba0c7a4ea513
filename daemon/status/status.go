package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/clock"
	"github.com/offcircd/offcircd/daemon/station"
	"github.com/offcircd/offcircd/daemon/store"
	"github.com/offcircd/offcircd/internal/atomicfile"

	"github.com/offcircd/offcircd/internal/privdir"
)

// FileName is the status file's name inside state_dir.
const FileName = config.StatusFileName

// Daemon states written to the status file.
const (
	Running = "running"
	Stopped = "stopped"
)

// DefaultInterval coalesces bursts of changes (a book drop emptied
// onto a scanner) into at most one status write per interval.
const DefaultInterval = 200 * time.Millisecond

// ErrNoStatus means no status file exists: the daemon never ran with this
// state_dir.
var ErrNoStatus = errors.New("status: no status file")

// Status is the content of the status file: what a supervisor or a
// monitoring script wants to know about a station without reading logs.
// It never holds a patron ID, only whether a patron session is open.
type Status struct {
	Version        string    `json:"version"`
	Station        string    `json:"station"`
	PID            int       `json:"pid"`
	State          string    `json:"state"` // running | stopped
	StartedAt      time.Time `json:"started_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	Mode           string    `json:"mode"`
	PatronPresent  bool      `json:"patron_present"`
	ItemsInSession int       `json:"items_in_session"`
	Scanners       []Scanner `json:"scanners"`
	DataFile       string    `json:"data_file"`
	// Day is the local date RecordsToday counts for (YYYY-MM-DD), so a
	// restart on the same day carries the count on.
	Day            string `json:"day"`
	RecordsToday   int64  `json:"records_today"`
	RecordsTotal   int64  `json:"records_total"` // since the state_dir was created
	ReturnsToday   int64  `json:"returns_today"` // of RecordsToday, the returns (the rest are loans)
	ReturnsTotal   int64  `json:"returns_total"` // of RecordsTotal, the returns
	SpoolDepth     int    `json:"spool_depth"`
	Degraded       bool   `json:"degraded"` // the alarm sounds: see LastWriteError
	LastWriteError string `json:"last_write_error"`
	// NotStored: the last record could be stored nowhere (scan refused with
	// not-stored); DamagedSpool names side files of damaged spool lines.
	NotStored    bool     `json:"not_stored"`
	DamagedSpool []string `json:"damaged_spool,omitempty"`
	// ClockBehindSeconds: how far the wall clock was behind the newest time
	// the station had seen when it noticed (0: the clock is fine).
	ClockBehindSeconds float64 `json:"clock_behind_seconds"`
}

// Scanner is one scanner (or keypad) in the status file.
type Scanner struct {
	Name      string    `json:"name"`
	State     string    `json:"state"` // connected | waiting | error | stopped | "" (not reported yet)
	LastError string    `json:"last_error,omitempty"`
	LastScan  time.Time `json:"last_scan,omitzero"`
}

// Read reads a status file written by a Writer.
func Read(path string) (Status, error) {
	var s Status
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, fmt.Errorf("%w: %s", ErrNoStatus, path)
	}
	if err != nil {
		return s, fmt.Errorf("status: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("status: %s: %w", path, err)
	}
	return s, nil
}

// Write writes s to path atomically (temp file, fsync, rename), so a reader
// never sees a half-written file and a crash leaves the previous one.
func Write(path string, s Status) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	b = append(b, '\n')
	if err := privdir.MkdirAll(filepath.Dir(path)); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	// No patron data inside: readable by anyone who may run `offcircd status`.
	err = atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	return nil
}

// WriterOptions configure a Writer.
type WriterOptions struct {
	Path     string   // the status file, normally state_dir/status.json
	Version  string   // the offcircd version
	Station  string   // the station name
	DataFile string   // the data file path
	Mode     string   // the mode before the station reports (default_mode)
	Scanners []string // configured scanner names, listed before they report
	Location *time.Location
	Interval time.Duration // default DefaultInterval
	// MetricsFile, when set, is rewritten with the status in the Prometheus
	// text format each time the status file is (WriteMetrics).
	MetricsFile string
	Now         func() time.Time
	Logger      *slog.Logger
	// WriteFile writes the status file (Write when nil); a test gives one
	// that blocks, as an fsync on a hung disk does.
	WriteFile func(path string, s Status) error
}

// Writer keeps the status file up to date: the daemon's hooks feed it
// snapshots (Station, Store) and Run writes the file, at most once per
// interval, and a last time with state "stopped" when it ends.
type Writer struct {
	path     string
	interval time.Duration
	now      func() time.Time
	loc      *time.Location
	log      *slog.Logger

	mu       sync.Mutex
	st       Status
	appended int64 // the store's Appended counter last seen
	returns  int64 // the store's Returns counter last seen
	metrics  string
	// metricsErr is of the last metrics write; only Run's goroutine touches it.
	metricsErr error
	dirty      chan struct{}
	lastErr    error // of the last write; only Run's goroutine touches it
	writeFile  func(path string, s Status) error
}

// NewWriter prepares a writer. A status file left by an earlier run is
// read so the day's and the lifetime record counts survive a restart.
func NewWriter(o WriterOptions) *Writer {
	w := &Writer{path: o.Path, interval: o.Interval, now: o.Now, loc: o.Location, log: o.Logger, metrics: o.MetricsFile, dirty: make(chan struct{}, 1)}
	if w.interval <= 0 {
		w.interval = DefaultInterval
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.writeFile = o.WriteFile; w.writeFile == nil {
		w.writeFile = Write
	}
	if w.loc == nil {
		w.loc = time.Local
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	now := w.now()
	w.st = Status{
		Version: o.Version, Station: o.Station, PID: os.Getpid(), State: Running,
		StartedAt: now, UpdatedAt: now, Mode: o.Mode, DataFile: o.DataFile,
		Day: now.In(w.loc).Format(time.DateOnly), Scanners: []Scanner{},
	}
	for _, name := range o.Scanners {
		w.st.Scanners = append(w.st.Scanners, Scanner{Name: name})
	}
	if prev, err := Read(o.Path); err == nil {
		w.st.RecordsTotal, w.st.ReturnsTotal = prev.RecordsTotal, prev.ReturnsTotal
		if prev.Day == w.st.Day {
			w.st.RecordsToday, w.st.ReturnsToday = prev.RecordsToday, prev.ReturnsToday
		}
	} else if !errors.Is(err, ErrNoStatus) {
		w.log.Warn("previous status file unreadable; record counts start at zero", "err", err)
	}
	return w
}

// Station takes a station snapshot (the daemon's OnStation hook).
func (w *Writer) Station(s station.State) {
	w.mu.Lock()
	w.st.Mode = string(s.Mode)
	w.st.PatronPresent = s.PatronPresent
	w.st.ItemsInSession = s.ItemsInSession
	names := map[string]bool{}
	for _, sc := range w.st.Scanners {
		names[sc.Name] = true
	}
	for n := range s.LastScan {
		names[n] = true
	}
	for n := range s.Devices {
		names[n] = true
	}
	for n := range s.DeviceErrors {
		names[n] = true
	}
	byName := map[string]Scanner{}
	for _, sc := range w.st.Scanners {
		byName[sc.Name] = sc
	}
	scanners := make([]Scanner, 0, len(names))
	for n := range names {
		sc := byName[n]
		sc.Name = n
		if st, ok := s.Devices[n]; ok {
			sc.State = string(st)
		}
		sc.LastError = s.DeviceErrors[n]
		if t, ok := s.LastScan[n]; ok {
			sc.LastScan = t
		}
		scanners = append(scanners, sc)
	}
	slices.SortFunc(scanners, func(a, b Scanner) int { return strings.Compare(a.Name, b.Name) })
	w.st.Scanners = scanners
	w.mu.Unlock()
	w.touch()
}

// Store takes a store snapshot (the daemon's OnStore hook). Records are
// counted from the growth of Appended, so an undo takes one back.
func (w *Writer) Store(s store.Status) {
	w.mu.Lock()
	w.rollDay()
	delta, rdelta := s.Appended-w.appended, s.Returns-w.returns
	w.appended, w.returns = s.Appended, s.Returns
	w.st.RecordsToday = max(0, w.st.RecordsToday+delta)
	w.st.RecordsTotal = max(0, w.st.RecordsTotal+delta)
	w.st.ReturnsToday = min(w.st.RecordsToday, max(0, w.st.ReturnsToday+rdelta))
	w.st.ReturnsTotal = min(w.st.RecordsTotal, max(0, w.st.ReturnsTotal+rdelta))
	w.st.SpoolDepth = s.SpoolDepth
	w.st.Degraded = s.Degraded
	w.st.LastWriteError = s.LastError
	w.st.NotStored = s.NotStored
	w.st.DamagedSpool = s.Damaged
	w.mu.Unlock()
	w.touch()
}

// Clock takes a change of the clock's state (the daemon's OnClock hook).
func (w *Writer) Clock(r clock.Report) {
	w.mu.Lock()
	w.st.ClockBehindSeconds = max(0, r.Behind.Seconds())
	w.mu.Unlock()
	w.touch()
}

// rollDay resets the day's count after local midnight. Callers hold mu.
func (w *Writer) rollDay() {
	if day := w.now().In(w.loc).Format(time.DateOnly); day != w.st.Day {
		w.st.Day, w.st.RecordsToday, w.st.ReturnsToday = day, 0, 0
	}
}

func (w *Writer) touch() {
	select {
	case w.dirty <- struct{}{}:
	default:
	}
}

// Snapshot returns the current status.
func (w *Writer) Snapshot() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.st
	s.Scanners = slices.Clone(w.st.Scanners)
	return s
}

// Run writes the status file now, then after each change (at most once per
// interval), and once more with state "stopped" when ctx ends. Cancel it
// only after the daemon has stopped, so "stopped" is the last word. Write
// failures are logged, never fatal: the status file is informational.
func (w *Writer) Run(ctx context.Context) error {
	w.flush()
	// Sleep until something changes: an idle kiosk must cost nothing, so no
	// ticker. A change arms one write after interval (coalescing a burst);
	// a midnight timer rolls "records today" over.
	var flushC <-chan time.Time
	midnight := time.NewTimer(w.untilMidnight())
	defer midnight.Stop()
	for {
		select {
		case <-ctx.Done():
			w.mu.Lock()
			w.st.State = Stopped
			// The session lived in the stopped daemon's memory: none is open.
			w.st.PatronPresent, w.st.ItemsInSession = false, 0
			w.mu.Unlock()
			return w.flush()
		case <-w.dirty:
			if flushC == nil {
				flushC = time.After(w.interval)
			}
		case <-flushC:
			flushC = nil
			w.mu.Lock()
			w.rollDay()
			w.mu.Unlock()
			w.flush()
		case <-midnight.C:
			w.mu.Lock()
			w.rollDay()
			w.mu.Unlock()
			w.flush()
			midnight.Reset(w.untilMidnight())
		}
	}
}

// untilMidnight is the wait until just after the next local midnight.
func (w *Writer) untilMidnight() time.Duration {
	now := w.now().In(w.loc)
	next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 1, 0, w.loc)
	return next.Sub(now)
}

func (w *Writer) flush() error {
	w.mu.Lock()
	w.st.UpdatedAt = w.now()
	s := w.st
	s.Scanners = slices.Clone(w.st.Scanners)
	w.mu.Unlock()
	err := w.writeFile(w.path, s)
	w.lastErr = logChange(w.log, "status file", w.path, w.lastErr, err)
	if w.metrics != "" {
		w.metricsErr = logChange(w.log, "metrics file", w.metrics, w.metricsErr, WriteMetrics(w.metrics, s))
	}
	return err
}

// logChange logs a write failure once, not on every change (a read-only
// state_dir is already reported loudly by the store), and the recovery;
// it returns err, the new last error.
func logChange(log *slog.Logger, what, path string, last, err error) error {
	if err != nil && (last == nil || last.Error() != err.Error()) {
		log.Warn(what+" not written", "err", err)
	} else if err == nil && last != nil {
		log.Info(what+" written again", "path", path)
	}
	return err
}
