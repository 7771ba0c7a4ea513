package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/offcircd/offcircd/devices"

	"github.com/offcircd/offcircd/config"
	"github.com/spf13/cobra"
)

func init() {
	var asService bool
	configCmd := &cobra.Command{
		Use:   "config",
		Short: "print a commented default configuration, or check one",
		Long: "offcircd config prints a commented default configuration: save it, edit it, check it.\n" +
			"Every key is shown with its default and what it does.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(config.DefaultTOML)
			return err
		},
	}
	checkCmd := &cobra.Command{
		Use:   "check FILE...",
		Short: "check configuration files; print each problem as FILE:LINE: message",
		Long: "offcircd config check reads each FILE as the daemon would and prints every problem\n" +
			"as FILE:LINE: message, or FILE: ok. Exit status 0 when every file is usable, 1 when not.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			failed := false
			for _, path := range args {
				probs, ok := checkConfig(path)
				if asService {
					probs, ok = strictForService(probs, ok, path)
				}
				for _, p := range probs {
					fmt.Fprintln(out, p)
				}
				if ok {
					fmt.Fprintf(out, "%s: ok\n", path)
				} else {
					failed = true
				}
			}
			if failed {
				return exitCode(1)
			}
			return nil
		},
	}
	// --service-account is what install runs as the service account: this
	// account's warnings (a folder it cannot create) are errors, and the
	// device nodes are checked too.
	checkCmd.Flags().BoolVar(&asService, "service-account", false, "check as the account the service runs as (install uses it)")
	checkCmd.Flags().MarkHidden("service-account")
	configCmd.AddCommand(checkCmd)
	rootCmd.AddCommand(configCmd)
}

// checkConfig loads path as the service would, including the permission
// check the daemon makes at start, and returns every problem and whether
// the file is usable.
func checkConfig(path string) ([]config.Problem, bool) {
	var probs []config.Problem
	ok := true
	// A path that is missing or is not a regular file (/dev/zero, a
	// folder) is one problem: Load says it, and what to give instead; the
	// permission check would only say it again in other words.
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		if err := config.CheckPermissions(path); err != nil {
			probs = append(probs, config.Problem{File: path, Msg: err.Error()})
			ok = false
		}
	}
	c, err := config.Load(path)
	var ce *config.Errors
	switch {
	case errors.As(err, &ce):
		probs = append(probs, ce.Problems...)
		ok = false
	case err != nil:
		probs = append(probs, config.Problem{File: path, Msg: err.Error()})
		ok = false
	default:
		probs = append(probs, c.Warnings...)
		if w, ok := c.NoPatronPattern(); ok {
			probs = append(probs, w)
		}
		replay := replayProblems(c)
		probs = append(probs, replay...)
		if len(replay) > 0 {
			ok = false
		}
	}
	return probs, ok
}

// replayProblems builds each replay scanner as run would (reading its
// capture file, nothing else), so config check finds a file that is not a
// capture. The messages name the file and line, never its content.
func replayProblems(c *config.Config) []config.Problem {
	var probs []config.Problem
	for i, sc := range c.Scanners {
		if sc.Type != "replay" {
			continue
		}
		src, err := devices.NewSource(sc, devices.EnvFrom(c), slog.New(slog.DiscardHandler))
		if err != nil {
			path := fmt.Sprintf("scanner[%d].file", i)
			probs = append(probs, config.Problem{File: c.Path, Line: c.Line(path), Key: path,
				Msg: fmt.Sprintf("scanner %q: %v", sc.Name, err)})
			continue
		}
		if cl, ok := src.(io.Closer); ok {
			cl.Close()
		}
	}
	return probs
}

// strictForService turns the problems found by the service account itself
// into errors, and adds the device nodes it cannot open.
func strictForService(probs []config.Problem, ok bool, path string) ([]config.Problem, bool) {
	c, err := config.Load(path)
	for i := range probs {
		if !probs[i].Warning || probs[i].Key == "patron_pattern" || err == nil && madeBySystemd(c, probs[i].Key) {
			continue
		}
		probs[i].Warning = false
		ok = false
	}
	if ok && err == nil {
		dev := deviceNodeProblems(c)
		probs = append(probs, dev...)
		ok = len(dev) == 0
	}
	return probs, ok
}

// unitStateDirectory is the folder of the unit's StateDirectory=offcircd.
const unitStateDirectory = "/var/lib/offcircd"

// madeBySystemd reports whether the folder of key (data_dir, state_dir) lies
// in the unit's StateDirectory, which does not exist yet: systemd creates
// it for the service account at the first start.
func madeBySystemd(c *config.Config, key string) bool {
	dir := map[string]string{"data_dir": c.DataDir, "state_dir": c.StateDir}[key]
	base := unitStateDirectory
	if dir == "" {
		return false
	}
	if _, err := os.Stat(base); err == nil {
		return false
	}
	rel, err := filepath.Rel(base, dir)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
