package encoder

// dupIndex finds lines that repeat the previous line for the same item within
// the same minute: exactly the lines merge drops (identical lines share their
// timestamp, and a loan, return, loan of one item in a minute are three real
// transactions).
//
// It is built for million-line files that are mostly in time order: the
// entries of a minute are a list threaded through one append-only slab, and
// only the current minute is looked at, so a sorted file touches memory
// sequentially. The first time the file goes back to an earlier minute the
// finished minutes are indexed by a map. Only hashes are kept; a 64-bit
// collision could add a false warning, never hide a real one.
type dupIndex struct {
	ents    []dupEnt
	started bool
	cur     uint64 // minute of the current run
	head    int32  // newest entry of the current minute, -1 for none
	n       int32  // entries of the current minute
	curBig  map[uint64]int32
	maxTS   uint64

	runs  []dupRun          // finished minutes while the file is sorted
	heads map[uint64]dupRun // finished minutes once it was not

	// tab indexes the current minute by item while the file is sorted (the
	// common case): one probe per line, emptied in O(1) when the minute
	// changes. Once the file has gone back in time, minutes are revisited
	// and keep their own index (dupRun.big) instead.
	tab hashTab
}

// bigMinute is the list length beyond which a minute gets an item index, so
// a file with very many lines in one minute stays linear.
const bigMinute = 32

type dupEnt struct {
	ih, lh uint64 // item hash; hash of what else can differ (type, patron)
	num    uint32 // line number
	next   int32  // previous entry of the same minute, -1 for none
}

type dupRun struct {
	ts      uint64
	head, n int32
	big     map[uint64]int32
}

// add records line num and returns the line number it duplicates, or 0.
func (d *dupIndex) add(ts, ih, lh uint64, num uint32) uint32 {
	if !d.started || ts != d.cur {
		d.switchTo(ts)
	}
	if d.heads == nil {
		return d.addSorted(ih, lh, num)
	}
	prev := int32(-1)
	if d.curBig != nil {
		if i, ok := d.curBig[ih]; ok {
			prev = i
		}
	} else {
		for i := d.head; i >= 0; i = d.ents[i].next {
			if d.ents[i].ih == ih {
				prev = i
				break
			}
		}
	}
	if prev >= 0 && d.ents[prev].lh == lh {
		return d.ents[prev].num
	}
	idx := int32(len(d.ents))
	d.ents = append(d.ents, dupEnt{ih: ih, lh: lh, num: num, next: d.head})
	d.head = idx
	d.n++
	switch {
	case d.curBig != nil:
		d.curBig[ih] = idx
	case d.n > bigMinute:
		d.indexList()
	}
	return 0
}

// indexList builds curBig from the current minute's list.
func (d *dupIndex) indexList() {
	d.curBig = make(map[uint64]int32, 2*d.n)
	for i := d.head; i >= 0; i = d.ents[i].next {
		if _, ok := d.curBig[d.ents[i].ih]; !ok {
			d.curBig[d.ents[i].ih] = i
		}
	}
}

// addSorted is add while every minute so far came after the one before.
func (d *dupIndex) addSorted(ih, lh uint64, num uint32) uint32 {
	t := &d.tab
	i := ih & t.mask
	for {
		s := &t.slots[i]
		if s.gen != t.gen {
			break
		}
		if s.key == ih {
			if e := &d.ents[s.val]; e.lh == lh {
				return e.num
			}
			idx := d.push(ih, lh, num)
			s.val = uint32(idx)
			return 0
		}
		i = (i + 1) & t.mask
	}
	t.insert(ih, uint32(d.push(ih, lh, num)))
	return 0
}

// push appends an entry to the current minute's list.
func (d *dupIndex) push(ih, lh uint64, num uint32) int32 {
	idx := int32(len(d.ents))
	d.ents = append(d.ents, dupEnt{ih: ih, lh: lh, num: num, next: d.head})
	d.head = idx
	d.n++
	return idx
}

// switchTo makes ts the current minute.
func (d *dupIndex) switchTo(ts uint64) {
	if d.started {
		r := dupRun{ts: d.cur, head: d.head, n: d.n, big: d.curBig}
		if d.heads != nil {
			d.heads[d.cur] = r
		} else {
			d.runs = append(d.runs, r)
		}
	}
	newest := !d.started || ts > d.maxTS
	d.started = true
	d.cur, d.head, d.n, d.curBig = ts, -1, 0, nil
	if newest {
		d.maxTS = ts
		if d.heads == nil {
			d.tab.reset()
		}
		return
	}
	if d.heads == nil {
		// The file went back in time: index the finished minutes.
		d.heads = make(map[uint64]dupRun, len(d.runs))
		for _, r := range d.runs {
			d.heads[r.ts] = r
		}
		d.runs = nil
	}
	if r, ok := d.heads[ts]; ok {
		d.head, d.n, d.curBig = r.head, r.n, r.big
		if d.curBig == nil && d.n > bigMinute {
			// Indexed by tab while the file was sorted: index it now.
			d.indexList()
		}
	}
}
