package encoder

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
)

// Merger combines several stations' data files into one upload file: a
// stable sort by the 12-character timestamp (within a minute each input's
// order is kept, and inputs come in the order they were added), exact
// duplicates dropped, every line in canonical encoding.
//
// A repeat of a line is a duplicate only when no other line for the same item
// lies between the two: a loan, return and loan again of one item within a
// minute are three real transactions, and dropping the second loan would
// leave the item checked in.
type Merger struct {
	opt    Options
	arena  []byte   // canonical lines of all inputs, back to back
	inputs [][]mrec // per input, in the order added
	dups   int
	out    int
}

// mrec locates one canonical line in the arena.
type mrec struct {
	ts  uint64
	off int
	n   int
}

// NewMerger returns an empty Merger; opt applies to the checks of every
// input (Options.Report included).
func NewMerger(opt Options) *Merger { return &Merger{opt: opt} }

// Add reads one input and keeps its usable lines. It returns the input's
// check summary and problems, except duplicate warnings (Merger drops
// duplicates itself). Lines with errors are not kept: the caller decides
// whether a file with errors may be merged at all (merge --skip-bad).
func (m *Merger) Add(name string, r io.Reader) (Summary, []Problem, error) {
	c := newChecker(name, m.opt, false, 0)
	rd := NewReader(r, m.opt.Location)
	var recs []mrec
	for {
		raw, torn, ok := rd.next()
		if !ok {
			break
		}
		if f, ok := c.line(rd.num, raw, torn); ok {
			off := len(m.arena)
			m.arena = appendCanonical(m.arena, raw, f)
			recs = append(recs, mrec{ts: f.ts, off: off, n: len(m.arena) - off})
		}
	}
	m.inputs = append(m.inputs, recs)
	if err := rd.Err(); err != nil {
		return c.sum, c.problems, fmt.Errorf("merge: %s: %w", name, err)
	}
	return c.sum, c.problems, nil
}

// AddFile is Add on the file at path.
func (m *Merger) AddFile(path string) (Summary, []Problem, error) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{File: path}, nil, fmt.Errorf("merge: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		m.arena = slices.Grow(m.arena, int(fi.Size())+int(fi.Size())/8)
	}
	return m.Add(path, f)
}

// Written returns the number of lines the last WriteTo wrote.
func (m *Merger) Written() int { return m.out }

// Duplicates returns the number of duplicate lines the last WriteTo dropped.
func (m *Merger) Duplicates() int { return m.dups }

// WriteTo writes the merged file to w.
func (m *Merger) WriteTo(w io.Writer) (int64, error) {
	for _, recs := range m.inputs {
		if !slices.IsSortedFunc(recs, cmpTS) {
			slices.SortStableFunc(recs, cmpTS)
		}
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	var written int64
	m.dups, m.out = 0, 0
	heads := make([]int, len(m.inputs))
	var group []mrec           // lines written so far with the current timestamp
	var byItem map[string]mrec // index of group for large groups
	for {
		best := -1
		for i, recs := range m.inputs {
			if heads[i] < len(recs) && (best < 0 || recs[heads[i]].ts < m.inputs[best][heads[best]].ts) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		r := m.inputs[best][heads[best]]
		heads[best]++
		if len(group) > 0 && group[0].ts != r.ts {
			group, byItem = group[:0], nil
		}
		line := m.arena[r.off : r.off+r.n]
		if m.isDup(line, group, &byItem) {
			m.dups++
			continue
		}
		group = append(group, r)
		if byItem != nil {
			byItem[string(itemField(line))] = r
		}
		n, err := bw.Write(line)
		written += int64(n)
		if err != nil {
			return written, fmt.Errorf("merge: %w", err)
		}
		m.out++
	}
	if err := bw.Flush(); err != nil {
		return written, fmt.Errorf("merge: %w", err)
	}
	return written, nil
}

// isDup reports whether line repeats the latest line of the same minute for
// the same item. Small groups are scanned; a minute with very many lines
// gets an index so a pathological file stays linear.
func (m *Merger) isDup(line []byte, group []mrec, byItem *map[string]mrec) bool {
	item := itemField(line)
	if *byItem == nil && len(group) > 32 {
		*byItem = make(map[string]mrec, 2*len(group))
		for _, g := range group {
			(*byItem)[string(itemField(m.arena[g.off:g.off+g.n]))] = g
		}
	}
	if *byItem != nil {
		g, ok := (*byItem)[string(item)]
		return ok && bytes.Equal(m.arena[g.off:g.off+g.n], line)
	}
	for i := len(group) - 1; i >= 0; i-- {
		g := m.arena[group[i].off : group[i].off+group[i].n]
		if bytes.Equal(itemField(g), item) {
			return bytes.Equal(g, line)
		}
	}
	return false
}

// itemField is the padded item column block of a canonical line.
func itemField(line []byte) []byte { return line[TimeLen+1 : ReturnLen] }

func cmpTS(a, b mrec) int {
	switch {
	case a.ts < b.ts:
		return -1
	case a.ts > b.ts:
		return 1
	}
	return 0
}
