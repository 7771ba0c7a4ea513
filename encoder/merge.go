package encoder

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"
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
	inputs []mergeInput // in the order added
	dups   int
	out    int
}

// mergeInput holds one input's usable lines, canonically encoded back to
// back in its own arena: a second input never makes the first one's
// hundred megabytes move.
type mergeInput struct {
	arena []byte
	recs  []mrec
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
	return m.add(name, r, 0)
}

// add reads one input; size, when known, sizes its arena (canonical lines
// are at most a little longer than tab-separated or unpadded ones).
func (m *Merger) add(name string, r io.Reader, size int64) (Summary, []Problem, error) {
	c := newChecker(name, m.opt, false, 0)
	rd := NewReader(r, m.opt.Location)
	in := mergeInput{
		arena: make([]byte, 0, size+size/8),
		recs:  make([]mrec, 0, size/(ReturnLen+2)+1),
	}
	for {
		raw, torn, ok := rd.next()
		if !ok {
			break
		}
		if f, ok := c.line(rd.num, raw, torn); ok {
			off := len(in.arena)
			in.arena = appendCanonical(in.arena, raw, f)
			in.recs = append(in.recs, mrec{ts: f.ts, off: off, n: len(in.arena) - off})
		}
	}
	m.inputs = append(m.inputs, in)
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
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return m.add(path, f, size)
}

// AddFiles is AddFile on each path, reading up to GOMAXPROCS files at once
// (parsing is most of merge's work). Inputs keep the order of paths. On an
// I/O error nothing is added. Options.Report, if set, is called from one
// goroutine at a time, but the files' problems may interleave.
func (m *Merger) AddFiles(paths ...string) ([]Summary, [][]Problem, error) {
	type result struct {
		in    mergeInput
		sum   Summary
		probs []Problem
		err   error
	}
	res := make([]result, len(paths))
	opt := m.opt
	if report := opt.Report; report != nil {
		var mu sync.Mutex
		opt.Report = func(p Problem) {
			mu.Lock()
			defer mu.Unlock()
			report(p)
		}
	}
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, path := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			sub := &Merger{opt: opt}
			r := &res[i]
			r.sum, r.probs, r.err = sub.AddFile(path)
			if r.err == nil {
				r.in = sub.inputs[0]
			}
		}()
	}
	wg.Wait()
	sums := make([]Summary, len(paths))
	probs := make([][]Problem, len(paths))
	for i, r := range res {
		if r.err != nil {
			return nil, nil, r.err
		}
		sums[i], probs[i] = r.sum, r.probs
	}
	for _, r := range res {
		m.inputs = append(m.inputs, r.in)
	}
	return sums, probs, nil
}

// Written returns the number of lines the last WriteTo wrote.
func (m *Merger) Written() int { return m.out }

// Duplicates returns the number of duplicate lines the last WriteTo dropped.
func (m *Merger) Duplicates() int { return m.dups }

// WriteTo writes the merged file to w.
func (m *Merger) WriteTo(w io.Writer) (int64, error) {
	for _, in := range m.inputs {
		if !slices.IsSortedFunc(in.recs, cmpTS) {
			slices.SortStableFunc(in.recs, cmpTS)
		}
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	var written int64
	m.dups, m.out = 0, 0
	heads := make([]int, len(m.inputs))
	var group [][]byte           // lines written so far with the current timestamp
	var byItem map[string][]byte // index of group for large groups
	groupTS := uint64(0)
	for {
		best := -1
		var bestTS uint64
		for i, in := range m.inputs {
			if h := heads[i]; h < len(in.recs) && (best < 0 || in.recs[h].ts < bestTS) {
				best, bestTS = i, in.recs[h].ts
			}
		}
		if best < 0 {
			break
		}
		r := m.inputs[best].recs[heads[best]]
		heads[best]++
		if r.ts != groupTS {
			group, byItem, groupTS = group[:0], nil, r.ts
		}
		line := m.inputs[best].arena[r.off : r.off+r.n]
		if isDup(line, group, &byItem) {
			m.dups++
			continue
		}
		group = append(group, line)
		if byItem != nil {
			byItem[string(itemField(line))] = line
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
func isDup(line []byte, group [][]byte, byItem *map[string][]byte) bool {
	item := itemField(line)
	if *byItem == nil && len(group) > bigMinute {
		*byItem = make(map[string][]byte, 2*len(group))
		for _, g := range group {
			(*byItem)[string(itemField(g))] = g
		}
	}
	if *byItem != nil {
		g, ok := (*byItem)[string(item)]
		return ok && bytes.Equal(g, line)
	}
	for i := len(group) - 1; i >= 0; i-- {
		if bytes.Equal(itemField(group[i]), item) {
			return bytes.Equal(group[i], line)
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
