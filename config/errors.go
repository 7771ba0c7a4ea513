package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a configuration, located by file and line
// so a person can go straight to it.
type Problem struct {
	File    string // the config file ("" for a built-in configuration)
	Line    int    // 1-based; 0 when the problem has no single line (a missing key)
	Key     string // key path such as "scanner[0].baud"; informational
	Msg     string
	Warning bool // true: reported, but the configuration is still usable
}

// String formats the problem as FILE:LINE: message, the form editors and
// grep understand.
func (p Problem) String() string {
	file := p.File
	if file == "" {
		file = "(built-in config)"
	}
	msg := p.Msg
	if p.Warning {
		msg = "warning: " + msg
	}
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", file, p.Line, msg)
	}
	return fmt.Sprintf("%s: %s", file, msg)
}

// Errors is every problem found in one configuration, reported at once so a
// person fixes them in one pass instead of one per restart.
type Errors struct {
	Problems []Problem
}

// Error joins the problems one per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// HasErrors reports whether any problem is more than a warning.
func (e *Errors) HasErrors() bool {
	return slices.ContainsFunc(e.Problems, func(p Problem) bool { return !p.Warning })
}

// sortProblems orders problems by line so the output reads top to bottom
// like the file; problems without a line come first.
func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
}
