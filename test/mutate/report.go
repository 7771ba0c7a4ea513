package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one target's tally.
type Row struct {
	Target     string  `json:"target"`
	Dir        string  `json:"dir"`
	Commit     string  `json:"commit"`
	Seconds    float64 `json:"seconds"`
	Killed     int     `json:"killed"`
	TimedOut   int     `json:"timed_out"`
	Lived      int     `json:"lived"`
	NotCovered int     `json:"not_covered"`
	NotViable  int     `json:"not_viable"`
	// Rechecked counts the mutants gremlins called LIVED that the recheck
	// found killed, timed out or not viable (counted there).
	Rechecked int `json:"rechecked"`
	// Efficacy is (killed + timed out) / (killed + timed out + lived) in
	// percent; NaN-free: -1 when no mutant was tested.
	Efficacy float64 `json:"efficacy"`
	Floor    float64 `json:"floor,omitempty"`
	Gated    bool    `json:"gated,omitempty"`
}

// count adds one mutant of gremlins status st; false for an unknown status.
func (r *Row) count(st string) bool {
	switch st {
	case "KILLED":
		r.Killed++
	case "TIMED OUT":
		r.TimedOut++
	case "LIVED":
		r.Lived++
	case "NOT COVERED":
		r.NotCovered++
	case "NOT VIABLE":
		r.NotViable++
	case "SKIPPED":
	default:
		return false
	}
	return true
}

// finish computes the efficacy.
func (r *Row) finish() {
	r.Efficacy = efficacy(r.Killed, r.TimedOut, r.Lived)
}

// efficacy is the share of tested mutants that the tests noticed, in
// percent, or -1 when none was tested. Not-viable mutants are in none of
// the three counts: code that does not compile says nothing of the tests.
func efficacy(killed, timedOut, lived int) float64 {
	n := killed + timedOut + lived
	if n == 0 {
		return -1
	}
	return 100 * float64(killed+timedOut) / float64(n)
}

// pct prints an efficacy.
func pct(e float64) string {
	if e < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f %%", math.Floor(e*10)/10)
}

// Results is what the results file holds.
type Results struct {
	Commit    string      `json:"commit"`
	Started   string      `json:"started"`
	Rows      []Row       `json:"rows"`
	Survivors []*Survivor `json:"survivors"`
	Failures  []string    `json:"failures,omitempty"`
	Stale     []string    `json:"stale,omitempty"` // list entries no survivor needed
	Table     string      `json:"table"`
}

// keepRows loads the rows and survivors of targets not run now from an
// earlier results file, so per-target runs add up to one table.
func (r *Results) keepRows(path string, now []target) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var old Results
	if json.Unmarshal(b, &old) != nil {
		return
	}
	running := map[string]bool{}
	dirs := map[string]string{}
	for _, t := range now {
		running[t.Name] = true
	}
	known := map[string]bool{}
	for _, t := range targets {
		known[t.Name] = true
	}
	for _, row := range old.Rows {
		if !running[row.Target] && known[row.Target] {
			r.Rows = append(r.Rows, row)
			dirs[row.Target] = row.Dir
		}
	}
	for _, s := range old.Survivors {
		for name, dir := range dirs {
			if inTarget(s.File, name, dir) {
				s.Reason = ""
				r.Survivors = append(r.Survivors, s)
				break
			}
		}
	}
}

// inTarget reports whether file belongs to the target.
func inTarget(file, name, dir string) bool {
	for _, t := range targets {
		if t.Name != name {
			continue
		}
		rest, ok := strings.CutPrefix(file, dir+"/")
		if !ok || strings.Contains(rest, "/") {
			return false
		}
		if t.Files == nil {
			return true
		}
		for _, f := range t.Files {
			if f == rest {
				return true
			}
		}
	}
	return false
}

// sortRows puts the rows in the order of targets.
func (r *Results) sortRows() {
	order := map[string]int{}
	for i, t := range targets {
		order[t.Name] = i
	}
	sort.SliceStable(r.Rows, func(i, j int) bool { return order[r.Rows[i].Target] < order[r.Rows[j].Target] })
}

// judge explains survivors from the list and records why the run fails:
// an efficacy under its floor, or a survivor of a gated target that the
// list does not explain. It returns the exit status.
func (r *Results) judge(list []*Explained) int {
	open := explain(list, r.Survivors)
	gated := map[string]bool{}
	for _, row := range r.Rows {
		if row.Floor > 0 && row.Efficacy >= 0 && row.Efficacy < row.Floor {
			r.Failures = append(r.Failures, fmt.Sprintf("%s: efficacy %s is under the floor of %.0f %%", row.Target, pct(row.Efficacy), row.Floor))
		}
		if row.Gated {
			gated[row.Target] = true
		}
	}
	for _, s := range open {
		for _, row := range r.Rows {
			if gated[row.Target] && inTarget(s.File, row.Target, row.Dir) {
				r.Failures = append(r.Failures, fmt.Sprintf("unexplained survivor %s:%d:%d %s: %s", s.File, s.Line, s.Column, s.Mutator, s.Text))
			}
		}
	}
	for _, row := range r.Rows {
		for _, e := range list {
			if !e.used && inTarget(e.File, row.Target, row.Dir) {
				r.Stale = append(r.Stale, fmt.Sprintf("survivors.txt:%d %s %s: %s", e.At, e.File, e.Mutator, e.Text))
			}
		}
	}
	if len(r.Failures) > 0 {
		return 1
	}
	return 0
}

// render is the table, the survivors and the verdict as printed.
func (r *Results) render() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "make mutate (gremlins v0.6.0), %s, started %s\n\n", r.Commit, r.Started)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "package\tkilled\ttimed out\tlived\tnot covered\tnot viable\tefficacy\tfloor\ttime\tcommit\t(rechecked)\t")
	for _, row := range r.Rows {
		floor := "-"
		if row.Floor > 0 {
			floor = fmt.Sprintf("%.0f %%", row.Floor)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%d\t\n", row.Target, row.Killed, row.TimedOut, row.Lived,
			row.NotCovered, row.NotViable, pct(row.Efficacy), floor,
			time.Duration(row.Seconds*float64(time.Second)).Round(time.Second), row.Commit, row.Rechecked)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nefficacy = (killed + timed out) / (killed + timed out + lived); not viable (does not compile) counts nowhere;\nrechecked = survivors of gremlins that a second run found killed (gremlins counts a go test that could not start as lived)\n")
	if len(r.Survivors) > 0 {
		fmt.Fprintf(&b, "\nsurvivors (%d):\n", len(r.Survivors))
		for _, s := range r.Survivors {
			why := "UNEXPLAINED"
			if s.Reason != "" {
				why = "explained: " + s.Reason
			}
			fmt.Fprintf(&b, "  %s:%d:%d %s  %s\n      %s\n", s.File, s.Line, s.Column, s.Mutator, s.Text, why)
		}
	}
	for _, s := range r.Stale {
		fmt.Fprintf(&b, "note: no survivor needs %s\n", s)
	}
	if len(r.Failures) == 0 {
		fmt.Fprintf(&b, "\nmutate: PASS\n")
	} else {
		fmt.Fprintf(&b, "\nmutate: FAIL\n")
		for _, f := range r.Failures {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	return b.String()
}

// write saves the results file.
func (r *Results) write(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("mutate: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("mutate: %w", err)
	}
	return nil
}
