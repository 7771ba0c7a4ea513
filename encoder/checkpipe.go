package encoder

import (
	"hash/maphash"
	"io"
	"runtime"
	"sync"
)

// check runs in three stages so a big file uses every core: one goroutine
// reads chunks of whole lines, workers parse chunks (the field rules and the
// hashes for the duplicate index: most of the work), and the calling
// goroutine applies the rules across lines in file order, so line numbers,
// the order of problems and Options.Report calls are those of a plain
// line-by-line loop.

// pipeChunks is how many chunk buffers are in flight: enough to keep the
// reader and the workers busy while the rules stage catches up.
const pipeChunks = 6

// lineRes is what a worker found on one line.
type lineRes struct {
	ts     uint64
	ih, lh uint64 // hashes for dupIndex
	e0     int32  // first of the line's errors in chunk.errs
	kind   uint8
	ne     uint8 // number of errors
	typ    byte
}

const (
	resOK    uint8 = iota
	resWarn        // usable, a return carrying a patron
	resEmpty       // an empty line (a warning only)
	resBad         // errors in chunk.errs
)

// chunk is one unit of the pipeline.
type chunk struct {
	buf  []byte // backing buffer, recycled
	data []byte // whole lines (last one maybe torn)
	long bool   // instead of data: one over-long line
	res  []lineRes
	errs []error
	done chan struct{}
}

// parse fills res and errs from data.
func (ch *chunk) parse(seed maphash.Seed) {
	var errs lineErrs
	var tc tsCache
	res, el := ch.res[:0], ch.errs[:0]
	data := ch.data
	for len(data) > 0 {
		raw, rest, _, bad := cutLine(data)
		data = rest
		if bad != nil {
			res = append(res, lineRes{kind: resBad, e0: int32(len(el)), ne: 1})
			el = append(el, bad)
			continue
		}
		errs.n = 0 // the entries past n are never read
		f, warn := parseFields(raw, &errs, &tc)
		switch {
		case errs.n == 1 && errs.errs[0] == ErrEmptyLine:
			res = append(res, lineRes{kind: resEmpty})
			continue
		case errs.n > 0:
			res = append(res, lineRes{kind: resBad, e0: int32(len(el)), ne: uint8(errs.n)})
			el = append(el, errs.errs[:errs.n]...)
			continue
		}
		r := lineRes{ts: f.ts, typ: f.typ, ih: maphash.Bytes(seed, f.item), lh: uint64(f.typ)}
		if f.typ == byte(Loan) {
			r.lh ^= maphash.Bytes(seed, f.patron) << 8
		}
		if warn != nil {
			r.kind = resWarn
		}
		res = append(res, r)
	}
	ch.res, ch.errs = res, el
}

// checkPiped is check's loop; bufSize is the chunk buffer size.
func (c *checker) checkPiped(r io.Reader, bufSize int) error {
	free := make(chan *chunk, pipeChunks)
	for range pipeChunks {
		free <- &chunk{}
	}
	ordered := make(chan *chunk, 2*pipeChunks)
	work := make(chan *chunk, pipeChunks)
	cr := newChunkReader(r, bufSize, true)
	current := lendBuffers(cr, free, func(ch *chunk) *[]byte { return &ch.buf })
	go func() {
		defer close(ordered)
		defer close(work)
		for {
			data, long, ok := cr.next()
			if !ok {
				return
			}
			if long {
				ch := &chunk{long: true, done: make(chan struct{})}
				close(ch.done)
				ordered <- ch
				continue
			}
			ch := current()
			ch.data, ch.done = data, make(chan struct{})
			ordered <- ch
			work <- ch
		}
	}()
	workers := max(1, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ch := range work {
				ch.parse(c.seed)
				close(ch.done)
			}
		})
	}
	num := 0
	for ch := range ordered {
		<-ch.done
		if ch.long {
			num++
			c.sum.Lines++
			c.report(num, SeverityError, errTooLong.Error())
			continue
		}
		for i := range ch.res {
			num++
			c.result(num, &ch.res[i], ch.errs)
		}
		ch.data = nil
		free <- ch
	}
	wg.Wait()
	return cr.readErr(num)
}
