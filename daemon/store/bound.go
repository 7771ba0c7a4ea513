package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"
)

// DefaultWriteTimeout bounds one data-file operation (open, lock, write,
// fsync) when Options.WriteTimeout is 0.
const DefaultWriteTimeout = 2 * time.Second

// verdict is what became of a record line written to the data file.
type verdict int

const (
	notLanded verdict = iota // the line is not in the data file, and will not be
	landed                   // the line is in the data file, fsynced
	unknown                  // not found out yet (an error while looking): look again
)

// dataOp is one operation on the data file, run on a goroutine of its own so
// that a folder that stops answering (a network share gone away, a frozen
// file system) holds only that goroutine. The store waits WriteTimeout for
// it; after that the op is abandoned: the store spools, and until the op's
// goroutine returns it neither writes the data file nor guesses what became
// of the line. The goroutine reports its verdict when the kernel lets it go.
type dataOp struct {
	line     []byte    // the record lines written, or looked for (several: a group)
	since    time.Time // when it started
	done     chan struct{}
	spoolOff int64 // the spool line holding the same record, or -1 (set under Store.mu)

	takeBack bool // a doubt about this line is checked with takeBack

	mu        sync.Mutex
	began     bool      // the write was let through the gate: the line may land
	at        placement // where it lands (when began)
	abandoned bool      // the store stopped waiting; the gate stays shut
	res       verdict   // valid once done is closed
	p         placement // where it landed (res == landed)
	k         int       // how many of line's records landed (res == landed), set by the work
}

// gate is called just before the write: it lets the write through unless
// the op was abandoned, and records where the line will land. After an
// abandoned op nothing is written, so the store never has to find a record
// it gave up on in a file it already writes again.
func (op *dataOp) gate(at placement) error {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.abandoned {
		return errAbandoned
	}
	op.began, op.at = true, at
	return nil
}

// abandon shuts the gate and reports whether the write began (and where).
// finished means the op completed meanwhile; its verdict is then final.
func (op *dataOp) abandon() (began bool, at placement, finished bool) {
	op.mu.Lock()
	defer op.mu.Unlock()
	select {
	case <-op.done:
		return op.began, op.at, true
	default:
	}
	op.abandoned = true
	return op.began, op.at, false
}

// errAbandoned stops an abandoned op at its gate.
var errAbandoned = errors.New("abandoned after the write timeout")

// runBounded starts op's work on a goroutine and waits up to the write
// timeout. work returns the verdict and, when landed, the placement. It
// returns true when op finished in time (its verdict is then in op.res).
func (s *Store) runBounded(op *dataOp, work func(op *dataOp) (verdict, placement)) bool {
	op.done = make(chan struct{})
	op.since = s.now()
	go func() {
		res, p := work(op)
		op.mu.Lock()
		op.res, op.p = res, p
		op.mu.Unlock()
		close(op.done)
	}()
	t := time.NewTimer(s.timeout)
	defer t.Stop()
	select {
	case <-op.done:
		return true
	case <-t.C:
		return false
	}
}

// writeData appends line to the data file within the write timeout. before,
// when set, runs once the write is let through (the drain's intent). A nil
// error means landed; ErrHung means the outcome is not known yet and
// s.stuck holds the op; any other error means the line is not in the file.
// s.mu must be held.
func (s *Store) writeData(line []byte, before func(at placement) error) (placement, error) {
	if s.failData != nil {
		if err := s.failData(); err != nil {
			return placement{}, err
		}
	}
	var werr error // the append's error, read only after done
	op := &dataOp{line: line, spoolOff: -1, takeBack: true}
	work := func(op *dataOp) (verdict, placement) {
		op.k = lineCount(line)
		p, err := s.appendFile(s.dataPath, line, func(size int64, id fileID) error {
			at := placement{id: id, off: size}
			if err := op.gate(at); err != nil {
				return err
			}
			if before != nil {
				return before(at)
			}
			return nil
		})
		werr = err
		op.mu.Lock()
		began, at := op.began, op.at
		op.mu.Unlock()
		switch {
		case err == nil:
			return landed, p
		case !began, errors.As(err, new(*takenBackError)):
			return notLanded, placement{}
		}
		// Written, then failed, and the line could not be taken back: look.
		v, k := s.checkPlacement(at, line, true)
		op.k = k
		return v, at
	}
	if !s.runBounded(op, work) {
		op.abandon()
	}
	select {
	case <-op.done:
		switch op.res {
		case landed:
			return op.p, nil
		case notLanded:
			return placement{}, werr
		}
		s.stuck = op
		return placement{}, fmt.Errorf("%w; %w", werr, ErrHung)
	default:
	}
	s.stuck = op
	s.log.Error("store: data file not answering: records are spooled until it does",
		"file", s.dataPath, "timeout", s.timeout)
	return placement{}, fmt.Errorf("%w after %s", ErrHung, s.timeout)
}

// doubt is a line whose place in the data file is still to be checked.
type doubt struct {
	at       placement
	line     []byte
	spoolOff int64 // the spool line holding the same record, or -1
	takeBack bool  // the write failed: a line found last is truncated off
}

// settleLocked resolves an abandoned data-file op once its goroutine has
// returned, and then any doubt, applying the verdict: a landed line's
// spooled copy is dropped, a line not landed stays spooled and is drained.
// It returns false while the outcome is still open (the data file must not
// be written then). s.mu must be held.
func (s *Store) settleLocked() bool {
	if op := s.stuck; op != nil {
		select {
		case <-op.done:
		default:
			return false
		}
		s.stuck = nil
		switch op.res {
		case landed:
			s.landedLocked(op.spoolOff, op.p, op.line, op.k)
		case unknown:
			s.doubt = &doubt{at: op.at, line: op.line, spoolOff: op.spoolOff, takeBack: op.takeBack}
		}
		if op.res != unknown {
			s.log.Info("store: data file answers again", "hung_for", s.now().Sub(op.since).Round(time.Millisecond), "record_landed", op.res == landed)
		}
	}
	d := s.doubt
	if d == nil {
		return true
	}
	op := &dataOp{line: d.line, spoolOff: d.spoolOff, takeBack: d.takeBack, began: true, at: d.at}
	ok := s.runBounded(op, func(op *dataOp) (verdict, placement) {
		v, k := s.checkPlacement(d.at, d.line, d.takeBack)
		op.k = k
		return v, d.at
	})
	if !ok {
		s.stuck, s.doubt = op, nil
		return false
	}
	if op.res == unknown {
		return false
	}
	s.doubt = nil
	if op.res == landed {
		s.landedLocked(d.spoolOff, d.at, d.line, op.k)
	}
	return true
}

// landedLocked accounts for records found in the data file after their
// write was given up on: the first k lines of blob, which landed at p. Their
// spooled copies (the first pending lines, from spoolOff) are done; the rest
// of a group whose write landed only in part stays pending and is drained.
func (s *Store) landedLocked(spoolOff int64, p placement, blob []byte, k int) {
	lines := splitLines(blob)[:k]
	for _, line := range lines {
		s.count(line, 1)
	}
	sp := &s.sp
	if spoolOff < 0 {
		s.log.Warn("store: records refused as not stored reached the data file after all", "records", k)
		return
	}
	if len(sp.pending) < k || sp.pending[0].off != spoolOff {
		// Cannot happen: nothing is drained while an op is open.
		s.log.Error("store: landed record is not the first spooled one", "spool_offset", spoolOff)
		return
	}
	off := p.off
	for i, line := range lines {
		if l := s.last; l != nil && l.inSpool && l.off == sp.pending[i].off {
			l.inSpool, l.id, l.off = false, p.id, off
		}
		off += int64(len(line))
	}
	sp.pending = sp.pending[k:]
	s.log.Info("store: the records whose write hung are in the data file; their spooled copies are dropped", "records", k)
}

// checkPlacement finds out how many of blob's lines (one record, or a
// group) are in the data file at at, whole and in order; landed means at
// least one. With takeBack (the write that put them there failed, so they
// may not be durable) lines that are still the file's last bytes are
// truncated off again, so they are certainly not there. A data file
// replaced since (archived, deleted) is taken as not landed: the records
// are written again, and may then also be in the archived file (logged); a
// lost record would be worse.
//
// A group is one write, but a power cut can keep only its first lines, and
// a write that failed half way can stop at a line end: that is why lines
// are counted one by one, never taken as all or nothing.
func (s *Store) checkPlacement(at placement, blob []byte, takeBack bool) (verdict, int) {
	f, _, err := openLocked(s.dataPath, false, 0)
	if errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("store: data file replaced while a record was being written; writing it again (it may also be in the moved file)")
		return notLanded, 0
	}
	if err != nil {
		s.log.Warn("store: cannot look for a record in the data file yet", "err", err)
		return unknown, 0
	}
	defer f.Close()
	id, err := fileIdentity(f)
	if err != nil {
		return unknown, 0
	}
	if id != at.id {
		s.log.Warn("store: data file replaced while a record was being written; writing it again (it may also be in the moved file)")
		return notLanded, 0
	}
	fi, err := f.Stat()
	if err != nil {
		return unknown, 0
	}
	size := fi.Size()
	if size <= at.off {
		return notLanded, 0
	}
	buf := make([]byte, min(size-at.off, int64(len(blob))))
	if _, err := f.ReadAt(buf, at.off); err != nil {
		return unknown, 0
	}
	k, whole := 0, 0 // lines found whole, and their bytes
	for _, line := range splitLines(blob) {
		if whole+len(line) > len(buf) || !bytes.Equal(buf[whole:whole+len(line)], line) {
			break
		}
		k++
		whole += len(line)
	}
	if takeBack && bytes.HasPrefix(blob, buf) && size == at.off+int64(len(buf)) {
		// All that follows at.off is (part of) what the failed write put
		// there: take all of it back.
		if err := f.Truncate(at.off); err != nil {
			return unknown, 0
		}
		if err := syncFile(f); err != nil {
			return unknown, 0
		}
		return notLanded, 0
	}
	if k == 0 {
		return notLanded, 0 // a partial line is a torn tail: repaired before the next append
	}
	if err := syncFile(f); err != nil {
		return unknown, 0
	}
	return landed, k
}

// splitLines splits record lines written together into their lines, each
// with its line end.
func splitLines(blob []byte) [][]byte {
	var lines [][]byte
	for len(blob) > 0 {
		i := bytes.IndexByte(blob, '\n') + 1
		if i == 0 {
			i = len(blob)
		}
		lines = append(lines, blob[:i])
		blob = blob[i:]
	}
	return lines
}

// lineCount is how many record lines blob holds.
func lineCount(blob []byte) int { return len(splitLines(blob)) }

// takenBackError is a failed append whose partial or unsynced line was
// truncated off again: the line is certainly not in the file.
type takenBackError struct{ err error }

func (e *takenBackError) Error() string { return e.err.Error() }
func (e *takenBackError) Unwrap() error { return e.err }
