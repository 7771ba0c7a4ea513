// Package clock notices a wall clock that is behind what the station has
// already seen: a Raspberry Pi without a clock battery boots, without a
// network, with the time of its last shutdown (or of its image), and every
// record it writes would carry that stale time without a sound.
//
// The station keeps the newest wall time it has seen in state_dir/clock and
// knows the newest record time of its spool. A wall clock behind either, at
// start or while running, raises the clock alarm and shows in `offcircd
// status`. The data file is not read for this: stations may share one, and
// another station's clock running ahead is not this station's clock being
// behind (it would sound this station's alarm for nothing). What this
// station wrote to the data file is covered by state_dir/clock, which is
// saved at the first check of every minute: never more than a check
// interval behind the minute of a record the station wrote. Records are still written with the wall time:
// a scan is never lost, and nothing is invented (`offcircd check` flags
// the times that go backwards).
package clock

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/encoder"
	"github.com/offcircd/offcircd/internal/atomicfile"
)

// FileName is the file in state_dir that holds the newest wall time seen.
const FileName = config.ClockFileName

// Tolerance is how far the wall clock may be behind before it counts: a
// clock slewed by NTP or a record stamped in the current minute is not an
// alarm.
const Tolerance = 2 * time.Second

// saveEvery is how often the newest time seen is written to state_dir: at
// the first check of each new minute, so the saved time is not behind the
// minute of the records written before it (they carry minutes), and a power
// cut loses no more of it than the time since that check.
const saveEvery = time.Minute

// Fix is what a person does about a clock that is behind.
const Fix = "set the clock (Linux: timedatectl set-time 'YYYY-MM-DD HH:MM:SS' as root; Windows: Settings > Time & language) " +
	"or give the station a time source (a network time server, or a real-time clock module with a battery); records keep the wall time until then"

// Report is the state of the clock.
type Report struct {
	Behind time.Duration // > 0: the wall clock is behind Newest
	Newest time.Time     // the newest time the station has seen
	Source string        // what Newest comes from: "records" (the spool) or "station"
}

// String describes a clock that is behind, for logs and status.
func (r Report) String() string {
	if r.Behind <= 0 {
		return "ok"
	}
	what := "the newest time this station has seen"
	if r.Source == "records" {
		what = "the newest record in this station's spool"
	}
	return fmt.Sprintf("clock behind by %s: the wall clock is before %s (%s)", Round(r.Behind), what, r.Newest.Format(time.RFC3339))
}

// Round shortens a duration for people: seconds below an hour, minutes
// above ("2h5m", "7m32s").
func Round(d time.Duration) string {
	if d >= time.Hour {
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
	return d.Round(time.Second).String()
}

// Watch compares the wall clock with the newest time seen.
type Watch struct {
	mu     sync.Mutex
	path   string
	now    func() time.Time
	newest time.Time
	source string
	saved  time.Time
	log    *slog.Logger
}

// Open starts a watch from state_dir's clock file and the newest record
// time (zero when unknown). now defaults to time.Now.
func Open(stateDir string, newestRecord time.Time, now func() time.Time, log *slog.Logger) *Watch {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Watch{path: filepath.Join(stateDir, FileName), now: now, log: log}
	if t, err := ReadFile(stateDir); err == nil {
		w.newest, w.source, w.saved = t, "station", t
	}
	if !newestRecord.IsZero() && !newestRecord.Before(w.newest) {
		w.newest, w.source = newestRecord, "records"
	}
	return w
}

// ReadFile returns the newest wall time saved in stateDir.
func ReadFile(stateDir string) (time.Time, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, FileName))
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		return time.Time{}, fmt.Errorf("clock: %s: %w", FileName, err)
	}
	return t, nil
}

// Check compares the wall clock with the newest time seen; a wall clock
// ahead becomes the newest (and is saved now and then).
func (w *Watch) Check() Report {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now().Round(0) // the wall clock, not the monotonic one
	if r := w.peekLocked(now); r.Behind > 0 {
		return r
	}
	if now.After(w.newest) {
		w.newest, w.source = now, "station"
	}
	if w.newest.Truncate(saveEvery).After(w.saved) {
		w.saveLocked()
	}
	return Report{Newest: w.newest, Source: w.source}
}

// Peek is Check without learning anything (offcircd status).
func (w *Watch) Peek() Report {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peekLocked(w.now().Round(0))
}

func (w *Watch) peekLocked(now time.Time) Report {
	r := Report{Newest: w.newest, Source: w.source}
	if behind := w.newest.Sub(now); behind > Tolerance {
		r.Behind = behind
	}
	return r
}

// Save writes the newest time seen to state_dir (at stop).
func (w *Watch) Save() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.newest.Equal(w.saved) {
		w.saveLocked()
	}
}

func (w *Watch) saveLocked() {
	t := w.newest
	err := atomicfile.Write(w.path, 0o640, func(f io.Writer) error {
		_, err := fmt.Fprintln(f, t.Format(time.RFC3339Nano))
		return err
	})
	if err != nil {
		w.log.Warn("clock: cannot save the newest time seen", "err", err)
		return
	}
	w.saved = t
}

// Run checks every interval until ctx ends and calls report with every
// result while the clock is behind and on every change; it saves the
// newest time seen at the end.
func (w *Watch) Run(ctx context.Context, every time.Duration, report func(Report)) {
	defer w.Save()
	t := time.NewTicker(every)
	defer t.Stop()
	wasBehind := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r := w.Check()
		if behind := r.Behind > 0; behind || behind != wasBehind {
			wasBehind = behind
			report(r)
		}
	}
}

// NewestOwn returns the newest record time among the records only this
// station holds: those in its spool (state_dir). It is what Open compares
// the wall clock with, besides state_dir/clock; see the package comment for
// why the data file is not among them.
func NewestOwn(loc *time.Location, stateDir string) time.Time {
	return NewestRecord(loc, filepath.Join(stateDir, config.SpoolFileName))
}

// NewestRecord returns the newest record time in the files (data files or
// spools; lines of a spool start with a checksum), reading only
// each file's last tailBytes: records are appended in time order, and a
// clock stepped back shows at the end. Missing files count as empty.
func NewestRecord(loc *time.Location, paths ...string) time.Time {
	var newest time.Time
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if fi, err := f.Stat(); err == nil && fi.Size() > tailBytes {
			f.Seek(fi.Size()-tailBytes, io.SeekStart)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), encoder.MaxLineLen)
		for sc.Scan() {
			line := sc.Bytes()
			if len(line) > 9 && line[8] == ' ' {
				line = line[9:] // spool checksum
			}
			if r, err := encoder.ParseLine(line, loc); err == nil && r.Time.After(newest) {
				newest = r.Time
			}
		}
		f.Close()
	}
	return newest
}

// tailBytes is how much of a data file's end NewestRecord reads.
const tailBytes = 64 << 10
