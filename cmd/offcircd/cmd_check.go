package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/encoder"
)

func init() {
	var strict bool
	var tz string
	cmd := &cobra.Command{
		Use:   "check [--strict] FILE...",
		Short: "validate OffCirc.dat files before uploading them to Alma",
		Long: `check reads each data file and prints one line per problem as
FILE:LINE: error|warning: message (LINE is 1-based, as in Alma's job report),
then a summary line per file.

Errors make a line unusable: bad date/time, a time more than ` + encoder.FutureTolerance.String() + ` in the
future, type other than L/R, empty or too long item, characters outside printable
ASCII, loan without patron, a last line without line end (torn write).
Warnings are lines Alma accepts but someone should look at: return with a patron,
exact duplicates, times going backwards (Alma applies lines in file order),
empty lines, an empty file. A file that is not text at all (binary, UTF-16) is one
error: "not a text data file".

Exit status: 0 clean, 1 any error (or any warning with --strict), 2 usage error.`,
		Example: "  offcircd check OffCirc.dat\n  offcircd check --strict desk-*/OffCirc.dat",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("check: no files given\nrun 'offcircd check --help' for usage")
			}
			loc, err := (&config.Config{Timezone: tz}).Location()
			if err != nil {
				return usageErr("check: %w", err)
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			code := 0
			for _, path := range args {
				sum, err := checkOne(out, path, loc)
				if err != nil {
					out.Flush()
					fmt.Fprintln(cmd.ErrOrStderr(), "offcircd:", err)
					code = 1
					continue
				}
				fmt.Fprintln(out, sum)
				if !sum.OK(strict) {
					code = 1
				}
			}
			if code != 0 {
				return exitCode(code)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "treat warnings as errors (exit 1)")
	cmd.Flags().StringVar(&tz, "timezone", "", "IANA time zone of the files' times (default: this computer's)")
	rootCmd.AddCommand(cmd)
}

// checkOne checks one file ("-" is standard input), printing its problems
// as they are found so a huge bad file needs no memory for them. Input that
// is not text at all is one error, not one per line of noise; an empty file
// is a warning (there is nothing to upload).
func checkOne(out *bufio.Writer, path string, loc *time.Location) (encoder.Summary, error) {
	opt := encoder.Options{Location: loc, Report: func(p encoder.Problem) {
		fmt.Fprintf(out, "%s:%s\n", path, p)
	}}
	var sum encoder.Summary
	var err error
	if path == "-" {
		in := bufio.NewReaderSize(os.Stdin, encoder.SniffLen)
		head, _ := in.Peek(encoder.SniffLen) // a shorter input is all there
		if err := encoder.SniffText(head); err != nil {
			return encoder.Summary{File: path}, fmt.Errorf("check: %s: %w", path, err)
		}
		sum, _, err = encoder.Check(in, "-", opt)
	} else {
		if err := sniffFile(path); err != nil {
			return encoder.Summary{File: path}, err
		}
		sum, _, err = encoder.CheckFile(path, opt)
	}
	if err == nil && sum.Lines == 0 {
		fmt.Fprintf(out, "%s: warning: empty file (no records to upload)\n", path)
		sum.Warnings++
	}
	return sum, err
}

// sniffFile applies encoder.SniffText to the start of the file at path. A
// file that cannot be read is left for the check to report.
func sniffFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	head := make([]byte, encoder.SniffLen)
	n, _ := io.ReadFull(f, head)
	if err := encoder.SniffText(head[:n]); err != nil {
		return fmt.Errorf("check: %s: %w", path, err)
	}
	return nil
}
