package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/offcircd/offcircd/devices"
)

func init() {
	var (
		cfgPath string
		raw     bool
	)
	cmd := &cobra.Command{
		Use:   "monitor [--config FILE] [--raw]",
		Short: "print decoded scans and keypad presses live (writes no records)",
		Long: `Monitor opens every configured scanner and the keypad and prints what they deliver:
scans with their symbology, rejected input with the reason, keypad commands and connection
changes. It writes no data file and plays no beeps, so it is safe next to a stopped service
(not next to a running one: devices are opened exclusively). --raw adds the hex of every
report or read. Scans are printed unmasked: this is a diagnostic tool for the person at the
station.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMonitor(cmd, cfgPath, raw)
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (TOML)")
	cmd.Flags().BoolVar(&raw, "raw", false, "also print the hex of each raw report or read")
	rootCmd.AddCommand(cmd)
}

// eventPrinter writes events and raw chunks as aligned lines; taps call it
// from reading goroutines, so it serialises writes.
type eventPrinter struct {
	mu     sync.Mutex
	w      io.Writer
	raw    bool
	tapped map[string]bool // sources whose raw input comes from their tap
}

func (p *eventPrinter) line(t time.Time, source, kind, rest string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s  %-12s %-8s %s\n", t.Format("15:04:05.000"), source, kind, rest)
}

func (p *eventPrinter) event(ev devices.Event) {
	var rest string
	switch ev.Kind {
	case devices.KindScan:
		sym := ev.Symbology
		if sym == "" {
			sym = "-"
		}
		rest = fmt.Sprintf("%-4s %s", sym, ev.Data)
		if ev.Patron {
			rest += "  (patron entry)"
		}
	case devices.KindBad:
		rest = fmt.Sprintf("%q  %v", ev.Data, ev.Err)
	case devices.KindCommand:
		rest = string(ev.Command)
	case devices.KindState:
		rest = string(ev.State)
		if ev.Err != nil {
			rest += "  " + ev.Err.Error()
		}
	}
	p.line(ev.Time, ev.Source, kindName(ev.Kind), rest)
	if p.raw && len(ev.Raw) > 0 && !p.tapped[ev.Source] {
		p.line(ev.Time, ev.Source, "raw", hex.EncodeToString(ev.Raw))
	}
}

func kindName(k devices.Kind) string {
	switch k {
	case devices.KindScan:
		return "scan"
	case devices.KindBad:
		return "bad"
	case devices.KindCommand:
		return "command"
	case devices.KindState:
		return "state"
	}
	return "?"
}

func runMonitor(cmd *cobra.Command, cfgPath string, raw bool) error {
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	if len(cfg.Scanners) == 0 && cfg.Keypad == nil {
		return usageErr("no scanners configured: pass --config FILE with [[scanner]] tables")
	}
	stderr := cmd.ErrOrStderr()
	log, done, err := readScanners(cmd, cfg, "monitor")
	if err != nil {
		return err
	}
	defer done()
	sources, errs := devices.FromConfig(cfg, log)
	for _, e := range errs {
		fmt.Fprintln(stderr, "offcircd monitor:", e)
	}
	if len(sources) == 0 {
		return exitCode(1)
	}
	p := &eventPrinter{w: cmd.OutOrStdout(), raw: raw, tapped: map[string]bool{}}
	for _, s := range sources {
		if tp, ok := s.(devices.Tapper); ok && raw {
			name := s.Name()
			p.tapped[name] = true
			tp.SetTap(func(t time.Time, chunk []byte) { p.line(t, name, "raw", hex.EncodeToString(chunk)) })
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	failed := runSources(ctx, sources, p.event, func(name string, err error) {
		fmt.Fprintf(stderr, "offcircd monitor: %s: %v\n", name, err)
	})
	if failed == len(sources) {
		return exitCode(1)
	}
	return nil
}

// runSources runs every source until ctx ends or all have returned, hands
// each event to onEvent, and returns how many sources failed.
func runSources(ctx context.Context, sources []devices.Source, onEvent func(devices.Event), onErr func(string, error)) int {
	events := make(chan devices.Event, 64)
	done := make(chan int, 1)
	go func() {
		done <- devices.RunAll(ctx, sources, events, func(s devices.Source, err error) { onErr(s.Name(), err) })
	}()
	for {
		select {
		case ev := <-events:
			onEvent(ev)
		case failed := <-done:
			for {
				select {
				case ev := <-events:
					onEvent(ev)
				default:
					return failed
				}
			}
		}
	}
}
