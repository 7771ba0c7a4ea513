package sheet

import (
	"fmt"
	"io"

	"github.com/go-pdf/fpdf"
)

// WritePDF draws the layout as a one-page PDF.
func (l *Layout) WritePDF(w io.Writer) error {
	p := fpdf.New("P", "mm", l.Paper.Name, "")
	p.SetAutoPageBreak(false, 0)
	p.SetCreationDate(l.Printed)
	p.SetModificationDate(l.Printed)
	p.SetTitle(l.Title, true)
	p.SetCreator("offcircd sheet", true)
	p.AddPage()
	// The core fonts are cp1252: a station named "Bibliothèque" prints right.
	tr := p.UnicodeTranslatorFromDescriptor("")

	p.SetFont("Helvetica", "B", titlePt)
	p.Text(margin, margin+titlePt*ptMM, tr(l.Title))
	p.SetFont("Helvetica", "", smallPt)
	p.Text(margin, margin+titlePt*ptMM+7, tr(l.Subtitle))
	p.SetDrawColor(160, 160, 160)
	p.SetLineWidth(0.2)
	p.SetFillColor(0, 0, 0)
	for i, r := range l.Rows {
		if i > 0 {
			p.Line(margin, r.Top, l.Paper.W-margin, r.Top)
		}
		p.SetFont("Helvetica", "B", labelPt)
		p.Text(margin, r.LabelY, r.Label)
		p.SetFont("Helvetica", "", doesPt)
		for j, line := range r.Desc {
			p.Text(margin, r.DescY[j], tr(line))
		}
		for _, b := range r.Bars {
			p.Rect(b.X, r.BarY, b.W, r.BarH, "F")
		}
		p.SetFont("Courier", "B", dataPt)
		p.Text(r.DataX-p.GetStringWidth(r.Data)/2, r.DataY, r.Data)
	}
	p.SetFont("Helvetica", "", smallPt)
	p.Text(margin, l.Paper.H-margin, tr(l.Footer))
	if err := p.Output(w); err != nil {
		return fmt.Errorf("sheet: pdf: %w", err)
	}
	return nil
}
