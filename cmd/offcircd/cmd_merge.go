package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/encoder"
)

func init() {
	var out, tz string
	var skipBad bool
	cmd := &cobra.Command{
		Use:   "merge -o OUT [--skip-bad] FILE...",
		Short: "merge several stations' data files into one upload file",
		Long: `merge combines data files into one file for Alma's Offline Circulation upload:
lines sorted by their 12-character timestamp (within a minute each input keeps its
order, and inputs come in argument order, because Alma applies lines in file order),
exact duplicates dropped and counted, every line rewritten in the canonical layout
(CRLF, item padded to 80 characters).

OUT is written atomically (a temporary file in the same folder, synced, then renamed)
with mode 0640, and never one of the inputs. Inputs in which 'offcircd check' finds
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
			return runMerge(cmd.OutOrStdout(), cmd.ErrOrStderr(), out, args, skipBad, encoder.Options{Location: loc})
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write (required; - for standard output)")
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

func runMerge(stdout, stderr io.Writer, out string, inputs []string, skipBad bool, opt encoder.Options) error {
	m := encoder.NewMerger(opt)
	ew := bufio.NewWriter(stderr)
	defer ew.Flush()
	var bad []string
	skipped := 0
	sums, allProbs, err := m.AddFiles(inputs...)
	if err != nil {
		return err
	}
	for i, in := range inputs {
		sum, probs := sums[i], allProbs[i]
		if sum.Errors == 0 {
			continue
		}
		bad = append(bad, fmt.Sprintf("%s (%d errors)", in, sum.Errors))
		for _, l := range errorLines(probs) {
			if skipBad {
				fmt.Fprintf(ew, "%s:%d: skipped: %s\n", in, l.line, l.msg)
				skipped++
			} else {
				fmt.Fprintf(ew, "%s:%d: error: %s\n", in, l.line, l.msg)
			}
		}
	}
	if len(bad) > 0 && !skipBad {
		fmt.Fprintf(ew, "offcircd: merge: refusing inputs with errors: %s; nothing written (fix them, or use --skip-bad to leave those lines out)\n",
			strings.Join(bad, ", "))
		return exitCode(1)
	}
	if out == "-" {
		if _, err := m.WriteTo(stdout); err != nil {
			return err
		}
	} else if err := writeAtomic(out, m); err != nil {
		return err
	}
	fmt.Fprintf(ew, "merged %d files into %s: %d lines written, %d duplicates dropped, %d bad lines skipped\n",
		len(inputs), out, m.Written(), m.Duplicates(), skipped)
	return nil
}

type badLine struct {
	line int
	msg  string
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
			continue
		}
		out = append(out, badLine{p.Line, p.Msg})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].line < out[j].line })
	return out
}

// writeAtomic writes the merge to path so that path holds either its old
// contents or the complete new file, even across a crash: temp file in the
// same folder, fsync, rename, then fsync of the folder so the rename itself
// is durable (not possible on Windows, where rename is enough).
func writeAtomic(path string, w io.WriterTo) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := w.WriteTo(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(0o640); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("merge: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("merge: sync %s: %w", dir, err)
	}
	return nil
}
