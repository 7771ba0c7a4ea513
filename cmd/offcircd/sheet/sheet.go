// Package sheet draws the desk page of a station's control barcodes: one
// Code 128 barcode per station command (LOAN, RETURN, TOGGLE, DONE, UNDO,
// ACK, each behind the configured control prefix) with a large label and a
// line on what it does, as PDF (A4 or Letter) or SVG. Bars are drawn as
// vector rectangles, so they print sharp at any printer resolution.
//
// Encoding is github.com/boombuler/barcode's; PDF is github.com/go-pdf/fpdf's.
// The page geometry is computed once (Layout) and drawn by both writers, so
// the PDF and the SVG show the same bars at the same places.
package sheet

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/go-pdf/fpdf"

	"github.com/offcircd/offcircd/config"
)

// Code is one control barcode of the sheet.
type Code struct {
	Command config.Command
	Data    string // what the barcode encodes: the prefix and the command in capitals
	Label   string // the large human-readable name, e.g. "LOAN"
	Does    string // what scanning it does, for the desk staff
}

// Codes returns the station's control barcodes in the order of
// config.Commands, behind prefix. undo is the configured undo_window, which
// the UNDO line names.
func Codes(prefix string, undo time.Duration) []Code {
	out := make([]Code, 0, len(config.Commands))
	for _, c := range config.Commands {
		label := strings.ToUpper(string(c))
		out = append(out, Code{Command: c, Data: prefix + label, Label: label, Does: does(c, undo)})
	}
	return out
}

func does(c config.Command, undo time.Duration) string {
	switch c {
	case config.CmdLoan:
		return "Loan mode: scan the patron's card, then each item."
	case config.CmdReturn:
		return "Return mode: scan each item that comes back."
	case config.CmdToggle:
		return "Switch between loan and return mode."
	case config.CmdDone:
		return "End this patron's session: the next card starts a new one."
	case config.CmdUndo:
		return fmt.Sprintf("Take back the last record of this station (only the last one, within %s).", words(undo))
	case config.CmdAck:
		return "Silence the write-failure alarm (the records are safe in the spool; tell IT)."
	}
	return ""
}

// words says a duration the way staff say it: "2 minutes", "90 seconds".
func words(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	case d%time.Second == 0:
		return unit(int64(d/time.Second), "second")
	}
	return d.String()
}

// Paper is a page size in millimetres.
type Paper struct {
	Name string // as fpdf and --paper name it: "A4", "Letter"
	W, H float64
}

// Papers are the sizes the sheet is laid out for, by --paper name.
var Papers = map[string]Paper{
	"a4":     {Name: "A4", W: 210, H: 297},
	"letter": {Name: "Letter", W: 215.9, H: 279.4},
}

// Options say what goes on the sheet.
type Options struct {
	Station    string
	Version    string // offcircd's version
	Prefix     string // control_prefix
	UndoWindow time.Duration
	Paper      string    // a key of Papers; "" = a4
	Printed    time.Time // the date printed on the sheet (and the PDF's dates)
}

// Geometry of the page, in millimetres and points.
const (
	margin     = 15.0
	headerH    = 30.0 // title and subtitle
	footerH    = 12.0 // the footer line
	labelW     = 80.0 // the label and description column
	barGap     = 5.0  // between the label column and the barcode column
	barH       = 16.0 // bar height
	maxModule  = 0.40 // mm per module: easy for any scanner at a desk
	minModule  = 0.19 // below this, cheap scanners and printers fail
	quietMods  = 10   // the quiet zone Code 128 needs on either side
	labelPt    = 26.0 // the big label
	doesPt     = 10.5 // the description
	dataPt     = 11.0 // the encoded text under the bars
	titlePt    = 18.0 // the title
	smallPt    = 9.0  // subtitle and footer
	ptMM       = 25.4 / 72
	lineFactor = 1.25 // line height per font size
)

// Bar is one dark bar of a barcode: X and W in mm from the page's left edge.
type Bar struct{ X, W float64 }

// Row is one control barcode placed on the page.
type Row struct {
	Code
	Top      float64   // the row's top edge
	Desc     []string  // Does, wrapped to the label column
	Bars     []Bar     // the barcode's bars
	BarY     float64   // top of the bars
	BarH     float64   // height of the bars
	BarLeft  float64   // left edge of the quiet zone
	BarRight float64   // right edge of the quiet zone
	Module   float64   // mm per module
	Modules  int       // modules of the symbol, quiet zones excluded
	DataY    float64   // baseline of the encoded text
	DataX    float64   // its centre
	LabelY   float64   // baseline of the label
	DescY    []float64 // baselines of the description lines
}

// Layout is the whole page, shared by the PDF and the SVG writer.
type Layout struct {
	Paper    Paper
	Title    string
	Subtitle string
	Footer   string
	Rows     []Row
	Printed  time.Time
}

// ErrTooLong means a code does not fit the page at a module width scanners
// still read: the control prefix is too long for a desk sheet.
var ErrTooLong = errors.New("sheet: code too long for the page")

// NewLayout encodes every code and places it on the page.
func NewLayout(o Options) (*Layout, error) {
	name := strings.ToLower(o.Paper)
	if name == "" {
		name = "a4"
	}
	paper, ok := Papers[name]
	if !ok {
		return nil, fmt.Errorf("sheet: paper %q: want a4 or letter", o.Paper)
	}
	if o.Printed.IsZero() {
		o.Printed = time.Now()
	}
	l := &Layout{
		Paper:    paper,
		Title:    "Control barcodes: station " + o.Station,
		Subtitle: fmt.Sprintf("Scan one to tell the station what to do; every scan beeps. Control prefix: %s", o.Prefix),
		Footer:   fmt.Sprintf("offcircd %s, printed %s. Reprint this sheet after changing control_prefix.", o.Version, o.Printed.Format(time.DateOnly)),
		Printed:  o.Printed,
	}
	// fpdf's font metrics wrap the descriptions for both writers.
	m := fpdf.New("P", "mm", paper.Name, "")
	m.SetFont("Helvetica", "", doesPt)
	codes := Codes(o.Prefix, o.UndoWindow)
	rowH := (paper.H - 2*margin - headerH - footerH) / float64(len(codes))
	barLeft := margin + labelW + barGap
	barW := paper.W - margin - barLeft
	for i, c := range codes {
		bc, err := code128.Encode(c.Data)
		if err != nil {
			return nil, fmt.Errorf("sheet: %s: %w", c.Data, err)
		}
		mods := bc.Bounds().Dx()
		module := min(maxModule, barW/float64(mods+2*quietMods))
		if module < minModule {
			return nil, fmt.Errorf("%w: %q needs %d modules, %.2f mm each at most (want at least %.2f mm)", ErrTooLong, c.Data, mods, module, minModule)
		}
		top := margin + headerH + float64(i)*rowH
		r := Row{
			Code: c, Top: top, Module: module, Modules: mods,
			BarLeft: barLeft, BarRight: barLeft + float64(mods+2*quietMods)*module,
			BarY: top + 5, BarH: barH, LabelY: top + 5 + labelPt*ptMM,
		}
		r.Bars = bars(bc, barLeft+quietMods*module, module)
		r.DataY = r.BarY + barH + 1.5 + dataPt*ptMM
		r.DataX = (r.BarLeft + r.BarRight) / 2
		r.Desc = m.SplitText(c.Does, labelW)
		y := r.LabelY + 2
		for range r.Desc {
			y += doesPt * ptMM * lineFactor
			r.DescY = append(r.DescY, y)
		}
		l.Rows = append(l.Rows, r)
	}
	return l, nil
}

// bars turns the modules of a 1D barcode into runs of dark modules, x0 the
// left edge of the first module.
func bars(bc barcode.Barcode, x0, module float64) []Bar {
	var out []Bar
	b := bc.Bounds()
	run := -1
	for x := b.Min.X; x <= b.Max.X; x++ {
		dark := false
		if x < b.Max.X {
			r, _, _, _ := bc.At(x, b.Min.Y).RGBA()
			dark = r < 0x8000
		}
		switch {
		case dark && run < 0:
			run = x
		case !dark && run >= 0:
			out = append(out, Bar{X: x0 + float64(run-b.Min.X)*module, W: float64(x-run) * module})
			run = -1
		}
	}
	return out
}
