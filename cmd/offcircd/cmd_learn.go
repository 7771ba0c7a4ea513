package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/config/learn"
	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/encoder"
	"github.com/offcircd/offcircd/internal/atomicfile"
)

type learnFlags struct {
	config string
	print  bool
	from   bool
	min    int
}

func init() {
	var f learnFlags
	cmd := &cobra.Command{
		Use:   "learn [--config FILE] [--print] [--from DATAFILE...]",
		Short: "derive patron_pattern and item_pattern from this desk's cards and items",
		Long: `learn derives the station's patron_pattern and item_pattern, so a patron card is never
taken for an item (or the other way round) even when nobody scans DONE between patrons.

Interactive (the default): scan a few patron cards, then a few item barcodes, on the
configured scanners (each accepted example beeps) or typed on the terminal; an empty line
or the control barcode DONE ends each list. --from DATAFILE... instead reads existing data
files and archives, whose columns are ground truth: patron IDs from the loans, item
barcodes from every line.

The patterns are the tightest safe pair: for each shape of example a fixed prefix, a
character class and a length range; no barcode can match both. learn shows how every
example is classified and refuses when cards and items cannot be told apart. It then
writes the two patterns into the configuration file, keeping its comments and everything
else (--print only prints them).`,
		Example: "  offcircd learn --config /etc/offcircd/offcircd.toml\n  offcircd learn --print --from OffCirc.dat archive/*.dat",
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.from && len(args) == 0 {
				return usageErr("learn: --from needs data files\nrun 'offcircd learn --help' for usage")
			}
			if !f.from && len(args) > 0 {
				return usageErr("learn: unexpected arguments %q (data files go after --from)", args)
			}
			return runLearn(cmd, f, args)
		},
	}
	cmd.Flags().StringVarP(&f.config, "config", "c", "", "configuration file to write the patterns into (and whose scanners to read)")
	cmd.Flags().BoolVar(&f.print, "print", false, "print the patterns instead of writing them into the configuration")
	cmd.Flags().BoolVar(&f.from, "from", false, "derive the patterns from the data files given as arguments")
	cmd.Flags().IntVar(&f.min, "min", 3, "interactive: examples of each kind to ask for at least")
	rootCmd.AddCommand(cmd)
}

// learnMaxExamples bounds the distinct examples kept per kind from data
// files: enough to see every shape, whatever the size of the archives.
const learnMaxExamples = 20000

func runLearn(cmd *cobra.Command, f learnFlags, files []string) error {
	out := cmd.OutOrStdout()
	if f.config == "" && !f.print {
		return usageErr("learn: give --config FILE to write the patterns into, or --print")
	}
	var cfg *config.Config
	if f.config != "" {
		var err error
		if cfg, err = loadConfig(f.config); err != nil {
			return err
		}
	}
	loc := time.Local
	if cfg != nil {
		loc, _ = cfg.Location()
	}
	var patrons, items []string
	var err error
	if f.from {
		patrons, items, err = examplesFromFiles(files, loc)
	} else {
		patrons, items, err = examplesFromDesk(cmd, cfg, f.min)
	}
	if err != nil {
		return err
	}
	pair, err := learn.Derive(patrons, items)
	if err != nil {
		return fmt.Errorf("learn: no safe patterns: %w", err)
	}
	fmt.Fprintf(out, "patron_pattern = '%s'\nitem_pattern   = '%s'\n\n", pair.Patron, pair.Item)
	if f.from {
		if err := classifyFiles(out, files, loc, pair); err != nil {
			return err
		}
	} else {
		showExamples(out, pair, patrons, items, false)
	}
	if f.print {
		return nil
	}
	target, err := writePatterns(f.config, pair)
	if err != nil {
		return err
	}
	if target != f.config {
		fmt.Fprintf(out, "written into %s (%s leads there through a symbolic link, which is kept); restart the service to use them (offcircd restart)\n", target, f.config)
		return nil
	}
	fmt.Fprintf(out, "written into %s; restart the service to use them (offcircd restart)\n", f.config)
	return nil
}

// examplesFromFiles collects the distinct patron IDs (loans) and items of
// data files.
func examplesFromFiles(files []string, loc *time.Location) (patrons, items []string, err error) {
	seenP, seenI := map[string]bool{}, map[string]bool{}
	for _, path := range files {
		err := eachRecord(path, loc, func(_ int, r encoder.Record) {
			if r.Type == encoder.Loan && !seenP[r.Patron] && len(seenP) < learnMaxExamples {
				seenP[r.Patron] = true
				patrons = append(patrons, r.Patron)
			}
			if !seenI[r.Item] && len(seenI) < learnMaxExamples {
				seenI[r.Item] = true
				items = append(items, r.Item)
			}
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return patrons, items, nil
}

// eachRecord calls fn for every usable line of the data file at path.
func eachRecord(path string, loc *time.Location, fn func(line int, r encoder.Record)) error {
	fd, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("learn: %w", err)
	}
	defer fd.Close()
	rd := encoder.NewReader(fd, loc)
	for {
		l, ok := rd.Next()
		if !ok {
			break
		}
		if l.Err == nil {
			fn(l.Num, l.Record)
		}
	}
	if err := rd.Err(); err != nil {
		return fmt.Errorf("learn: %s: %w", path, err)
	}
	return nil
}

// classifyFiles shows how the patterns classify every line of the files,
// and fails when one is wrong. Patron IDs are masked: these are real
// patrons' data.
func classifyFiles(out io.Writer, files []string, loc *time.Location, pair learn.Pair) error {
	wrong := 0
	for _, path := range files {
		lines := 0
		err := eachRecord(path, loc, func(num int, r encoder.Record) {
			lines++
			if c := pair.Classify(r.Item); c != learn.ClassItem {
				wrong++
				fmt.Fprintf(out, "%s:%d: item %s classified as %s\n", path, num, r.Item, c)
			}
			if r.Type == encoder.Loan {
				if c := pair.Classify(r.Patron); c != learn.ClassPatron {
					wrong++
					fmt.Fprintf(out, "%s:%d: patron %s classified as %s\n", path, num, encoder.MaskPatron(r.Patron), c)
				}
			}
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: %d lines: ", path, lines)
		if wrong == 0 {
			fmt.Fprintln(out, "every item classified as an item, every patron as a patron")
		} else {
			fmt.Fprintln(out, "see the lines above")
		}
	}
	if wrong > 0 {
		return fmt.Errorf("learn: %d barcodes classified wrongly", wrong)
	}
	return nil
}

// showExamples prints how the pair classifies each example.
func showExamples(out io.Writer, pair learn.Pair, patrons, items []string, mask bool) {
	for _, set := range []struct {
		kind string
		xs   []string
	}{{"patron", patrons}, {"item", items}} {
		for _, x := range set.xs {
			shown := x
			if mask && set.kind == "patron" {
				shown = encoder.MaskPatron(x)
			}
			fmt.Fprintf(out, "  %-7s %-30s → %s\n", set.kind, shown, pair.Classify(x))
		}
	}
	fmt.Fprintln(out)
}

// deskScan is one example offered at the desk: a scan, an end of list, or
// the end of input.
type deskScan struct {
	data   string
	source string
	end    bool
}

// examplesFromDesk asks for patron cards, then items, on the configured
// scanners and the terminal, beeping each accepted example.
func examplesFromDesk(cmd *cobra.Command, cfg *config.Config, min int) (patrons, items []string, err error) {
	out := cmd.OutOrStdout()
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	scans := make(chan deskScan, 16)
	prefix := config.DefaultControlPrefix
	var fb *feedback.Dispatcher
	scanners := 0
	if cfg != nil {
		prefix = cfg.ControlPrefix
		release, err := holdScanners(cfg, "learn")
		if err != nil {
			return nil, nil, err
		}
		defer release()
		var stopDesk func()
		fb, scanners, stopDesk = startDesk(ctx, cfg, scans)
		defer stopDesk()
	}
	// With scanners, the end of the terminal's input (a service's
	// /dev/null, a closed pipe) ends nothing: the scanners still speak.
	go readTerminal(cmd.InOrStdin(), scans, scanners == 0)
	isDone := func(s string) bool {
		d := strings.TrimSpace(s)
		return len(d) >= len(prefix) && strings.EqualFold(d[:len(prefix)], prefix) &&
			strings.EqualFold(strings.TrimSpace(d[len(prefix):]), string(config.CmdDone))
	}
	// The end of input is said once but ends every list still to come:
	// remembered, so the item list does not wait for input that cannot
	// come any more.
	ended := false
	ask := func(kind string, beep feedback.Pattern, validate func(string) error, other []string) ([]string, error) {
		fmt.Fprintf(out, "Scan %d or more %s (different ones), then an empty line or %s%s:\n", min, kind, prefix, strings.ToUpper(string(config.CmdDone)))
		var got []string
		for {
			s := deskScan{end: true}
			if !ended {
				select {
				case s = <-scans:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			ended = ended || s.end
			if s.end || s.data == "" || isDone(s.data) {
				if len(got) >= min {
					return got, nil
				}
				if s.end {
					return got, errInputEnded
				}
				fmt.Fprintf(out, "  %d so far; %d needed\n", len(got), min)
				continue
			}
			if err := validate(s.data); err != nil {
				fmt.Fprintf(out, "  not a barcode the data file can take; ignored\n")
				playDesk(fb, feedback.Reject, s.source)
				continue
			}
			if containsStr(other, s.data) {
				fmt.Fprintf(out, "  that one was given as a patron card; ignored\n")
				playDesk(fb, feedback.Reject, s.source)
				continue
			}
			got = append(got, s.data)
			fmt.Fprintf(out, "  %d: %s\n", len(got), s.data)
			playDesk(fb, beep, s.source)
		}
	}
	if patrons, err = ask("patron cards", feedback.Patron, encoder.ValidatePatron, nil); err == nil {
		items, err = ask("item barcodes", feedback.Good, encoder.ValidateItem, patrons)
	}
	if errors.Is(err, errInputEnded) {
		return nil, nil, fmt.Errorf("learn: the input ended before learning was complete: %d of %d patron cards, %d of %d item barcodes; nothing written", len(patrons), min, len(items), min)
	}
	if err != nil {
		return nil, nil, err
	}
	return patrons, items, nil
}

// errInputEnded is ask's answer when the input ends before a list has
// its examples.
var errInputEnded = errors.New("learn: input ended")

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func playDesk(fb *feedback.Dispatcher, p feedback.Pattern, source string) {
	if fb != nil {
		fb.Play(p, source)
	}
}

// readTerminal sends each line of r as a scan, then, when end is set, the
// end of input.
func readTerminal(r io.Reader, scans chan<- deskScan, end bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		scans <- deskScan{data: strings.TrimSpace(sc.Text()), source: "console"}
	}
	if end {
		scans <- deskScan{end: true}
	}
}

// startDesk opens the configured scanners and feedback sinks for learn:
// scans go to scans, and the returned dispatcher beeps on the sinks and
// the scanners themselves. It also returns how many scanners it opened.
func startDesk(ctx context.Context, cfg *config.Config, scans chan<- deskScan) (*feedback.Dispatcher, int, func()) {
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(ctx)
	sources, _ := devices.FromConfig(cfg, log)
	var scannerSinks []feedback.Sink
	for _, src := range sources {
		if b, ok := src.(devices.Beeper); ok {
			scannerSinks = append(scannerSinks, feedback.ScannerSink(src.Name(), b))
		}
	}
	sinks, _ := feedback.NewSinks(cfg, log)
	patterns, err := feedback.Patterns(cfg)
	var fb *feedback.Dispatcher
	done := make(chan struct{}, 2)
	if err == nil {
		fb = feedback.NewDispatcher(feedback.Options{Sinks: sinks, Scanners: scannerSinks, Patterns: patterns, Logger: log})
		go func() { fb.Run(ctx); done <- struct{}{} }()
	} else {
		done <- struct{}{}
	}
	go func() {
		runSources(ctx, sources, func(ev devices.Event) {
			if ev.Kind == devices.KindScan {
				select {
				case scans <- deskScan{data: ev.Data, source: ev.Source}:
				case <-ctx.Done():
				}
			}
		}, func(string, error) {})
		done <- struct{}{}
	}()
	return fb, len(sources), func() {
		if fb != nil { // let the last beeps sound
			wctx, wcancel := context.WithTimeout(context.Background(), 3*time.Second)
			fb.Wait(wctx)
			wcancel()
		}
		cancel()
		<-done
		<-done
	}
}

// patternLine matches a top-level patron_pattern / item_pattern line: its
// indentation, key, "=", string value and what follows (a comment).
var patternLine = regexp.MustCompile(`^(\s*)(patron_pattern|item_pattern)(\s*=\s*)('[^']*'|"(?:[^"\\]|\\.)*")?([^\r\n]*)`)

// writePatterns sets the two patterns in the configuration file at path,
// keeping every other line (comments included): an existing top-level
// line is replaced, a missing one added before the first table. The result
// is checked as the daemon would load it before it replaces the file.
//
// A path that is a symbolic link (a configuration kept in a managed folder
// and linked from /etc) is written through: the file it points to is
// replaced atomically in its own folder and the link is kept, as the
// daemon reads it. writePatterns returns the file it wrote.
func writePatterns(path string, pair learn.Pair) (string, error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("learn: %w", err)
	}
	old, err := os.ReadFile(target)
	if err != nil {
		return "", fmt.Errorf("learn: %w", err)
	}
	fi, err := os.Stat(target)
	if err != nil {
		return "", fmt.Errorf("learn: %w", err)
	}
	updated := setPatterns(old, map[string]string{"patron_pattern": pair.Patron, "item_pattern": pair.Item})
	if _, err := config.Parse(path, updated); err != nil {
		return "", fmt.Errorf("learn: the configuration with the new patterns would not load, so it is left as it was:\n%w", err)
	}
	if target == filepath.Clean(path) {
		target = path
	}
	return target, atomicfile.Write(target, fi.Mode().Perm(), func(w io.Writer) error {
		_, err := w.Write(updated)
		return err
	})
}

// setPatterns rewrites doc with the given top-level keys set to literal
// strings (single quotes: a regular expression's backslashes stay as they
// are).
func setPatterns(doc []byte, values map[string]string) []byte {
	nl := "\n"
	if bytes.Contains(doc, []byte("\r\n")) {
		nl = "\r\n"
	}
	lines := strings.SplitAfter(string(doc), "\n")
	done := map[string]bool{}
	firstTable := len(lines)
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			firstTable = i
			break
		}
		if m := patternLine.FindStringSubmatch(l); m != nil {
			rest := m[5]
			if m[4] == "" || !strings.HasPrefix(strings.TrimSpace(rest), "#") {
				rest = "" // no value we understand after "=": replace the line
			}
			lines[i] = m[1] + m[2] + m[3] + "'" + values[m[2]] + "'" + rest + nl
			done[m[2]] = true
		}
	}
	var add []string
	for _, k := range []string{"patron_pattern", "item_pattern"} {
		if !done[k] {
			add = append(add, fmt.Sprintf("%s = '%s'%s", k, values[k], nl))
		}
	}
	if len(add) > 0 {
		// After the last top-level key: the comments and blank lines
		// before the first table belong to that table.
		at := firstTable
		for at > 0 && (strings.TrimSpace(lines[at-1]) == "" || strings.HasPrefix(strings.TrimSpace(lines[at-1]), "#")) {
			at--
		}
		if at > 0 && !strings.HasSuffix(lines[at-1], "\n") {
			lines[at-1] += nl
		}
		ins := append([]string{"# Learned by offcircd learn." + nl}, add...)
		lines = append(lines[:at], append(ins, lines[at:]...)...)
	}
	return []byte(strings.Join(lines, ""))
}
