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
	"time"

	"github.com/spf13/cobra"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/feedback"
)

// beepGap separates patterns under `beep all`, so an installer can tell
// where one ends and the next begins.
const beepGap = 600 * time.Millisecond

type beepFlags struct {
	config string
	typ    string
	device string
}

func init() {
	var f beepFlags
	cmd := &cobra.Command{
		Use:   "beep [PATTERN|all]",
		Short: "play feedback patterns on the configured beepers (check they are audible)",
		Long: "beep plays one pattern (" + patternList() + "), or all of them in turn,\n" +
			"on every [[beeper]] of the configuration, or on the one given with --type.\n" +
			"Without a configuration or beepers it rings the terminal bell. Scanner-side beeps\n" +
			"sound when `offcircd run` has the scanner open. Exit status 1 names every beeper\n" +
			"that is missing or failed; 2 is an unknown pattern.",
		Example: "  offcircd beep all --config /etc/offcircd/offcircd.toml\n" +
			"  offcircd beep reject --type pcspeaker\n" +
			"  offcircd beep good --type pcspeaker --device /dev/input/by-path/platform-pcspkr-event-spkr",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runBeep(cmd, args, f) },
	}
	cmd.Flags().StringVarP(&f.config, "config", "c", "", "configuration file (TOML); default: built-in trial settings")
	cmd.Flags().StringVar(&f.typ, "type", "", "try this beeper instead of the configured ones: pcspeaker | bell | command (command needs --config)")
	cmd.Flags().StringVar(&f.device, "device", "", "with --type pcspeaker: event device or console path (evdev:PATH, console:PATH); with --type bell: stdout | stderr | terminal path")
	rootCmd.AddCommand(cmd)
}

func patternList() string {
	names := make([]string, len(feedback.All))
	for i, p := range feedback.All {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}

func runBeep(cmd *cobra.Command, args []string, f beepFlags) error {
	pats := feedback.All
	if len(args) == 1 && args[0] != "all" {
		p, err := config.ParsePattern(args[0])
		if err != nil {
			return usageErr("unknown pattern %q: want one of %s, or all", args[0], patternList())
		}
		pats = []feedback.Pattern{p}
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	switch f.typ {
	case "":
		if f.device != "" {
			return usageErr("--device needs --type")
		}
	case feedback.TypePCSpeaker, feedback.TypeBell:
		cfg.Beepers = []config.Beeper{{Type: f.typ, Device: f.device}}
	case feedback.TypeCommand:
		var cmds []config.Beeper
		for _, b := range cfg.Beepers {
			if b.Type == feedback.TypeCommand {
				cmds = append(cmds, b)
			}
		}
		if len(cmds) == 0 {
			return usageErr("--type command: no command beeper in the configuration (set one with [[beeper]] type = \"command\")")
		}
		cfg.Beepers = cmds
	default:
		return usageErr("--type %q: want pcspeaker, bell or command", f.typ)
	}
	if len(cfg.Beepers) == 0 {
		fmt.Fprintln(stderr, "offcircd: no [[beeper]] configured; ringing the terminal bell")
		cfg.Beepers = []config.Beeper{{Type: feedback.TypeBell}}
	}
	patterns, err := feedback.Patterns(cfg)
	if err != nil {
		return err
	}
	sinks, warns := feedback.NewSinks(cfg, slog.New(slog.DiscardHandler))
	for _, w := range warns {
		fmt.Fprintln(stderr, "offcircd:", w)
	}
	defer func() {
		for _, s := range sinks {
			if c, ok := s.(io.Closer); ok {
				c.Close()
			}
		}
	}()
	if len(sinks) == 0 && len(warns) == 0 {
		fmt.Fprintln(stderr, "offcircd: every beeper is type \"none\": nothing to play")
		return nil
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	failed := len(warns)
	for i, p := range pats {
		if i > 0 {
			if err := feedback.Sleep(ctx, feedback.RealClock{}, beepGap); err != nil {
				return exitCode(130)
			}
		}
		for _, s := range sinks {
			name := s.Name()
			if sp, ok := s.(*feedback.PCSpeaker); ok {
				name += " (" + sp.Device() + ")"
			}
			err := s.Play(ctx, p, patterns[p])
			if ctx.Err() != nil {
				return exitCode(130)
			}
			if err != nil {
				failed++
				fmt.Fprintf(stderr, "offcircd: %s on %s: %v\n", p, name, err)
				continue
			}
			fmt.Fprintf(stdout, "%-13s %s: played (%v)\n", p, name, feedback.Duration(patterns[p]))
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "offcircd: %d beeper problem(s); see above\n", failed)
		return exitCode(1)
	}
	return nil
}
