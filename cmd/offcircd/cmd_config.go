package main

import (
	"errors"
	"fmt"

	"github.com/offcircd/offcircd/config"
	"github.com/spf13/cobra"
)

func init() {
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
	configCmd.AddCommand(checkCmd)
	rootCmd.AddCommand(configCmd)
}

// checkConfig loads path as the service would, including the permission
// check the daemon makes at start, and returns every problem and whether
// the file is usable.
func checkConfig(path string) ([]config.Problem, bool) {
	var probs []config.Problem
	ok := true
	if err := config.CheckPermissions(path); err != nil {
		probs = append(probs, config.Problem{File: path, Msg: err.Error()})
		ok = false
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
	}
	return probs, ok
}
