package encoder

import (
	"bytes"
	"fmt"
	"io"
)

// errTooLong is the problem reported for a line longer than MaxLineLen.
var errTooLong = fmt.Errorf("%w (more than %d bytes; not an OffCirc file?)", ErrLineTooLong, MaxLineLen)

// chunkSize is the read size of check: large reads cost few system calls,
// and a chunk holds thousands of lines, so handing one to another goroutine
// costs little per line.
const chunkSize = 1 << 20

// chunkReader reads its input in large blocks and returns them cut at line
// ends, so lines are split in place with bytes.IndexByte instead of one
// bufio call per line. It draws the lines exactly where Reader does: a line
// (line end included) longer than MaxLineLen is too long, and the bytes
// after the last line end are a torn line.
type chunkReader struct {
	r     io.Reader
	buf   []byte
	start int // unread data is buf[start:end]
	end   int
	size  int  // buffer size for keep
	keep  bool // never reuse a buffer: the caller keeps the chunks
	// alloc, when set with keep, supplies the buffers (of size bytes), and
	// release takes back one that backed no chunk; check recycles a few
	// buffers between the reading and the parsing goroutines this way.
	alloc   func() []byte
	release func([]byte)
	used    bool  // a chunk of buf was returned
	err     error // first read error; io.EOF at a clean end
	// errInLong says the read error came while discarding a too-long line,
	// so Reader would name that line, not the one after it.
	errInLong bool
}

func newChunkReader(r io.Reader, size int, keep bool) *chunkReader {
	if size <= MaxLineLen {
		size = MaxLineLen + 1
	}
	c := &chunkReader{r: r, size: size, keep: keep}
	if !keep {
		c.buf = make([]byte, size)
	}
	return c
}

// fill moves the unread bytes to the front of a buffer (a new one when
// keep) and reads until it is full or the input ends.
func (c *chunkReader) fill() {
	rest := c.buf[c.start:c.end]
	if c.keep {
		old := c.buf
		if c.alloc != nil {
			c.buf = c.alloc()
		} else {
			c.buf = make([]byte, c.size)
		}
		if !c.used && old != nil && c.release != nil {
			c.release(old)
		}
		c.used = false
	}
	c.end = copy(c.buf, rest)
	c.start = 0
	empty := 0
	for c.end < len(c.buf) && c.err == nil {
		n, err := c.r.Read(c.buf[c.end:])
		c.end += n
		if err != nil {
			c.err = err
		} else if n == 0 {
			if empty++; empty >= 100 {
				c.err = io.ErrNoProgress
			}
		}
	}
}

// next returns the next chunk: whole lines, each ending in '\n', except at
// the end of the input, where the last chunk may end with a line without
// line end. long reports instead one line too long to keep (chunk is then
// empty). ok is false when the input is exhausted or a read failed (see
// readErr); the bytes of a line cut by a read error are dropped, as Reader
// drops them.
func (c *chunkReader) next() (chunk []byte, long, ok bool) {
	if c.buf == nil && c.err == nil {
		c.fill()
	}
	for {
		data := c.buf[c.start:c.end]
		if j := bytes.LastIndexByte(data, '\n'); j >= 0 && (c.err != nil || c.end == len(c.buf)) {
			c.used = true
			if c.err == io.EOF {
				// Nothing more will come: the tail goes too.
				c.start = c.end
				return data, false, true
			}
			c.start += j + 1
			return data[:j+1], false, true
		}
		if c.err != nil {
			c.start = c.end
			if c.err == io.EOF && len(data) > 0 {
				c.used = true
				return data, false, true
			}
			c.buf, c.start, c.end, c.used = nil, 0, 0, true
			return nil, false, false
		}
		if c.end == len(c.buf) && c.start == 0 {
			// A full buffer without a line end: far too long. Drop it up to
			// its line end without keeping it.
			c.discardLine()
			return nil, true, true
		}
		c.fill()
	}
}

// discardLine skips input up to and including the next '\n'.
func (c *chunkReader) discardLine() {
	for {
		if j := bytes.IndexByte(c.buf[c.start:c.end], '\n'); j >= 0 {
			c.start += j + 1
			return
		}
		c.start = c.end
		if c.err != nil {
			c.errInLong = c.err != io.EOF
			return
		}
		// The buffer holds nothing but the discarded line: reuse it.
		c.start, c.end = 0, 0
		keep := c.keep
		c.keep = false
		c.fill()
		c.keep = keep
	}
}

// readErr returns the read error, formatted as Reader formats it: num is
// the number of lines returned so far.
func (c *chunkReader) readErr(num int) error {
	if c.err == nil || c.err == io.EOF {
		return nil
	}
	if !c.errInLong {
		num++
	}
	return fmt.Errorf("encoder: line %d: %w", num, c.err)
}

// cutLine takes the first line off chunk (as returned by chunkReader.next).
// raw is the line without its line end; bad is non-nil for a line that is
// too long or torn (no line end at the end of the input). crlf reports a
// CRLF line end.
func cutLine(chunk []byte) (raw, rest []byte, crlf bool, bad error) {
	i := bytes.IndexByte(chunk, '\n')
	if i < 0 {
		if len(chunk) >= MaxLineLen {
			return chunk[:64], nil, false, errTooLong
		}
		return chunk, nil, false, ErrTorn
	}
	raw, rest = chunk[:i], chunk[i+1:]
	if i >= MaxLineLen {
		return raw[:64], rest, false, errTooLong
	}
	if i > 0 && raw[i-1] == '\r' {
		return raw[:i-1], rest, true, nil
	}
	return raw, rest, false, nil
}

// lendBuffers makes cr take its buffers from the items in free (a buffer is
// made on an item's first use), so cr's reader runs at most cap(free)
// chunks ahead of whoever hands the items back; an item whose buffer backed
// no chunk goes straight back. current returns the item whose buffer backs
// the chunk that cr.next returned last.
func lendBuffers[T any](cr *chunkReader, free chan *T, buf func(*T) *[]byte) (current func() *T) {
	var cur, prev *T
	cr.alloc = func() []byte {
		prev, cur = cur, <-free
		b := buf(cur)
		if *b == nil {
			*b = make([]byte, cr.size)
		}
		return *b
	}
	cr.release = func(b []byte) {
		for _, it := range [2]*T{cur, prev} {
			if it != nil && &(*buf(it))[0] == &b[0] {
				free <- it
				return
			}
		}
	}
	return func() *T { return cur }
}
