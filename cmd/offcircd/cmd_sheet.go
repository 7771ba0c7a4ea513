package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/offcircd/offcircd/cmd/offcircd/sheet"
)

type sheetFlags struct {
	config string
	out    string
	format string
	paper  string
	force  bool
}

func init() {
	var f sheetFlags
	cmd := &cobra.Command{
		Use:   "sheet [--config FILE] [--out FILE] [--format pdf|svg] [--paper a4|letter]",
		Short: "print a desk page of this station's control barcodes (PDF or SVG)",
		Long: `sheet writes a page for the desk with the station's control barcodes as Code 128:
LOAN, RETURN, TOGGLE, DONE, UNDO and ACK behind the configured control_prefix, each with a
large label and what it does, and the station's name and offcircd's version. Print it at
100% (no "fit to page"), and reprint it after changing control_prefix.

Without --config it uses the same configuration as 'offcircd status'. Without --out it
writes control-barcodes.pdf (or .svg) in the current folder; "-" writes to standard
output. An existing file is never overwritten without --force.`,
		Example: "  offcircd sheet --config /etc/offcircd/offcircd.toml --out desk.pdf\n" +
			"  offcircd sheet --paper letter --out desk.pdf\n" +
			"  offcircd sheet --format svg --out desk.svg",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSheet(cmd, f) },
	}
	cmd.Flags().StringVarP(&f.config, "config", "c", "", "configuration file (default: as for status)")
	cmd.Flags().StringVarP(&f.out, "out", "o", "", `output file ("-" = standard output; default control-barcodes.pdf or .svg)`)
	cmd.Flags().StringVar(&f.format, "format", "", "pdf | svg (default: from the --out extension, else pdf)")
	cmd.Flags().StringVar(&f.paper, "paper", "a4", "a4 | letter")
	cmd.Flags().BoolVar(&f.force, "force", false, "overwrite an existing output file")
	rootCmd.AddCommand(cmd)
}

func runSheet(cmd *cobra.Command, f sheetFlags) error {
	format := strings.ToLower(f.format)
	if format == "" {
		format = "pdf"
		if strings.EqualFold(filepath.Ext(f.out), ".svg") {
			format = "svg"
		}
	}
	if format != "pdf" && format != "svg" {
		return usageErr("sheet: --format %q: want pdf or svg", f.format)
	}
	if _, ok := sheet.Papers[strings.ToLower(f.paper)]; !ok {
		return usageErr("sheet: --paper %q: want a4 or letter", f.paper)
	}
	out := f.out
	if out == "" {
		out = "control-barcodes." + format
	}
	cfg, err := findConfig(f.config)
	if err != nil {
		return err
	}
	l, err := sheet.NewLayout(sheet.Options{
		Station: cfg.Station, Version: version, Prefix: cfg.ControlPrefix,
		UndoWindow: cfg.UndoWindow.Duration, Paper: f.paper, Printed: time.Now(),
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if format == "svg" {
		err = l.WriteSVG(&buf)
	} else {
		err = l.WritePDF(&buf)
	}
	if err != nil {
		return err
	}
	if out == "-" {
		_, err := cmd.OutOrStdout().Write(buf.Bytes())
		return err
	}
	if err := writeNew(out, buf.Bytes(), f.force); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "offcircd: wrote %s (%s, %s, control prefix %s, station %s)\n",
		out, strings.ToUpper(format), l.Paper.Name, cfg.ControlPrefix, cfg.Station)
	return nil
}

// writeNew writes b to path. Without force an existing file is an error
// (O_EXCL, so nothing is ever overwritten by a race either); with force the
// file is replaced atomically (temp file + rename), never left half-written.
func writeNew(path string, b []byte, force bool) error {
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("sheet: %s exists; use --force to overwrite it", path)
		}
		if err != nil {
			return fmt.Errorf("sheet: %w", err)
		}
		if _, err := f.Write(b); err != nil {
			f.Close()
			os.Remove(path)
			return fmt.Errorf("sheet: %w", err)
		}
		if err := f.Close(); err != nil {
			os.Remove(path)
			return fmt.Errorf("sheet: %w", err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sheet-*.tmp")
	if err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename: no such file, ignored
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("sheet: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		tmp.Close()
		return fmt.Errorf("sheet: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	return nil
}
