//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
)

// Row is one line of the table: a measured figure beside the floor or peer
// it is judged by, both from the same run.
type Row struct {
	Section   string  `json:"section"`
	Name      string  `json:"name"`
	Value     float64 `json:"value"`
	Unit      string  `json:"unit"`
	FloorName string  `json:"floor_name,omitempty"`
	Floor     float64 `json:"floor,omitempty"`
	// Ratio is Value/Floor when both are rates or times ("" rows have 0).
	Ratio  float64 `json:"ratio,omitempty"`
	Target string  `json:"target,omitempty"`
	// Pass is nil for informational rows without a target.
	Pass *bool  `json:"pass,omitempty"`
	Note string `json:"note,omitempty"`
}

// Results is what results.json holds.
type Results struct {
	Commit   string            `json:"commit"`
	Started  string            `json:"started"`
	Seconds  float64           `json:"seconds"`
	Quick    bool              `json:"quick"`
	Host     map[string]string `json:"host"`
	Rows     []Row             `json:"rows"`
	Failures []string          `json:"failures,omitempty"` // sections that could not run
}

func pass(ok bool) *bool { return &ok }

// fmtNum prints a figure with about three significant digits.
func fmtNum(v float64) string {
	switch a := math.Abs(v); {
	case v == 0:
		return "0"
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// printTable writes the one table of the run.
func printTable(w io.Writer, r *Results) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "section\tmeasure\tvalue\tfloor / peer\tratio\ttarget\tok\t")
	fmt.Fprintln(tw, "-------\t-------\t-----\t------------\t-----\t------\t--\t")
	last := ""
	for _, row := range r.Rows {
		sec := row.Section
		if sec == last {
			sec = ""
		}
		last = row.Section
		floor := ""
		if row.FloorName != "" {
			floor = fmt.Sprintf("%s %s %s", fmtNum(row.Floor), row.Unit, row.FloorName)
		}
		rt := ""
		if row.Ratio != 0 {
			rt = fmt.Sprintf("%.2f×", row.Ratio)
		}
		ok := ""
		if row.Pass != nil {
			ok = "yes"
			if !*row.Pass {
				ok = "NO"
			}
		}
		val := fmtNum(row.Value)
		if row.Unit == "records" || row.Unit == "lines" {
			val = fmt.Sprintf("%.0f", row.Value)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%s\t%s\t\n", sec, row.Name, val, row.Unit, floor, rt, row.Target, ok)
	}
	tw.Flush()
	var notes []string
	for _, row := range r.Rows {
		if row.Note != "" {
			notes = append(notes, fmt.Sprintf("  %s / %s: %s", row.Section, row.Name, row.Note))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(w, "notes:")
		fmt.Fprintln(w, strings.Join(notes, "\n"))
	}
	for _, f := range r.Failures {
		fmt.Fprintln(w, "FAILED:", f)
	}
}

// writeJSON writes r to path atomically enough for a results file.
func writeJSON(path string, r *Results) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}
