// Command offcircd is the offline-circulation scanning daemon and its tools:
// run, service control, devices, monitor, capture, check, merge, archive,
// config, beep and version. Each subcommand lives in its own cmd_*.go file
// and registers itself from init().
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	// Every transport: the subcommands build scanners by their type name.
	_ "github.com/offcircd/offcircd/devices/all"
)

// Version information, stamped by the linker (-X main.version=...).
var (
	version   = "dev"
	commit    = "unknown"
	buildDate = "unknown"
)

// rootCmd is the offcircd command; subcommands add themselves in init().
var rootCmd = &cobra.Command{
	Use:           "offcircd",
	Short:         "offline circulation scanning daemon for Alma",
	Long:          "offcircd reads barcode scanners, switches loan/return by keypad or control barcodes,\nbeeps to confirm each scan and appends each transaction to Alma's OffCirc.dat.",
	SilenceUsage:  true,
	SilenceErrors: true,
}

// exitError carries a process exit code: 1 for failures, 2 for usage errors.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as a usage error (exit 2).
func usageErr(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}

// exitCode returns err as an exit code without a message: the command has
// already printed what it found (check, config check, status).
func exitCode(code int) error { return &exitError{code: code} }

func init() {
	rootCmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: 2, err: fmt.Errorf("%w\nrun '%s --help' for usage", err, c.CommandPath())}
	})
}

func main() {
	os.Exit(execute(os.Args[1:]))
}

// execute runs the command line args and returns the exit code.
func execute(args []string) int {
	rootCmd.SetArgs(args)
	err := rootCmd.Execute()
	if err == nil {
		return 0
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	} else if isCobraUsage(err) {
		code = 2
	}
	prefix := ""
	if stderrIsJournal() {
		prefix = journalPriorities[3] // the journal keeps it as an error, not as info
	}
	fmt.Fprintln(os.Stderr, prefix+"offcircd:", err)
	return code
}

// isCobraUsage recognises cobra's own argument errors (unknown command,
// wrong number of arguments), which it returns as plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "unknown flag", "unknown shorthand"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
