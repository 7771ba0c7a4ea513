package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/clock"
	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/daemon/station"
	"github.com/offcircd/offcircd/daemon/store"
	"github.com/offcircd/offcircd/devices"
	// Every transport, so FromConfig builds each scanner type by name.
	_ "github.com/offcircd/offcircd/devices/all"
	"github.com/offcircd/offcircd/encoder"
)

// Options are what a daemon needs besides its configuration.
type Options struct {
	Logger *slog.Logger
	// Sources are added to the configured scanners (the console of a
	// config-less `offcircd run`).
	Sources []devices.Source
	// Sinks are added to the configured [[beeper]] sinks.
	Sinks []feedback.Sink
	// UntilDone ends the run once every source has stopped (a replay played
	// to its end, a console at end of input) and all feedback was played.
	UntilDone bool
	// OnReady is called once every source was started (opened or waiting).
	OnReady func()
	// OnStation and OnStore receive state snapshots (the status file);
	// OnStore is called on spool changes and after every station event.
	OnStation func(station.State)
	OnStore   func(store.Status)
	// OnClock receives each change of the clock's state (behind or ok).
	OnClock func(clock.Report)
}

// eventBuffer lets a burst of scans from several scanners queue while one
// record is being fsynced; devices block (they do not drop) when it is full.
const eventBuffer = 256

// ErrClock is reported when the station clock is before 2000: records would
// carry impossible dates (an unset real-time clock on a kiosk).
var ErrClock = errors.New("system clock is before 2000-01-01: set the clock (records would carry impossible dates)")

// Daemon is a station built from its configuration: sources, station, store
// and feedback, ready to run. Build it with New, then call Run once.
type Daemon struct {
	cfg     *config.Config
	log     *slog.Logger
	opts    Options
	sources []devices.Source
	failed  int // configured scanners that could not be built
	fb      *feedback.Dispatcher
	store   *store.Store
	station *station.Station
	alarm   *storeAlarm
	clock   *clock.Watch
	onClock func(clock.Report)
	// clockBehind is the last clock state reported (clockReport runs at
	// start, then on the clock goroutine only).
	clockBehind, clockKnown bool
	close                   sync.Once
}

// New builds the daemon: feedback, store, station and sources. It fails on
// what the station cannot run without (the store, the patterns); a missing
// or broken scanner never fails it: it is logged and, when present, retried
// by its source while running.
func New(cfg *config.Config, opts Options) (*Daemon, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Daemon{cfg: cfg, log: log, opts: opts}
	if now := time.Now(); now.Before(encoder.MinTime) {
		log.Error("CLOCK NOT SET: every scan will be refused until it is", "now", now, "err", ErrClock)
	}

	patterns, err := feedback.Patterns(cfg)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	sinks, _ := feedback.NewSinks(cfg, log.With("component", "feedback")) // warnings logged there, once
	sinks = append(sinks, opts.Sinks...)

	d.sources = append([]devices.Source(nil), opts.Sources...)
	configured, failed := devices.FromConfig(cfg, log)
	for _, err := range failed {
		log.Error("scanner disabled", "err", err)
	}
	d.failed = len(failed)
	d.sources = append(d.sources, configured...)
	var scannerSinks []feedback.Sink
	beepProfile := map[string]string{}
	for _, sc := range cfg.Scanners {
		beepProfile[sc.Name] = sc.Beep
	}
	for _, src := range d.sources {
		if b, ok := src.(devices.Beeper); ok && beepProfile[src.Name()] != "" && beepProfile[src.Name()] != "none" {
			scannerSinks = append(scannerSinks, feedback.ScannerSink(src.Name(), b))
		}
	}
	if len(d.sources) == 0 {
		log.Warn("no scanners configured: nothing will be read (add a [[scanner]] table, see `offcircd config`)")
	}

	fb := feedback.NewDispatcher(feedback.Options{
		Sinks: sinks, Scanners: scannerSinks, Patterns: patterns,
		AlarmInterval: cfg.AlarmInterval.Duration, Logger: log.With("component", "feedback"),
	})
	d.fb = fb
	// The dispatcher exists before the store, so the store's status
	// callback (from its drain goroutine) always has an alarm to drive.
	alarm := newStoreAlarm(fb)
	st, err := store.Open(store.Options{
		DataDir: cfg.DataDir, FileName: cfg.FileName, StateDir: cfg.StateDir, FileMode: cfg.Mode(),
		WriteTimeout: cfg.WriteTimeout.Duration,
		Logger:       log.With("component", "store"),
		OnStatus: func(s store.Status) {
			alarm.set(s)
			if opts.OnStore != nil {
				opts.OnStore(s)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	d.store = st
	// Report at once what Open found (records spooled by an earlier run, a
	// data folder that fails): the alarm and the first status file must not
	// say healthy until the store's first change.
	st.Report()

	onChange := opts.OnStation
	if opts.OnStore != nil {
		// The store reports only spool changes; a snapshot after each station
		// event also carries every append and undo to the status file.
		onChange = func(s station.State) {
			if opts.OnStation != nil {
				opts.OnStation(s)
			}
			st.Report() // ordered with the store's own reports: never a stale spool state
		}
	}
	var history *station.History
	if cfg.PatronPattern == "" && cfg.ItemPattern == "" {
		// No patterns: what the station's own files know a barcode as
		// decides before the workflow guesses.
		history, _ = withinBound(log, "history", func() *station.History {
			return station.LoadHistory(cfg.DataPath(), store.SpoolPath(cfg.StateDir),
				filepath.Join(cfg.DataDir, store.ArchiveDir), log.With("component", "station"))
		})
	}
	d.alarm = alarm
	loc, _ := cfg.Location()
	newest, _ := withinBound(log, "newest record time", func() time.Time {
		return clock.NewestOwn(loc, cfg.StateDir)
	})
	d.clock = clock.Open(cfg.StateDir, newest, nil, log.With("component", "clock"))
	d.onClock = opts.OnClock
	d.clockReport(d.clock.Check())
	d.station, err = station.New(cfg, station.Options{Store: st, Feedback: fb, Logger: log.With("component", "station"), OnChange: onChange, History: history})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("daemon: %w", err)
	}
	return d, nil
}

// startReadBound is how long start-up waits for reading the data folder
// (history) and the spool (newest record time): a hung network share must
// not keep the station from starting; it starts without that help instead.
const startReadBound = 3 * time.Second

// withinBound runs read, giving up after startReadBound (the read goes on
// in the background and its result is dropped).
func withinBound[T any](log *slog.Logger, what string, read func() T) (T, bool) {
	done := make(chan T, 1)
	go func() { done <- read() }()
	select {
	case v := <-done:
		return v, true
	case <-time.After(startReadBound):
		log.Warn("start: reading the data folder did not return in time; going on without it", "what", what)
		var zero T
		return zero, false
	}
}

// clockInterval is how often the running station compares its wall clock
// with the newest time it has seen.
const clockInterval = 5 * time.Second

// clockReport raises or clears the clock alarm, logging each change
// (`offcircd status` shows the same from state_dir and the files).
func (d *Daemon) clockReport(r clock.Report) {
	behind := r.Behind > 0
	if behind == d.clockBehind && d.clockKnown {
		return
	}
	d.clockBehind, d.clockKnown = behind, true
	if d.onClock != nil {
		d.onClock(r)
	}
	if behind {
		d.log.Error("CLOCK BEHIND: "+r.String()+"; records keep the wall time; fix: "+clock.Fix,
			"behind", clock.Round(r.Behind), "newest", r.Newest)
	} else {
		d.log.Info("clock ok", "newest_seen", r.Newest)
	}
	d.alarm.setClock(behind)
}

// Close releases what New acquired (the store). Run closes it itself; call
// Close only for a daemon that is never run.
func (d *Daemon) Close() error {
	var err error
	d.close.Do(func() { err = d.store.Close() })
	return err
}

// Run runs the station: devices → station → store, feedback on the side,
// until ctx is cancelled (or, with UntilDone, the sources ended). Missing
// scanners never fail the run: they are logged and retried by their source.
func (d *Daemon) Run(ctx context.Context) error {
	log, st, fb := d.log, d.store, d.fb
	defer d.Close()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var bg sync.WaitGroup // store drain and feedback: stop last
	bgCtx, bgCancel := context.WithCancel(context.Background())
	bg.Add(3)
	go func() { defer bg.Done(); st.Run(bgCtx) }()
	go func() { defer bg.Done(); fb.Run(bgCtx) }()
	go func() { defer bg.Done(); d.clock.Run(bgCtx, clockInterval, d.clockReport) }()
	defer func() { bgCancel(); bg.Wait() }()

	events := make(chan devices.Event, eventBuffer)
	wd := newWatchdog(log, d.station.BusySince)
	go wd.Run(runCtx)
	srcsDone := make(chan struct{})
	go func() {
		defer close(srcsDone)
		devices.RunAll(runCtx, d.sources, events, func(src devices.Source, err error) {
			log.Error("scanner stopped", "scanner", src.Name(), "err", err)
			select {
			case events <- devices.Event{Kind: devices.KindState, Source: src.Name(), Time: time.Now(), State: devices.StateError, Err: err}:
			case <-runCtx.Done():
			}
		})
	}()
	if d.opts.OnReady != nil {
		d.opts.OnReady()
	}
	notifyReady(log)
	log.Info("offcircd running", "station", d.cfg.Station, "data_file", st.Path(), "scanners", len(d.sources), "failed", d.failed)

	stationDone := make(chan struct{})
	go func() {
		defer close(stationDone)
		d.station.Run(runCtx, events)
	}()
	if d.opts.UntilDone {
		go func() {
			<-srcsDone
			close(events) // the station handles what is queued, then returns
		}()
		select {
		case <-stationDone:
			// Let the feedback of the last scans play before stopping.
			fb.Wait(ctx)
		case <-ctx.Done():
		}
		cancel()
	} else {
		<-ctx.Done()
	}
	notifyStopping(log)
	<-stationDone
	cancel()
	<-srcsDone
	log.Info("offcircd stopped", "records", st.Status().Appended)
	return nil
}
