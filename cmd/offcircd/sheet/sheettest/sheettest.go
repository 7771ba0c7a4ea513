// Package sheettest reads desk sheets back the way a scanner would: it
// draws or renders their barcodes and decodes them with a real Code 128
// decoder (github.com/makiuchi-d/gozxing, the Go port of ZXing). The sheet
// package's tests and the built-binary tests of `offcircd sheet` share it.
package sheettest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"

	"github.com/offcircd/offcircd/cmd/offcircd/sheet"
)

// Commands is the sheet's content written out by hand, not taken from the
// code under test, so a wrong label or encoded string fails a comparison.
var Commands = []string{"LOAN", "RETURN", "TOGGLE", "DONE", "UNDO", "ACK"}

// Decode reads one Code 128 symbol from img.
func Decode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("sheettest: %w", err)
	}
	res, err := oned.NewCode128Reader().Decode(bmp, nil)
	if err != nil {
		return "", fmt.Errorf("sheettest: no barcode: %w", err)
	}
	return res.GetText(), nil
}

// decoded is Decode for messages: the text, or what went wrong.
func decoded(img image.Image) string {
	s, err := Decode(img)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return s
}

// Raster draws bars (mm from the page's left edge) black on white from
// left to right (mm), at pxPerMM.
func Raster(bars []sheet.Bar, left, right, pxPerMM float64) image.Image {
	w := int((right - left) * pxPerMM)
	img := image.NewGray(image.Rect(0, 0, w, 40))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for _, b := range bars {
		x0, x1 := int((b.X-left)*pxPerMM+0.5), int((b.X+b.W-left)*pxPerMM+0.5)
		draw.Draw(img, image.Rect(x0, 0, x1, 40), image.Black, image.Point{}, draw.Src)
	}
	return img
}

// svgDoc is the part of a sheet's SVG that CheckSVG reads back.
type svgDoc struct {
	Groups []svgRow `xml:"g>g"`
}

type svgRow struct {
	ID    string    `xml:"id,attr"`
	Code  string    `xml:"data-code,attr"`
	Texts []svgText `xml:"text"`
	Rects []struct {
		X string `xml:"x,attr"`
		W string `xml:"width,attr"`
	} `xml:"g>rect"`
}

type svgText struct {
	Class string `xml:"class,attr"`
	Text  string `xml:",chardata"`
}

// CheckSVG parses svg as XML, draws each group's bars at 300 dpi and
// decodes them: every barcode must be prefix+COMMAND, in Commands order,
// with that text and the command's label printed beside it.
func CheckSVG(t testing.TB, svg []byte, prefix string) {
	t.Helper()
	var doc svgDoc
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("sheet SVG is not XML: %v", err)
	}
	if len(doc.Groups) != len(Commands) {
		t.Fatalf("%d barcode groups, want %d", len(doc.Groups), len(Commands))
	}
	for i, g := range doc.Groups {
		want := prefix + Commands[i]
		var bars []sheet.Bar
		for _, r := range g.Rects {
			x, _ := strconv.ParseFloat(r.X, 64)
			w, _ := strconv.ParseFloat(r.W, 64)
			bars = append(bars, sheet.Bar{X: x, W: w})
		}
		if len(bars) == 0 {
			t.Fatalf("SVG %s: no bars", g.ID)
		}
		left := bars[0].X - 5 // room for the quiet zones
		right := bars[len(bars)-1].X + bars[len(bars)-1].W + 5
		if got := decoded(Raster(bars, left, right, 300/25.4)); got != want {
			t.Errorf("SVG %s: decodes to %q, want %q", g.ID, got, want)
		}
		var label, data string
		for _, tx := range g.Texts {
			if tx.Class == "data" {
				data = tx.Text
			} else if label == "" {
				label = tx.Text
			}
		}
		if label != Commands[i] || data != want || g.Code != want {
			t.Errorf("SVG %s: label %q, text %q, data-code %q; want %q and %q", g.ID, label, data, g.Code, Commands[i], want)
		}
	}
}

// CheckPDF checks a sheet PDF with poppler, as a print preview shows it:
// one page of l's paper size (pdfinfo), every label and encoded text in the
// page's text (pdftotext), and every barcode cropped from the page rendered
// at 200 dpi (pdftoppm) decoding to prefix+COMMAND. Without poppler it
// skips, saying so.
func CheckPDF(t testing.TB, pdf []byte, l *sheet.Layout, prefix string) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf[max(0, len(pdf)-32):], []byte("%%EOF")) {
		t.Fatalf("not a PDF: %q ... %q", pdf[:min(16, len(pdf))], pdf[max(0, len(pdf)-16):])
	}
	for _, tool := range []string{"pdftoppm", "pdftotext", "pdfinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (Debian: poppler-utils; .ci/run installs it): %v", tool, err)
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "sheet.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := exec.Command("pdfinfo", in).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, info)
	}
	wantSize := map[string]string{"A4": "595.28 x 841.89 pts (A4)", "Letter": "612 x 792 pts (letter)"}[l.Paper.Name]
	if !bytes.Contains(info, []byte("Pages:           1\n")) || !bytes.Contains(info, []byte(wantSize)) {
		t.Errorf("pdfinfo, want one page of %s:\n%s", wantSize, info)
	}
	text, err := exec.Command("pdftotext", "-layout", in, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(text, []byte(l.Title)) {
		t.Errorf("the page's text lacks the title %q:\n%s", l.Title, text)
	}
	for _, c := range Commands {
		if !bytes.Contains(text, []byte(prefix+c)) {
			t.Errorf("the page's text lacks %q:\n%s", prefix+c, text)
		}
	}
	const dpi = 200
	if out, err := exec.Command("pdftoppm", "-r", strconv.Itoa(dpi), "-gray", "-png", "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	px := func(mm float64) int { return int(mm * dpi / 25.4) }
	if len(l.Rows) != len(Commands) {
		t.Fatalf("%d rows, want %d", len(l.Rows), len(Commands))
	}
	for i, r := range l.Rows {
		crop := image.NewGray(image.Rect(0, 0, px(r.BarRight)-px(r.BarLeft), px(r.BarH)))
		draw.Draw(crop, crop.Bounds(), page, image.Pt(px(r.BarLeft), px(r.BarY)), draw.Src)
		want := prefix + Commands[i]
		if got := decoded(crop); got != want {
			t.Errorf("PDF page image, row %d: decodes to %q, want %q", i, got, want)
		}
	}
	// The page is mostly white: the bars did not swallow it.
	var dark, all int
	b := page.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			if color.GrayModel.Convert(page.At(x, y)).(color.Gray).Y < 128 {
				dark++
			}
			all++
		}
	}
	if dark*10 > all {
		t.Errorf("%d of %d sampled pixels are dark", dark, all)
	}
}
