package encoder

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
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
	seed   maphash.Seed // item hashes of every input must agree
}

// mergeInput holds one input's usable lines. Lines that are already
// canonical (what our stations write) stay where they were read, in bufs;
// others are re-encoded into arena. Each input has its own memory: a second
// input never makes the first one's hundred megabytes move.
type mergeInput struct {
	bufs  [][]byte
	arena []byte
	recs  []mrec
}

// mrec locates one canonical line, CRLF included.
type mrec struct {
	ts  uint64
	ih  uint64 // hash of the item, for the duplicate table
	off int
	n   int32
	buf int32 // index in bufs, -1 for arena
}

// line returns the canonical line of r.
func (in *mergeInput) line(r *mrec) []byte {
	if r.buf < 0 {
		return in.arena[r.off : r.off+int(r.n)]
	}
	return in.bufs[r.buf][r.off : r.off+int(r.n)]
}

// NewMerger returns an empty Merger; opt applies to the checks of every
// input (Options.Report included).
func NewMerger(opt Options) *Merger { return &Merger{opt: opt, seed: maphash.MakeSeed()} }

// Add reads one input and keeps its usable lines. It returns the input's
// check summary and problems, except duplicate warnings (Merger drops
// duplicates itself). Lines with errors are not kept: the caller decides
// whether a file with errors may be merged at all (merge --skip-bad).
func (m *Merger) Add(name string, r io.Reader) (Summary, []Problem, error) {
	m.init()
	return m.add(name, r, 0)
}

// init makes a zero Merger usable.
func (m *Merger) init() {
	if m.seed == (maphash.Seed{}) {
		m.seed = maphash.MakeSeed()
	}
}

// add reads one input; size, when known, lets one read take all of it.
func (m *Merger) add(name string, r io.Reader, size int64) (Summary, []Problem, error) {
	c := newChecker(name, m.opt, false, 0)
	bufSize := 4 * chunkSize
	if size > 0 && size < 1<<40 {
		bufSize = int(size) + 1
	}
	cr := newChunkReader(r, bufSize, true)
	in := mergeInput{recs: make([]mrec, 0, size/(ReturnLen+2)+1)}
	num := 0
	for {
		chunk, long, ok := cr.next()
		if !ok {
			break
		}
		if long {
			num++
			c.line(num, nil, errTooLong)
			continue
		}
		bi := int32(len(in.bufs))
		in.bufs = append(in.bufs, chunk)
		for off := 0; off < len(chunk); {
			raw, rest, crlf, bad := cutLine(chunk[off:])
			num++
			if f, ok := c.line(num, raw, bad); ok {
				rec := mrec{ts: f.ts, ih: maphash.Bytes(m.seed, f.item), off: off, n: int32(len(raw) + 2), buf: bi}
				if !crlf || !isCanonical(raw, f) {
					rec.off, rec.buf = len(in.arena), -1
					in.arena = appendCanonical(in.arena, raw, f)
					rec.n = int32(len(in.arena) - rec.off)
				}
				in.recs = append(in.recs, rec)
			}
			off = len(chunk) - len(rest)
		}
	}
	m.inputs = append(m.inputs, in)
	if err := cr.readErr(num); err != nil {
		return c.sum, c.problems, fmt.Errorf("merge: %s: %w", name, err)
	}
	return c.sum, c.problems, nil
}

// isCanonical reports whether raw (a usable line whose line end was CRLF)
// is byte for byte what appendCanonical would write for f, so merge can
// copy it as it is.
func isCanonical(raw []byte, f fields) bool {
	if len(raw) < ReturnLen || len(f.item) > ItemWidth {
		return false
	}
	pad := raw[TimeLen+1+len(f.item) : ReturnLen]
	for len(pad) >= 8 {
		if binary.LittleEndian.Uint64(pad) != spaces8 {
			return false
		}
		pad = pad[8:]
	}
	for _, b := range pad {
		if b != ' ' {
			return false
		}
	}
	if f.typ == byte(Loan) {
		return bytes.Equal(raw[ReturnLen:], f.patron)
	}
	return len(raw) == ReturnLen
}

// AddFile is Add on the file at path.
func (m *Merger) AddFile(path string) (Summary, []Problem, error) {
	m.init()
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
	m.init()
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
			sub := &Merger{opt: opt, seed: m.seed}
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
//
// Inputs are each sorted already (a station writes in time order; one that
// is not is stable-sorted first), so the merge goes a minute at a time: the
// earliest minute among the inputs' next lines, then each input's run of
// lines in that minute, in input order. That is the stable sort by minute,
// with one comparison per input per minute instead of a sort of every line.
func (m *Merger) WriteTo(w io.Writer) (int64, error) {
	for i := range m.inputs {
		if in := &m.inputs[i]; !slices.IsSortedFunc(in.recs, cmpTS) {
			slices.SortStableFunc(in.recs, cmpTS)
		}
	}
	mw := mergeWriter{w: w, buf: make([]byte, 0, mergeWriteBuf)}
	m.dups, m.out = 0, 0
	heads := make([]int, len(m.inputs))
	var tab hashTab // items of the current minute → index in group
	var group []groupLine
	for {
		found := false
		var minute uint64
		for i := range m.inputs {
			if h := heads[i]; h < len(m.inputs[i].recs) {
				if ts := m.inputs[i].recs[h].ts; !found || ts < minute {
					found, minute = true, ts
				}
			}
		}
		if !found {
			break
		}
		tab.reset()
		group = group[:0]
		for i := range m.inputs {
			in := &m.inputs[i]
			h := heads[i]
			for ; h < len(in.recs) && in.recs[h].ts == minute; h++ {
				r := &in.recs[h]
				line := in.line(r)
				if isDupLine(&tab, group, r.ih, line) {
					m.dups++
					continue
				}
				group = append(group, groupLine{line})
				m.out++
				mw.add(line)
			}
			heads[i] = h
		}
	}
	if err := mw.flush(); err != nil {
		return mw.n, fmt.Errorf("merge: %w", err)
	}
	return mw.n, nil
}

// groupLine is a line written in the current minute.
type groupLine struct{ line []byte }

// isDupLine reports whether line repeats the latest line of the current
// minute for the same item; if not, line becomes that latest line (it is
// appended to group next). Hashes only find candidates: the items and lines
// are compared byte for byte, so a hash collision never drops a line.
func isDupLine(tab *hashTab, group []groupLine, ih uint64, line []byte) bool {
	item := itemField(line)
	i := ih & tab.mask
	for {
		s := &tab.slots[i]
		if s.gen != tab.gen {
			break
		}
		if s.key == ih {
			if g := group[s.val].line; bytes.Equal(itemField(g), item) {
				if bytes.Equal(g, line) {
					return true
				}
				s.val = uint32(len(group))
				return false
			}
		}
		i = (i + 1) & tab.mask
	}
	tab.insert(ih, uint32(len(group)))
	return false
}

// mergeWriteBuf is the output buffer of WriteTo.
const mergeWriteBuf = 1 << 20

// mergeWriter buffers the output and notices lines that follow each other
// in memory (consecutive canonical lines of one input), so most of the file
// is copied in long runs.
type mergeWriter struct {
	w    io.Writer
	buf  []byte
	span []byte // pending run of adjacent lines, not yet copied
	n    int64
	err  error
}

// add queues line.
func (mw *mergeWriter) add(line []byte) {
	if s := mw.span; len(s) > 0 && cap(s) > len(s) && len(line) <= cap(s)-len(s) &&
		&s[:len(s)+1][len(s)] == &line[0] {
		mw.span = s[:len(s)+len(line)]
		return
	}
	mw.put(mw.span)
	mw.span = line
}

// put copies p into the buffer, writing the buffer out when full; a long p
// is written directly.
func (mw *mergeWriter) put(p []byte) {
	if mw.err != nil || len(p) == 0 {
		return
	}
	if len(mw.buf)+len(p) > cap(mw.buf) {
		mw.write(mw.buf)
		mw.buf = mw.buf[:0]
		if len(p) >= cap(mw.buf)/2 {
			mw.write(p)
			return
		}
	}
	mw.buf = append(mw.buf, p...)
}

func (mw *mergeWriter) write(p []byte) {
	if mw.err != nil || len(p) == 0 {
		return
	}
	n, err := mw.w.Write(p)
	mw.n += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	mw.err = err
}

// flush writes everything queued.
func (mw *mergeWriter) flush() error {
	mw.put(mw.span)
	mw.span = nil
	mw.write(mw.buf)
	mw.buf = mw.buf[:0]
	return mw.err
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
