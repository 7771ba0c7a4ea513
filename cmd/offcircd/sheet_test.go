package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/cmd/offcircd/sheet"
	"github.com/offcircd/offcircd/cmd/offcircd/sheet/sheettest"
)

// TestSheetCommand runs `offcircd sheet` as users do, from the built-in
// defaults and from a config with its own control_prefix, as PDF (A4 and
// Letter) and SVG, and reads every barcode of the written files back with a
// real decoder.
func TestSheetCommand(t *testing.T) {
	dir := t.TempDir()
	custom := filepath.Join(dir, "custom.toml")
	if err := os.WriteFile(custom, []byte("station = \"drop-2\"\ncontrol_prefix = \"LIB/\"\ndata_dir = \"files\"\nstate_dir = \"state\"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	defaults := filepath.Join(dir, "defaults.toml")
	if err := os.WriteFile(defaults, []byte("station = \"desk-1\"\ndata_dir = \"files\"\nstate_dir = \"state\"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, config, prefix, station string
		args                          []string
		out, paper                    string
	}{
		{"default prefix pdf", defaults, "OFFCIRC:", "desk-1", nil, "desk.pdf", "a4"},
		{"custom prefix pdf letter", custom, "LIB/", "drop-2", []string{"--paper", "letter"}, "drop.pdf", "letter"},
		{"default prefix svg", defaults, "OFFCIRC:", "desk-1", []string{"--format", "svg"}, "desk.out", ""},
		{"custom prefix svg by extension", custom, "LIB/", "drop-2", nil, "drop.svg", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.out)
			args := append([]string{"sheet", "--config", tc.config, "--out", out}, tc.args...)
			_, stderr, code := runOffcircd(t, dir, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if tc.paper == "" {
				sheettest.CheckSVG(t, b, tc.prefix)
				if !bytes.Contains(b, []byte("station "+tc.station)) || !bytes.Contains(b, []byte("offcircd ")) {
					t.Errorf("SVG lacks the station name or the version")
				}
				return
			}
			l, err := sheet.NewLayout(sheet.Options{Station: tc.station, Prefix: tc.prefix, Paper: tc.paper, UndoWindow: 2 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			sheettest.CheckPDF(t, b, l, tc.prefix)
		})
	}

	t.Run("never overwrites without --force", func(t *testing.T) {
		out := filepath.Join(dir, "keep.pdf")
		os.WriteFile(out, []byte("precious"), 0o644)
		_, stderr, code := runOffcircd(t, dir, "", "sheet", "--config", defaults, "--out", out)
		if got, _ := os.ReadFile(out); code != 1 || string(got) != "precious" || !strings.Contains(stderr, "--force") {
			t.Fatalf("exit %d, file %q, stderr %q", code, got, stderr)
		}
		if _, stderr, code := runOffcircd(t, dir, "", "sheet", "--config", defaults, "--out", out, "--force"); code != 0 {
			t.Fatalf("--force: exit %d %s", code, stderr)
		}
		if got, _ := os.ReadFile(out); !bytes.HasPrefix(got, []byte("%PDF-")) {
			t.Fatalf("--force did not replace the file: %q", got[:min(len(got), 16)])
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".sheet-*")); len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	})

	t.Run("default name and stdout", func(t *testing.T) {
		work := t.TempDir()
		if _, stderr, code := runOffcircd(t, work, "", "sheet", "--config", defaults); code != 0 {
			t.Fatalf("exit %d %s", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(work, "control-barcodes.pdf")); err != nil {
			t.Error(err)
		}
		stdout, _, code := runOffcircd(t, work, "", "sheet", "--config", defaults, "--format", "svg", "--out", "-")
		if code != 0 || !strings.HasPrefix(stdout, "<?xml") {
			t.Errorf("--out -: exit %d, %q", code, stdout[:min(len(stdout), 40)])
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{{"--format", "png"}, {"--paper", "a3"}, {"extra"}} {
			_, stderr, code := runOffcircd(t, dir, "", append([]string{"sheet", "--config", defaults, "--out", "-"}, args...)...)
			if code != 2 {
				t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr)
			}
		}
		long := filepath.Join(dir, "long.toml")
		os.WriteFile(long, []byte("control_prefix = \""+strings.Repeat("X", 70)+"\"\n"), 0o640)
		if _, stderr, code := runOffcircd(t, dir, "", "sheet", "--config", long, "--out", "-"); code != 1 || !strings.Contains(stderr, "too long") {
			t.Errorf("70-character prefix: exit %d %s", code, stderr)
		}
	})
}
