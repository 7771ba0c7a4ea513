package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon"
	"github.com/offcircd/offcircd/daemon/clock"
	"github.com/offcircd/offcircd/daemon/feedback"
	offsvc "github.com/offcircd/offcircd/daemon/service"
	"github.com/offcircd/offcircd/daemon/station"
	"github.com/offcircd/offcircd/daemon/status"
	"github.com/offcircd/offcircd/daemon/store"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/console"
	"github.com/offcircd/offcircd/internal/privdir"
)

// runFlags are the flags of `offcircd run`.
type runFlags struct {
	config    string
	logFormat string
	logLevel  string
	untilDone bool
}

func init() {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [--config FILE]",
		Short: "run the station in the foreground (what the service runs)",
		Long: `Run reads the configured scanners, decides loans and returns, writes each record
durably to the data file and beeps. Without --config it uses built-in defaults for trying it
out: data in ./OffCirc/files, state in ./OffCirc/state, and the terminal as a scanner (type a
patron ID, then item barcodes, each followed by Enter).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDaemon(cmd, f) },
	}
	cmd.Flags().StringVarP(&f.config, "config", "c", "", "configuration file (TOML)")
	cmd.Flags().StringVar(&f.logFormat, "log-format", "text", "log format: text | json")
	cmd.Flags().StringVar(&f.logLevel, "log-level", "", "log level: debug | info | warn | error (default: the config's log_level)")
	cmd.Flags().BoolVar(&f.untilDone, "until-done", false, "exit once every scanner has stopped (replays finished, console input ended)")
	rootCmd.AddCommand(cmd)
}

func runDaemon(cmd *cobra.Command, f runFlags) error {
	if f.logFormat != "text" && f.logFormat != "json" {
		return usageErr("--log-format must be text or json, not %q", f.logFormat)
	}
	// Started by the service manager: no terminal, and on Windows no stderr
	// anyone reads, so problems must also reach the system log.
	asService := startedByServiceManager()
	var sysLog offsvc.SystemLogger
	if asService {
		l, closeSys, err := openSystemLog()
		if err == nil { // else logged to stderr and the log file only
			sysLog = l
			defer closeSys()
		}
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		if sysLog != nil {
			sysLog.Error("offcircd cannot start: " + err.Error())
		}
		return err
	}
	level := cfg.LogLevel
	if f.logLevel != "" {
		level = f.logLevel
	}
	logFile := cfg.LogFile
	if asService && logFile == "" && runtime.GOOS == "windows" {
		// A Windows service's stderr goes nowhere: keep the full log beside the spool.
		logFile = filepath.Join(cfg.StateDir, "offcircd.log")
		privdir.MkdirAll(cfg.StateDir)
	}
	stderr := cmd.ErrOrStderr()
	if asService && runtime.GOOS == "windows" {
		// No console: a failing write there would also stop the file copy.
		stderr = io.Discard
	}
	log, closeLog, err := newLoggerTo(stderr, asService && stderrIsJournal(), f.logFormat, level, logFile)
	if err != nil {
		if sysLog != nil {
			sysLog.Error("offcircd cannot start: " + err.Error())
		}
		return err
	}
	defer closeLog()
	if sysLog != nil {
		log = slog.New(offsvc.NewTeeHandler(log.Handler(), sysLog, slog.LevelWarn))
	}
	for _, w := range cfg.Warnings {
		log.Warn("config: " + w.String())
	}
	if w, ok := cfg.NoPatronPattern(); ok && cfg.Path != "" {
		log.Warn("config: " + w.String())
	}
	lock, err := lockStation(cfg)
	if err != nil {
		if sysLog != nil {
			sysLog.Error("offcircd cannot start: " + err.Error())
		}
		return err
	}
	defer lock.Close()
	// A newcomer without a config gets standard input as a scanner: typed
	// at the terminal (with the terminal bell as the beeper), or piped in,
	// one scan per line, the run ending with the input.
	var extra []devices.Source
	var sinks []feedback.Sink
	if f.config == "" && !asService && len(cfg.Scanners) == 0 {
		extra, sinks = trialConsole(os.Stderr, cfg, log)
		if !isTerminal(os.Stdin) {
			f.untilDone = true
		}
	}
	opts := daemon.Options{Logger: log, Sources: extra, Sinks: sinks, UntilDone: f.untilDone}
	if asService {
		return runService(cfg, opts, closeLog)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runWithStatus(ctx, cfg, opts)
}

// trialConsole is the scanner and beeper of a config-less trial run:
// standard input read as a console scanner, and the terminal bell when the
// output is a terminal. Piped input is read line by line like typed input,
// so `printf 'P1\nI1\n' | offcircd run` records a loan instead of silently
// configuring no scanner at all.
func trialConsole(msg io.Writer, cfg *config.Config, log *slog.Logger) ([]devices.Source, []feedback.Sink) {
	fmt.Fprintf(msg, "offcircd: trying it out: records go to %s\n", cfg.DataPath())
	if isTerminal(os.Stdin) {
		fmt.Fprintf(msg, "offcircd: type a patron ID, then item barcodes, each followed by Enter (%sRETURN switches to returns; Ctrl-C stops)\n", cfg.ControlPrefix)
	} else {
		fmt.Fprintln(msg, "offcircd: standard input is not a terminal: reading one scan per line from it; stopping at its end")
	}
	fmt.Fprintf(msg, "offcircd: without patterns the first scan is the patron and every scan after it an item for that patron: scan %sDONE before the next patron (`offcircd learn` teaches the station your cards and items)\n", cfg.ControlPrefix)
	src := []devices.Source{console.New("console", os.Stdin, log.With("scanner", "console", "type", "console"))}
	var sinks []feedback.Sink
	if len(cfg.Beepers) == 0 && isTerminal(os.Stdout) {
		sinks = append(sinks, feedback.NewBellSink(os.Stdout, feedback.RealClock{}))
	}
	return src, sinks
}

// isTerminal reports whether f is a terminal (also a Cygwin/MSYS one).
func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// runService runs the daemon under the service manager, which calls Start
// and, on stop or shutdown, Stop.
func runService(cfg *config.Config, opts daemon.Options, closeLog func()) error {
	log := opts.Logger
	prog := offsvc.NewProgram(
		func(ctx context.Context) error { return runWithStatus(ctx, cfg, opts) },
		func(err error) {
			// The daemon gave up on its own: exit non-zero so systemd's
			// Restart= and Windows' recovery actions start it again.
			log.Error("offcircd stopped unexpectedly", "err", err)
			closeLog()
			os.Exit(1)
		})
	return runUnderServiceManager(prog, log)
}

// runWithStatus runs the daemon and keeps state_dir/status.json current;
// the file says "stopped" only once the daemon has fully stopped.
func runWithStatus(ctx context.Context, cfg *config.Config, opts daemon.Options) error {
	loc, err := cfg.Location()
	if err != nil {
		loc = time.Local // the daemon reports the bad time zone itself
	}
	var names []string
	for _, sc := range cfg.Scanners {
		names = append(names, sc.Name)
	}
	for _, src := range opts.Sources {
		names = append(names, src.Name())
	}
	sw := status.NewWriter(status.WriterOptions{
		Path: filepath.Join(cfg.StateDir, status.FileName), Version: version, Station: cfg.Station,
		DataFile: cfg.DataPath(), Mode: cfg.DefaultMode, Scanners: names, Location: loc,
		MetricsFile: cfg.MetricsPath(), Logger: opts.Logger.With("component", "status"),
	})
	onStation, onStore := opts.OnStation, opts.OnStore
	opts.OnStation = func(s station.State) {
		sw.Station(s)
		if onStation != nil {
			onStation(s)
		}
	}
	opts.OnStore = func(s store.Status) {
		sw.Store(s)
		if onStore != nil {
			onStore(s)
		}
	}
	onClock := opts.OnClock
	opts.OnClock = func(r clock.Report) {
		sw.Clock(r)
		if onClock != nil {
			onClock(r)
		}
	}
	d, err := daemon.New(cfg, opts)
	if err != nil {
		return err
	}
	// The writer starts after New, which reported what the store found at
	// Open: the first status file already shows an earlier run's spool.
	stopStatus := startStatus(sw, opts.Logger)
	err = d.Run(ctx)
	stopStatus(statusStopWait)
	return err
}

// startStatus runs sw; the returned function stops it, waiting at most
// wait for its last write. That write marks the station stopped; its
// fsync on a slow disk (an SD card, a starved VM: measured 3 s and more)
// must not hold the stop past service.StopTimeout. Cut off, the file
// keeps the state before (atomicfile renames only a whole file).
func startStatus(sw *status.Writer, log *slog.Logger) (stop func(wait time.Duration)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sw.Run(ctx) }()
	return func(wait time.Duration) {
		cancel()
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			log.Warn("status: the last status write has not finished; stopping without waiting for it", "waited", wait)
		}
	}
}

// statusStopWait bounds how long a stopping daemon waits for its last
// status write.
const statusStopWait = time.Second

// loadConfig loads path, or the trial defaults when path is "".
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Trial(), nil
	}
	if err := config.CheckPermissions(path); err != nil {
		return nil, err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	// A replay file that is not a capture is a configuration error, like
	// one that cannot be read: never a station started without it.
	if probs := replayProblems(cfg); len(probs) > 0 {
		return nil, &config.Errors{Problems: probs}
	}
	return cfg, nil
}

// newLogger builds the slog logger: text or JSON to w, and also to file when set.
func newLogger(w io.Writer, format, level, file string) (*slog.Logger, func(), error) {
	return newLoggerTo(w, false, format, level, file)
}

// newLoggerTo is newLogger with journal set when w is the journal's stream:
// its lines then carry their priority (journalHandler); the log file's do
// not.
func newLoggerTo(w io.Writer, journal bool, format, level, file string) (*slog.Logger, func(), error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToUpper(orDefault(level, "info")))); err != nil {
		return nil, nil, usageErr("bad log level %q: want debug, info, warn or error", level)
	}
	at := func(lv slog.Level) func(io.Writer) slog.Handler {
		opts := &slog.HandlerOptions{Level: lv}
		return func(w io.Writer) slog.Handler {
			if format == "json" {
				return slog.NewJSONHandler(w, opts)
			}
			return slog.NewTextHandler(w, opts)
		}
	}
	mk := at(lv)
	var h slog.Handler
	if journal {
		// Debug lines show patron IDs whole; the journal is read by the
		// adm group and often forwarded to syslog servers, so they go only
		// to log_file, a file the administrator chose for them.
		h = newJournalHandler(w, at(max(lv, slog.LevelInfo)))
	} else {
		h = mk(w)
	}
	closer := func() {}
	if file != "" {
		lf, err := openLogFile(file)
		if err != nil {
			return nil, nil, err
		}
		h = slog.NewMultiHandler(h, mk(lf))
		closer = func() { lf.Close() }
	}
	return slog.New(h), closer, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
