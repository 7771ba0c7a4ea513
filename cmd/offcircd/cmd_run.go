package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon"
	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/devices"
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
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	level := cfg.LogLevel
	if f.logLevel != "" {
		level = f.logLevel
	}
	log, closeLog, err := newLogger(cmd.ErrOrStderr(), f.logFormat, level, cfg.LogFile)
	if err != nil {
		return err
	}
	defer closeLog()
	for _, w := range cfg.Warnings {
		log.Warn("config: " + w.String())
	}
	// A newcomer without a config gets the terminal as a scanner and the
	// terminal bell as the beeper.
	var extra []devices.Source
	var sinks []feedback.Sink
	if f.config == "" && isatty.IsTerminal(os.Stdin.Fd()) && len(cfg.Scanners) == 0 {
		fmt.Fprintf(os.Stderr, "offcircd: trying it out: records go to %s\n"+
			"offcircd: type a patron ID, then item barcodes, each followed by Enter (%sRETURN switches to returns; Ctrl-C stops)\n",
			cfg.DataPath(), cfg.ControlPrefix)
		extra = append(extra, devices.NewConsole("console", os.Stdin, log.With("scanner", "console", "type", "console")))
		if len(cfg.Beepers) == 0 {
			sinks = append(sinks, feedback.NewBellSink(os.Stdout, feedback.RealClock{}))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return daemon.Run(ctx, daemon.RunOptions{Config: cfg, Logger: log, Sources: extra, Sinks: sinks, UntilDone: f.untilDone})
}

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
	return cfg, nil
}

// newLogger builds the slog logger: text or JSON to w, and also to file when set.
func newLogger(w io.Writer, format, level, file string) (*slog.Logger, func(), error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToUpper(orDefault(level, "info")))); err != nil {
		return nil, nil, usageErr("bad log level %q: want debug, info, warn or error", level)
	}
	closer := func() {}
	if file != "" {
		lf, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		w = io.MultiWriter(w, lf)
		closer = func() { lf.Close() }
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(h), closer, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
