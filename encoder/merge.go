package encoder

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"sync"
)

// Merger combines several stations' data files into one upload file in the
// order Alma needs. Alma applies lines in file order, so a merge must never
// reorder the lines of one input: a file whose times go backwards (the
// autumn clock change, a clock stepped back) keeps its own order. Merger is
// a stable k-way merge by time over the inputs' next lines: the next line
// written is the earliest of the inputs' heads, the first-added input
// winning a tie. Inputs that are each in time order (what stations write)
// give exactly a stable sort of their concatenation.
//
// Exact duplicates are dropped: a line identical to the previous line
// written for the same item in the same minute of the output, and the
// other inputs' next lines identical to the line just written (two copies
// of one file keep one copy, even where its times go back). A loan,
// return and loan again of one item within a minute are three real
// transactions and all stay; a repeat that meets its twin neither way is
// kept, never lost.
//
// Memory is bounded whatever the inputs' size: each input is read in a few
// chunks of mergeChunk bytes, ahead of the merge, by its own goroutine (so
// parsing, most of merge's work, uses every core), and the duplicate table
// holds one minute of output at most maxDupArena bytes.
type Merger struct {
	opt       Options
	inputs    []*mergeInput
	seed      maphash.Seed // item hashes of every input must agree
	dups      int
	out       int
	unchecked int
}

// mergeInput is one input and, after WriteTo, what its check found.
type mergeInput struct {
	name string
	r    io.Reader // nil: open path
	path string
	sum  Summary
	prob []Problem
	err  error // read error
}

// maxMergeProblems is how many problems Merger keeps per input when
// Options.Report is not set; Summary still counts all of them. A garbage
// input of a gigabyte must not need a gigabyte of messages.
const maxMergeProblems = 1000

// NewMerger returns an empty Merger; opt applies to the checks of every
// input (Options.Report included, called from one goroutine at a time).
func NewMerger(opt Options) *Merger { return &Merger{opt: opt, seed: maphash.MakeSeed()} }

// Add queues r as the next input; WriteTo reads it.
func (m *Merger) Add(name string, r io.Reader) {
	m.inputs = append(m.inputs, &mergeInput{name: name, r: r})
}

// AddFile queues the file at path as the next input; WriteTo opens it.
func (m *Merger) AddFile(path string) {
	m.inputs = append(m.inputs, &mergeInput{name: path, path: path})
}

// Results returns, after WriteTo, each input's check summary and problems
// (at most maxMergeProblems each, none when Options.Report is set), in the
// order added. Duplicates are not among the problems: Merger drops them.
// Lines with errors are never written: the caller decides whether a file
// with errors may be merged at all (merge --skip-bad).
func (m *Merger) Results() ([]Summary, [][]Problem) {
	sums := make([]Summary, len(m.inputs))
	probs := make([][]Problem, len(m.inputs))
	for i, in := range m.inputs {
		sums[i], probs[i] = in.sum, in.prob
	}
	return sums, probs
}

// Written returns the number of lines the last WriteTo wrote.
func (m *Merger) Written() int { return m.out }

// Duplicates returns the number of duplicate lines the last WriteTo dropped.
func (m *Merger) Duplicates() int { return m.dups }

// Unchecked returns the number of lines the last WriteTo wrote without
// being able to tell whether they repeat a line of their minute (a minute
// of output larger than the duplicate table): kept, since a line too many
// is safer than one lost.
func (m *Merger) Unchecked() int { return m.unchecked }

// mergeChunk is the read size per input, and mergeAhead how many chunks an
// input's reader may be ahead of the merge: big enough that system calls
// and hand-overs cost little per line, small enough that a hundred inputs
// still fit a station-class machine.
// (A variable so tests can make chunks small.)
var mergeChunk = 256 << 10

const mergeAhead = 3

// mchunk is a chunk of one input's lines, parsed.
type mchunk struct {
	buf   []byte // backing buffer, recycled
	data  []byte // the lines, in buf (not always at its start)
	arena []byte // lines that had to be re-encoded
	recs  []mrec
}

// line returns the canonical line of r, CRLF included.
func (ch *mchunk) line(r *mrec) []byte {
	if r.arena {
		return ch.arena[r.off : r.off+int(r.n)]
	}
	return ch.data[r.off : r.off+int(r.n)]
}

// mrec locates one usable line in its chunk.
type mrec struct {
	ts    uint64
	ih    uint64 // hash of the item, for the duplicate table
	off   int
	n     int32
	arena bool
}

// feed reads one input in chunks, checks and parses them, and sends them
// on out until the input ends or quit is closed. The merge hands every
// chunk back on free once it has written it, so feed is at most
// mergeAhead chunks ahead.
func (m *Merger) feed(in *mergeInput, r io.Reader, opt Options, out chan<- *mchunk, free chan *mchunk, quit <-chan struct{}) {
	defer close(out)
	c := newChecker(in.name, opt, false, 0)
	if opt.Report == nil {
		c.maxProblems = maxMergeProblems
	}
	cr := newChunkReader(r, mergeChunk, true)
	current := lendBuffers(cr, free, func(ch *mchunk) *[]byte { return &ch.buf })
	num := 0
	defer func() {
		in.err = cr.readErr(num)
		in.sum, in.prob = c.sum, c.problems
	}()
	for {
		data, long, ok := cr.next()
		if !ok {
			return
		}
		if long {
			num++
			c.line(num, nil, errTooLong)
			continue
		}
		ch := current()
		ch.data, ch.recs, ch.arena = data, ch.recs[:0], ch.arena[:0]
		for off := 0; off < len(data); {
			raw, rest, crlf, bad := cutLine(data[off:])
			num++
			if f, ok := c.line(num, raw, bad); ok {
				rec := mrec{ts: f.ts, ih: maphash.Bytes(m.seed, f.item), off: off, n: int32(len(raw) + 2)}
				if !crlf || !isCanonical(raw, f) {
					rec.off, rec.arena = len(ch.arena), true
					ch.arena = appendCanonical(ch.arena, raw, f)
					rec.n = int32(len(ch.arena) - rec.off)
				}
				ch.recs = append(ch.recs, rec)
			}
			off = len(data) - len(rest)
		}
		select {
		case out <- ch:
		case <-quit:
			return
		}
	}
}

// head is an input's position in the merge: its current chunk and line.
type head struct {
	chunks <-chan *mchunk
	free   chan<- *mchunk
	ch     *mchunk
	i      int
}

// next moves to the input's next usable line; false when it has none.
func (h *head) next() bool {
	h.i++
	for h.ch == nil || h.i >= len(h.ch.recs) {
		if h.ch != nil {
			h.free <- h.ch
			h.ch = nil
		}
		ch, ok := <-h.chunks
		if !ok {
			return false
		}
		h.ch, h.i = ch, 0
	}
	return true
}

// drain hands back every chunk until the input's feed has stopped.
func (h *head) drain() {
	if h.ch != nil {
		h.free <- h.ch
		h.ch = nil
	}
	for ch := range h.chunks {
		h.free <- ch
	}
}

func (h *head) rec() *mrec { return &h.ch.recs[h.i] }

// WriteTo reads every input, checks it and writes the merge to w. An input
// that cannot be opened or read fails the merge; problems in the data are
// in Results.
func (m *Merger) WriteTo(w io.Writer) (n int64, err error) {
	if m.seed == (maphash.Seed{}) {
		m.seed = maphash.MakeSeed()
	}
	m.dups, m.out, m.unchecked = 0, 0, 0
	readers := make([]io.Reader, len(m.inputs))
	for i, in := range m.inputs {
		if in.r != nil {
			readers[i] = in.r
			continue
		}
		f, err := os.Open(in.path)
		if err != nil {
			return 0, fmt.Errorf("merge: %w", err)
		}
		defer f.Close()
		readers[i] = f
	}
	opt := m.opt
	if report := opt.Report; report != nil {
		var mu sync.Mutex
		opt.Report = func(p Problem) {
			mu.Lock()
			defer mu.Unlock()
			report(p)
		}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	heads := make([]*head, len(m.inputs))
	for i, in := range m.inputs {
		chunks := make(chan *mchunk, mergeAhead)
		free := make(chan *mchunk, mergeAhead)
		for range mergeAhead {
			free <- &mchunk{}
		}
		heads[i] = &head{chunks: chunks, free: free}
		wg.Go(func() { m.feed(in, readers[i], opt, chunks, free, quit) })
	}
	defer func() {
		close(quit)
		for _, h := range heads {
			h.drain()
		}
		wg.Wait()
		for _, in := range m.inputs {
			if in.err != nil && err == nil {
				err = fmt.Errorf("merge: %s: %w", in.name, in.err)
			}
		}
	}()
	hp := mergeHeap{heads: heads}
	for i, h := range heads {
		if h.next() {
			hp.idx = append(hp.idx, i)
			hp.up(len(hp.idx) - 1)
		}
	}
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<20)
	var dt dupTable
	var scratch []byte
	for len(hp.idx) > 0 {
		h := heads[hp.idx[0]]
		r := *h.rec()
		line := h.ch.line(&r)
		switch dt.add(r.ts, r.ih, line) {
		case dupSeen:
			m.dups++
		case dupUnchecked:
			m.unchecked++
			fallthrough
		default:
			m.out++
			if _, err := bw.Write(line); err != nil {
				return cw.n, fmt.Errorf("merge: %w", err)
			}
		}
		if len(hp.idx) > 1 {
			// The other inputs' heads that are this very line are copies
			// of one transaction: drop them now, before any of them moves
			// on. Two copies of a file whose times go back would otherwise
			// interleave and keep every line twice.
			scratch = append(scratch[:0], line...)
			hp.advance(0)
			for p := hp.find(r.ts, scratch); p >= 0; p = hp.find(r.ts, scratch) {
				m.dups++
				hp.advance(p)
			}
			continue
		}
		hp.advance(0)
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("merge: %w", err)
	}
	return cw.n, nil
}

// countWriter counts what reaches w.
type countWriter struct {
	w io.Writer
	n int64
}

func (cw *countWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return n, err
}

// mergeHeap orders the inputs that still have lines by (time of the next
// line, input number): the input number makes the merge stable.
type mergeHeap struct {
	heads []*head
	idx   []int
}

func (hp *mergeHeap) less(a, b int) bool {
	ta, tb := hp.heads[hp.idx[a]].rec().ts, hp.heads[hp.idx[b]].rec().ts
	return ta < tb || ta == tb && hp.idx[a] < hp.idx[b]
}

func (hp *mergeHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(hp.idx) {
			return
		}
		j := l
		if r := l + 1; r < len(hp.idx) && hp.less(r, l) {
			j = r
		}
		if !hp.less(j, i) {
			return
		}
		hp.idx[i], hp.idx[j] = hp.idx[j], hp.idx[i]
		i = j
	}
}

func (hp *mergeHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !hp.less(i, p) {
			return
		}
		hp.idx[i], hp.idx[p] = hp.idx[p], hp.idx[i]
		i = p
	}
}

// advance moves the input at heap position i to its next line, or out of
// the heap when it has none.
func (hp *mergeHeap) advance(i int) {
	if !hp.heads[hp.idx[i]].next() {
		n := len(hp.idx) - 1
		hp.idx[i] = hp.idx[n]
		hp.idx = hp.idx[:n]
		if i == n {
			return
		}
	}
	hp.up(i)
	hp.down(i)
}

// find returns the heap position of an input whose next line is line
// (time ts), or -1. The heads no later than ts form a subtree at the root,
// so only those are looked at: the ones tied at ts and the few that went
// back in time.
func (hp *mergeHeap) find(ts uint64, line []byte) int {
	stack := []int{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i >= len(hp.idx) {
			continue
		}
		h := hp.heads[hp.idx[i]]
		r := h.rec()
		if r.ts > ts {
			continue
		}
		if r.ts == ts && bytes.Equal(h.ch.line(r), line) {
			return i
		}
		stack = append(stack, 2*i+1, 2*i+2)
	}
	return -1
}

// isCanonical reports whether raw (a usable line whose line end was CRLF)
// is byte for byte what appendCanonical would write for f, so merge can
// copy it as it is. A usable line's item fits the item field.
func isCanonical(raw []byte, f fields) bool {
	if len(raw) < ReturnLen {
		return false
	}
	if pad := raw[TimeLen+1+len(f.item) : ReturnLen]; string(pad) != spacesItem[:len(pad)] {
		return false
	}
	if f.typ == byte(Loan) {
		return bytes.Equal(raw[ReturnLen:], f.patron)
	}
	return len(raw) == ReturnLen
}

// itemField is the padded item column block of a canonical line.
func itemField(line []byte) []byte { return line[TimeLen+1 : ReturnLen] }

// dupResult is what dupTable says about a line.
type dupResult int

const (
	dupNew       dupResult = iota // write it
	dupSeen                       // an exact repeat: drop it
	dupUnchecked                  // the table is full: write it, unchecked
)

// maxDupArena bounds the bytes of lines one minute of output keeps for the
// duplicate rule: about 88,000 lines, far more than a day's busiest minute
// at every desk of a library together.
var maxDupArena = 8 << 20

// dupTable remembers, for the current minute of the output, the last line
// written for each item. Lines are copied, since the chunks they came from
// are recycled; hashes only find candidates, and items and lines are
// compared byte for byte, so a hash collision never drops a line.
type dupTable struct {
	started bool
	ts      uint64
	tab     hashTab // item hash → index in ents
	ents    []dupLine
	arena   []byte
}

// dupLine is a line in arena; n == 0 means unknown (it did not fit), which
// matches nothing: no line is empty.
type dupLine struct{ off, n int32 }

// add applies the duplicate rule to line (time ts, item hash ih) and, unless
// it is a repeat, makes it the item's last line.
func (d *dupTable) add(ts, ih uint64, line []byte) dupResult {
	if !d.started || ts != d.ts {
		d.started, d.ts = true, ts
		d.tab.reset()
		d.ents, d.arena = d.ents[:0], d.arena[:0]
	}
	item := itemField(line)
	t := &d.tab
	for i := ih & t.mask; t.slots[i].gen == t.gen; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.key != ih {
			continue
		}
		e := &d.ents[s.val]
		if e.n > 0 {
			prev := d.arena[e.off : e.off+e.n]
			if !bytes.Equal(itemField(prev), item) {
				continue
			}
			if bytes.Equal(prev, line) {
				return dupSeen
			}
		}
		return d.store(e, line)
	}
	if len(d.arena)+len(line) > maxDupArena {
		return dupUnchecked
	}
	d.ents = append(d.ents, dupLine{})
	t.insert(ih, uint32(len(d.ents)-1))
	return d.store(&d.ents[len(d.ents)-1], line)
}

// store makes line the last line of entry e.
func (d *dupTable) store(e *dupLine, line []byte) dupResult {
	if len(d.arena)+len(line) > maxDupArena {
		e.n = 0
		return dupUnchecked
	}
	e.off, e.n = int32(len(d.arena)), int32(len(line))
	d.arena = append(d.arena, line...)
	return dupNew
}
