package sheet

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// WriteSVG draws the layout as an SVG page in millimetres (one user unit
// is one millimetre). Each barcode is a group with id "code-LABEL" and its
// encoded text in data-code, so other tools can find it.
func (l *Layout) WriteSVG(w io.Writer) error {
	bw := bufio.NewWriter(w)
	esc := func(s string) string {
		var b strings.Builder
		xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	f := func(v float64) string { return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".") }
	pt := func(size float64) string { return f(size * ptMM) }
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%smm" height="%smm" viewBox="0 0 %s %s">
<title>%s</title>
<rect width="100%%" height="100%%" fill="#fff"/>
<g font-family="Helvetica, Arial, sans-serif" fill="#000">
<text x="%s" y="%s" font-size="%s" font-weight="bold">%s</text>
<text x="%s" y="%s" font-size="%s">%s</text>
`, f(l.Paper.W), f(l.Paper.H), f(l.Paper.W), f(l.Paper.H), esc(l.Title),
		f(margin), f(margin+titlePt*ptMM), pt(titlePt), esc(l.Title),
		f(margin), f(margin+titlePt*ptMM+7), pt(smallPt), esc(l.Subtitle))
	for i, r := range l.Rows {
		if i > 0 {
			fmt.Fprintf(bw, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#a0a0a0" stroke-width="0.2"/>`+"\n",
				f(margin), f(r.Top), f(l.Paper.W-margin), f(r.Top))
		}
		fmt.Fprintf(bw, `<g id="code-%s" data-code="%s">`+"\n", esc(r.Label), esc(r.Data))
		fmt.Fprintf(bw, `<text x="%s" y="%s" font-size="%s" font-weight="bold">%s</text>`+"\n", f(margin), f(r.LabelY), pt(labelPt), esc(r.Label))
		for j, line := range r.Desc {
			fmt.Fprintf(bw, `<text x="%s" y="%s" font-size="%s">%s</text>`+"\n", f(margin), f(r.DescY[j]), pt(doesPt), esc(line))
		}
		fmt.Fprintf(bw, `<g class="bars" shape-rendering="crispEdges">`)
		for _, b := range r.Bars {
			fmt.Fprintf(bw, `<rect x="%s" y="%s" width="%s" height="%s"/>`, f(b.X), f(r.BarY), f(b.W), f(r.BarH))
		}
		fmt.Fprintf(bw, "</g>\n")
		fmt.Fprintf(bw, `<text class="data" x="%s" y="%s" font-size="%s" font-family="Courier New, Courier, monospace" font-weight="bold" text-anchor="middle">%s</text>`+"\n",
			f(r.DataX), f(r.DataY), pt(dataPt), esc(r.Data))
		fmt.Fprintf(bw, "</g>\n")
	}
	fmt.Fprintf(bw, `<text x="%s" y="%s" font-size="%s">%s</text>
</g>
</svg>
`, f(margin), f(l.Paper.H-margin), pt(smallPt), esc(l.Footer))
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("sheet: svg: %w", err)
	}
	return nil
}
