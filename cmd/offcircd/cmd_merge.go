package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/store"
	"github.com/offcircd/offcircd/encoder"
	"github.com/offcircd/offcircd/internal/atomicfile"
)

func init() {
	var out, tz string
	var skipBad, force bool
	cmd := &cobra.Command{
		Use:   "merge -o OUT [--skip-bad] FILE...",
		Short: "merge several stations' data files into one upload file",
		Long: `merge combines data files into one file for Alma's Offline Circulation upload.
Alma applies lines in file order, so merge never reorders the lines of one input:
it takes, line by line, the earliest of the inputs' next lines by their 12-character
timestamp (on a tie, the input named first; one station's archives, the files of
one folder named as 'offcircd archive' names them, count as named in the order they
were archived, whatever order they are given in). Inputs in time order come out sorted;
a file whose times go backwards (the autumn clock change, a clock set back) keeps
its own order. Exact duplicates that meet in the same minute are dropped and
counted; every line is rewritten in the canonical layout (CRLF, item padded to 80
characters). Memory stays small whatever the size of the inputs.

OUT is written atomically (a temporary file in the same folder, synced, then renamed)
with mode 0640, never one of the inputs, and never over an existing file without
--force (it may be a station's live OffCirc.dat). Inputs in which 'offcircd check' finds
errors are refused; with --skip-bad their bad lines are left out and listed as
FILE:LINE. Use "-o -" to write to standard output.`,
		Example: "  offcircd merge -o upload.dat desk-1/OffCirc.dat desk-2/OffCirc.dat",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("merge: no input files given\nrun 'offcircd merge --help' for usage")
			}
			if out == "" {
				return usageErr("merge: -o OUT is required\nrun 'offcircd merge --help' for usage")
			}
			loc, err := (&config.Config{Timezone: tz}).Location()
			if err != nil {
				return usageErr("merge: %w", err)
			}
			if err := notAnInput(out, args); err != nil {
				return err
			}
			// An existing file may be a running station's OffCirc.dat (or
			// yesterday's upload not yet in Alma): replacing it would lose
			// acknowledged records, so only on request.
			if out != "-" {
				if err := (*config.Config)(nil).CheckOutput(out, force); err != nil {
					return fmt.Errorf("merge: %w", err)
				}
			}
			// A station's archives in the order they were made: a tie broken
			// by a glob's or a person's order could put a return before the
			// loan it follows, and Alma would leave the item on loan.
			inputs := slices.Clone(args)
			store.SortArchives(inputs)
			return runMerge(cmd.OutOrStdout(), cmd.ErrOrStderr(), out, inputs, skipBad, encoder.Options{Location: loc})
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write (required; - for standard output)")
	cmd.Flags().BoolVar(&force, "force", false, "replace OUT when it exists")
	cmd.Flags().BoolVar(&skipBad, "skip-bad", false, "leave out lines with errors instead of refusing their file")
	cmd.Flags().StringVar(&tz, "timezone", "", "IANA time zone of the files' times (default: this computer's)")
	rootCmd.AddCommand(cmd)
}

// errOverwriteInput refuses an output that is one of the inputs: the rename
// would replace data that has not been merged anywhere else yet.
var errOverwriteInput = errors.New("merge: output is one of the inputs")

// notAnInput checks out against every input by path and, when out exists,
// by identity (hard links, symlinks, different spellings of one path).
func notAnInput(out string, inputs []string) error {
	if out == "-" {
		return nil
	}
	absOut, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	outInfo, statErr := os.Stat(out)
	if statErr == nil && outInfo.IsDir() {
		return fmt.Errorf("merge: output %s is a directory", out)
	}
	for _, in := range inputs {
		if absIn, err := filepath.Abs(in); err == nil && absIn == absOut {
			return fmt.Errorf("%w: %s", errOverwriteInput, in)
		}
		if statErr != nil {
			continue
		}
		if inInfo, err := os.Stat(in); err == nil && os.SameFile(inInfo, outInfo) {
			return fmt.Errorf("%w: %s is the same file as %s", errOverwriteInput, out, in)
		}
	}
	return nil
}

// errRefused stops writeAtomic when the inputs' check refuses the merge.
var errRefused = errors.New("merge: refused")

func runMerge(stdout, stderr io.Writer, out string, inputs []string, skipBad bool, opt encoder.Options) error {
	newMerger := func() *encoder.Merger {
		m := encoder.NewMerger(opt)
		for _, in := range inputs {
			m.AddFile(in)
		}
		return m
	}
	ew := bufio.NewWriter(stderr)
	defer ew.Flush()
	skipped := 0
	// refused prints what the inputs' check found and reports whether it
	// stops the merge.
	refused := func(m *encoder.Merger) bool {
		var bad []string
		sums, allProbs := m.Results()
		for i, in := range inputs {
			sum, probs := sums[i], allProbs[i]
			if sum.Errors == 0 {
				continue
			}
			bad = append(bad, fmt.Sprintf("%s (%d errors)", in, sum.Errors))
			listed := 0
			for _, l := range errorLines(probs) {
				listed += l.n
				if skipBad {
					fmt.Fprintf(ew, "%s:%d: skipped: %s\n", in, l.line, l.msg)
					skipped++
				} else {
					fmt.Fprintf(ew, "%s:%d: error: %s\n", in, l.line, l.msg)
				}
			}
			if more := sum.Errors - listed; more > 0 {
				fmt.Fprintf(ew, "%s: %d more errors not listed (offcircd check %s lists them all)\n", in, more, in)
			}
		}
		if len(bad) > 0 && !skipBad {
			fmt.Fprintf(ew, "offcircd: merge: refusing inputs with errors: %s; nothing written (fix them, or use --skip-bad to leave those lines out)\n",
				strings.Join(bad, ", "))
			return true
		}
		return false
	}
	m := newMerger()
	if out == "-" {
		// Standard output cannot be taken back: check every input first.
		if _, err := m.WriteTo(io.Discard); err != nil {
			return err
		}
		if refused(m) {
			return exitCode(1)
		}
		m = newMerger()
		if _, err := m.WriteTo(stdout); err != nil {
			return err
		}
	} else {
		err := writeAtomic(out, func(w io.Writer) error {
			if _, err := m.WriteTo(w); err != nil {
				return err
			}
			if refused(m) {
				return errRefused
			}
			return nil
		})
		if errors.Is(err, errRefused) {
			return exitCode(1)
		}
		if err != nil {
			return err
		}
	}
	if n := m.Unchecked(); n > 0 {
		fmt.Fprintf(ew, "merge: %d lines kept without the duplicate check (a minute with more lines than the check holds)\n", n)
	}
	fmt.Fprintf(ew, "merged %d files into %s: %d lines written, %d duplicates dropped, %d bad lines skipped\n",
		len(inputs), out, m.Written(), m.Duplicates(), skipped)
	return nil
}

type badLine struct {
	line int
	msg  string
	n    int // problems folded into msg
}

// errorLines folds the error problems of one file into one entry per line.
func errorLines(probs []encoder.Problem) []badLine {
	var out []badLine
	for _, p := range probs {
		if p.Severity != encoder.SeverityError {
			continue
		}
		if n := len(out); n > 0 && out[n-1].line == p.Line {
			out[n-1].msg += "; " + p.Msg
			out[n-1].n++
			continue
		}
		out = append(out, badLine{p.Line, p.Msg, 1})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].line < out[j].line })
	return out
}

// writeAtomic writes the merge to path so that path holds either its old
// contents or the complete new file, even across a crash.
func writeAtomic(path string, write func(io.Writer) error) error {
	if err := atomicfile.Write(path, 0o640, write); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	return nil
}
