package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/capture"
)

// captureFlags are the flags of `offcircd capture`.
type captureFlags struct {
	config  string
	scanner string
	out     string
	force   bool
	dur     time.Duration
}

func init() {
	var f captureFlags
	cmd := &cobra.Command{
		Use:   "capture --scanner NAME --out FILE [--for 30s] [--config FILE]",
		Short: "record a scanner's raw input to a capture file for bug reports and replay",
		Long: `Capture opens one configured scanner (serial, hid-pos, hid-keyboard or the keypad) and
writes every raw read or HID report, with its time, to FILE in the capture format of SPEC §7.
A "replay" scanner plays such a file back through the same decoder. Decoded scans are printed
while recording. Stop with Ctrl-C, or give --for. The file may contain patron IDs: it is
created readable by owner and group only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCapture(cmd, f) },
	}
	cmd.Flags().StringVarP(&f.config, "config", "c", "", "configuration file (TOML)")
	cmd.Flags().StringVar(&f.scanner, "scanner", "", "name of the [[scanner]] to record (or the keypad's name)")
	cmd.Flags().StringVarP(&f.out, "out", "o", "", "capture file to write")
	cmd.Flags().BoolVar(&f.force, "force", false, "overwrite FILE if it exists (never the data file, never inside state_dir)")
	cmd.Flags().DurationVar(&f.dur, "for", 0, "stop after this long (default: until Ctrl-C)")
	rootCmd.AddCommand(cmd)
}

// captureOpenFlags creates the capture file; only --force may truncate an
// existing one (CheckOutput has refused the data file and state_dir), and
// without it O_EXCL also closes the race with a file created meanwhile.
func captureOpenFlags(force bool) int {
	if force {
		return os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	return os.O_WRONLY | os.O_CREATE | os.O_EXCL
}

// captureTarget is what `offcircd capture` records: a scanner or the keypad.
type captureTarget struct {
	name, typ string // for the capture header
	decoder   string // the decoder its capture replays through
	open      func(env devices.Env, log *slog.Logger) (devices.Source, error)
}

// findCaptureTarget finds the scanner table (or the keypad) named name.
func findCaptureTarget(cfg *config.Config, name string) (captureTarget, error) {
	for _, sc := range cfg.Scanners {
		if sc.Name != name {
			continue
		}
		switch sc.Type {
		case "serial", "hid-pos", "hid-keyboard":
			return captureTarget{name: sc.Name, typ: sc.Type, decoder: sc.Type,
				open: func(env devices.Env, log *slog.Logger) (devices.Source, error) {
					return devices.NewSource(sc, env, log)
				}}, nil
		}
		return captureTarget{}, fmt.Errorf("scanner %q is of type %q, which has no raw input to capture", name, sc.Type)
	}
	if kp := cfg.Keypad; kp != nil && (name == kp.Name || (kp.Name == "" && name == "keypad")) {
		// Keypad reports are keyboard reports: they replay through hid-keyboard.
		return captureTarget{name: name, typ: "keypad", decoder: "hid-keyboard",
			open: func(env devices.Env, log *slog.Logger) (devices.Source, error) {
				return devices.NewKeypad(kp, env, log)
			}}, nil
	}
	var names []string
	for _, sc := range cfg.Scanners {
		names = append(names, sc.Name)
	}
	return captureTarget{}, fmt.Errorf("no scanner named %q in the configuration (scanners: %v)", name, names)
}

func runCapture(cmd *cobra.Command, f captureFlags) error {
	if f.scanner == "" || f.out == "" {
		return usageErr("capture needs --scanner NAME and --out FILE")
	}
	if f.dur < 0 {
		return usageErr("--for must not be negative")
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	target, err := findCaptureTarget(cfg, f.scanner)
	if err != nil {
		return usageErr("%v", err)
	}
	if err := cfg.CheckOutput(f.out, f.force); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	stderr := cmd.ErrOrStderr()
	log, done, err := readScanners(cmd, cfg, "capture")
	if err != nil {
		return err
	}
	defer done()
	src, err := target.open(devices.EnvFrom(cfg), log)
	if err != nil {
		return err
	}
	tp, ok := src.(devices.Tapper)
	if !ok {
		return fmt.Errorf("capture: scanner %q (%s) cannot hand out its raw input", target.name, target.typ)
	}
	file, err := os.OpenFile(f.out, captureOpenFlags(f.force), 0o640)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	defer file.Close()
	fmt.Fprintf(file, "# scanner: %s (type %s)\n", target.name, target.typ)
	cw, err := capture.NewWriter(file, target.decoder)
	if err != nil {
		return err
	}
	start := time.Now()
	var (
		mu       sync.Mutex
		chunks   int
		writeErr error
	)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.dur)
		defer cancel()
	}
	ctx, abort := context.WithCancel(ctx)
	defer abort()
	tp.SetTap(func(t time.Time, chunk []byte) {
		mu.Lock()
		defer mu.Unlock()
		if writeErr != nil {
			return
		}
		// Written line by line, so a capture cut short is still valid.
		if writeErr = cw.Write(t.Sub(start), chunk); writeErr != nil {
			abort()
			return
		}
		chunks++
	})
	if dt, ok := src.(devices.DeviceTapper); ok {
		// Which device the reports come from, so a replay decodes them the
		// same way (the hid-pos layout read from the device).
		dt.SetDeviceTap(func(id devices.DeviceID) {
			mu.Lock()
			defer mu.Unlock()
			if writeErr == nil {
				if writeErr = cw.Device(id); writeErr != nil {
					abort()
				}
			}
		})
	}
	p := &eventPrinter{w: cmd.OutOrStdout()}
	failed := runSources(ctx, []devices.Source{src}, p.event, func(name string, err error) {
		fmt.Fprintf(stderr, "offcircd capture: %s: %v\n", name, err)
	})
	mu.Lock()
	defer mu.Unlock()
	if writeErr != nil {
		return writeErr
	}
	if err := file.Sync(); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	fmt.Fprintf(stderr, "offcircd capture: %d chunks from %q written to %s\n", chunks, target.name, f.out)
	if failed > 0 {
		return exitCode(1)
	}
	return nil
}
