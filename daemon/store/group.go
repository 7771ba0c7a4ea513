package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/offcircd/offcircd/encoder"
)

// MaxGroup is the most records AppendGroup takes at once.
const MaxGroup = 32

// ErrNoGroup is returned by AppendGroup when it stored nothing and the
// records are to be stored one by one with Append: the store takes records
// one at a time just now (a failed or hung data file, records waiting in
// the spool), a record does not encode (Append names which), or the data
// file refused the group's write (Append then spools each).
var ErrNoGroup = errors.New("records are taken one at a time just now")

// AppendGroup stores recs, in order, with one data-file write and one
// fsync: a station with several scans queued pays the fsync once instead
// of once per scan. It is all or nothing:
//
//   - nil: every record is durable, all in the data file or (Ack.Spooled)
//     all in the spool;
//   - an error wrapping ErrNoGroup: nothing was stored; store them with
//     Append, one by one;
//   - any other error (ErrNotStored): none of them is stored anywhere and
//     each scan must be refused with it. They must not be tried again: the
//     group's write hung and may still land, and a copy spooled now would
//     then be a second one.
//
// A group whose write hangs is spooled as one write under one drain-log
// intent, and found again line by line (checkPlacement), so a write that
// landed only in part after a power cut is neither lost nor doubled.
func (s *Store) AppendGroup(recs []encoder.Record) (Ack, error) {
	switch {
	case len(recs) == 0:
		return Ack{}, nil
	case len(recs) > MaxGroup:
		return Ack{}, fmt.Errorf("store: %w: %d records, at most %d at once", ErrNoGroup, len(recs), MaxGroup)
	}
	lines := make([][]byte, len(recs))
	for i, rec := range recs {
		line, err := encoder.Encode(rec)
		if err != nil {
			return Ack{}, fmt.Errorf("store: %w: %w", ErrNoGroup, err)
		}
		lines[i] = line
	}
	s.mu.Lock()
	if s.closed || !s.settleLocked() || len(s.sp.pending) > 0 || s.dataErr != nil || s.notStored != nil {
		s.unlockAndNotify()
		return Ack{}, fmt.Errorf("store: %w", ErrNoGroup)
	}
	blob := bytes.Join(lines, nil)
	n := len(recs)
	p, err := s.writeData(blob, nil)
	if err == nil {
		for i, line := range lines {
			s.count(line, 1)
			s.log.Debug("store: record appended", "type", recs[i].Type, "item", recs[i].Item, "patron", recs[i].Patron, "group", n)
		}
		last := lines[n-1]
		s.last = &lastRec{rec: recs[n-1], line: last, at: s.now(), id: p.id, off: p.off + int64(len(blob)-len(last))}
		s.step("ack", s.dataPath)
		s.unlockAndNotify()
		return Ack{}, nil
	}
	if !errors.Is(err, ErrHung) {
		// Certainly not in the data file (writeData): Append tries each
		// again and spools what still fails.
		s.unlockAndNotify()
		return Ack{}, fmt.Errorf("store: %w: %w", ErrNoGroup, wrapClass("writing "+s.dataPath, err))
	}
	dataErr := wrapClass("writing "+s.dataPath, err)
	s.dataErr = dataErr
	return s.spoolLocked(recs, lines, true, dataErr)
}
