package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Survivor is a mutant the tests did not notice (gremlins: LIVED).
type Survivor struct {
	File    string `json:"file"`    // module-relative path, slash-separated
	Mutator string `json:"mutator"` // gremlins mutator type, e.g. CONDITIONALS_BOUNDARY
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Text    string `json:"text"`             // the mutated source line, trimmed
	Reason  string `json:"reason,omitempty"` // from the survivor list; "" = unexplained
}

// Explained is one entry of the survivor list: the survivors it covers and
// why they may live.
type Explained struct {
	File    string
	Mutator string
	Text    string // the source line, whitespace-normalised
	Reason  string
	At      int // line of the list where the entry starts
	used    bool
}

// key is what a survivor is matched by: file, mutator and the text of the
// source line, never the line number (code moves).
func key(file, mutator, text string) string {
	return file + "\x00" + mutator + "\x00" + normText(text)
}

// normText collapses runs of white space, so re-indented code still matches.
func normText(s string) string { return strings.Join(strings.Fields(s), " ") }

// ReadSurvivorList parses the survivor list. Each entry is a header line
//
//	survivor FILE MUTATOR
//
// followed by two indented fields, "line" (the source line's text) and
// "reason" (one line: why the mutant may live). Blank lines and lines
// starting with '#' are ignored. Errors name the list's line.
func ReadSurvivorList(r io.Reader) ([]*Explained, error) {
	var list []*Explained
	var cur *Explained
	finish := func() error {
		if cur == nil {
			return nil
		}
		if cur.Text == "" || cur.Reason == "" {
			return fmt.Errorf("mutate: survivor list line %d: entry needs both a line and a reason", cur.At)
		}
		list = append(list, cur)
		cur = nil
		return nil
	}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Text()
		t := strings.TrimSpace(raw)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if raw[0] != ' ' && raw[0] != '\t' {
			if err := finish(); err != nil {
				return nil, err
			}
			f := strings.Fields(t)
			if len(f) != 3 || f[0] != "survivor" {
				return nil, fmt.Errorf("mutate: survivor list line %d: want \"survivor FILE MUTATOR\", got %q", n, t)
			}
			cur = &Explained{File: f[1], Mutator: f[2], At: n}
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("mutate: survivor list line %d: field outside an entry", n)
		}
		name, val, _ := strings.Cut(t, " ")
		val = strings.TrimSpace(val)
		switch {
		case val == "":
			return nil, fmt.Errorf("mutate: survivor list line %d: %q has no value", n, name)
		case name == "line" && cur.Text == "":
			cur.Text = normText(val)
		case name == "reason" && cur.Reason == "":
			cur.Reason = val
		default:
			return nil, fmt.Errorf("mutate: survivor list line %d: unexpected field %q", n, name)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mutate: survivor list: %w", err)
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return list, nil
}

// explain sets the Reason of every survivor the list covers and marks the
// entries used; it returns the survivors that stay unexplained.
func explain(list []*Explained, survivors []*Survivor) []*Survivor {
	byKey := make(map[string]*Explained, len(list))
	for _, e := range list {
		byKey[key(e.File, e.Mutator, e.Text)] = e
	}
	var open []*Survivor
	for _, s := range survivors {
		if e, ok := byKey[key(s.File, s.Mutator, s.Text)]; ok {
			s.Reason = e.Reason
			e.used = true
			continue
		}
		open = append(open, s)
	}
	return open
}
