package sheet_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/cmd/offcircd/sheet"
	"github.com/offcircd/offcircd/cmd/offcircd/sheet/sheettest"
)

// prefixes: the default, a short one, and one with characters that need
// escaping in SVG and Code 128's code set A/B switches (lower case).
var prefixes = []string{"OFFCIRC:", "#", "Lib&<desk>/x"}

func opts(prefix, paper string) sheet.Options {
	return sheet.Options{Station: "desk-1", Version: "1.2.3", Prefix: prefix, UndoWindow: 2 * time.Minute, Paper: paper,
		Printed: time.Date(2026, 5, 6, 9, 30, 0, 0, time.UTC)}
}

// TestLayoutDecodes: every barcode of the layout, drawn at the resolution
// of a cheap 200 dpi printer, decodes to exactly prefix+COMMAND.
func TestLayoutDecodes(t *testing.T) {
	for _, prefix := range prefixes {
		for _, paper := range []string{"a4", "letter"} {
			l, err := sheet.NewLayout(opts(prefix, paper))
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Rows) != len(sheettest.Commands) {
				t.Fatalf("%d rows, want %d", len(l.Rows), len(sheettest.Commands))
			}
			for i, r := range l.Rows {
				want := prefix + sheettest.Commands[i]
				if r.Label != sheettest.Commands[i] {
					t.Errorf("row %d label %q, want %q", i, r.Label, sheettest.Commands[i])
				}
				if got, err := sheettest.Decode(sheettest.Raster(r.Bars, r.BarLeft, r.BarRight, 200/25.4)); got != want {
					t.Errorf("%s %s: decodes to %q (%v), want %q", paper, r.Label, got, err, want)
				}
				if r.Module < 0.19 || r.BarRight > l.Paper.W-15+0.01 || r.DataY > l.Paper.H-15-12 {
					t.Errorf("%s %s: module %.2f mm, right edge %.1f, top %.1f: off the page", paper, r.Label, r.Module, r.BarRight, r.Top)
				}
			}
		}
	}
}

func TestLayoutErrors(t *testing.T) {
	if _, err := sheet.NewLayout(opts("OFFCIRC:", "a3")); err == nil || !strings.Contains(err.Error(), "a3") {
		t.Errorf("paper a3: %v", err)
	}
	if _, err := sheet.NewLayout(opts(strings.Repeat("X", 60), "a4")); !errors.Is(err, sheet.ErrTooLong) {
		t.Errorf("60-character prefix: %v, want sheet.ErrTooLong", err)
	}
}

// TestSVGDecodes parses the SVG as XML, draws its bars and decodes them:
// the file itself carries the right codes and the right readable text.
func TestSVGDecodes(t *testing.T) {
	for _, prefix := range prefixes {
		l, err := sheet.NewLayout(opts(prefix, "a4"))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := l.WriteSVG(&buf); err != nil {
			t.Fatal(err)
		}
		sheettest.CheckSVG(t, buf.Bytes(), prefix)
	}
}

// TestPDFDecodes renders the PDF with poppler (pdftoppm, what a print
// preview does), crops each barcode from the page image and decodes it:
// the strongest proof short of a printer and a scanner.
func TestPDFDecodes(t *testing.T) {
	for _, paper := range []string{"a4", "letter"} {
		for _, prefix := range prefixes {
			l, err := sheet.NewLayout(opts(prefix, paper))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := l.WritePDF(&buf); err != nil {
				t.Fatal(err)
			}
			sheettest.CheckPDF(t, buf.Bytes(), l, prefix)
		}
	}
	// A station name outside ASCII prints as written (the core fonts are
	// cp1252; pdftotext reads the title back as UTF-8).
	o := opts("OFFCIRC:", "a4")
	o.Station = "Bibliothèque Süd"
	l, err := sheet.NewLayout(o)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := l.WritePDF(&buf); err != nil {
		t.Fatal(err)
	}
	sheettest.CheckPDF(t, buf.Bytes(), l, "OFFCIRC:")
}

// TestUndoLineNamesTheWindow: staff read "within 2 minutes", not "2m0s".
func TestUndoLineNamesTheWindow(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2 * time.Minute: "within 2 minutes", time.Minute: "within 1 minute", 90 * time.Second: "within 90 seconds",
		time.Hour: "within 1 hour", 1500 * time.Millisecond: "within 1.5s",
	} {
		o := opts("OFFCIRC:", "a4")
		o.UndoWindow = d
		l, err := sheet.NewLayout(o)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(l.Rows[4].Does, want) {
			t.Errorf("UNDO line %q does not say %q", l.Rows[4].Does, want)
		}
	}
}
