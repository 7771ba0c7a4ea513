package store

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"strconv"
)

// State-directory file names.
const (
	spoolName    = "spool.dat"   // canonical lines that could not go to the data file yet
	drainLogName = "spool.drain" // drain intents, see intent
)

// spoolRec is one pending line of the spool file.
type spoolRec struct {
	off  int64
	line []byte
}

// spool is the in-memory view of the spool file: the lines not yet drained.
type spool struct {
	path, logPath string
	pending       []spoolRec
	size          int64 // bytes in the spool file (drained lines stay until it is emptied)
	// logStale: the spool was emptied but the drain log could not be reset.
	// New lines would reuse offsets that stale intents name, so spooling is
	// refused until the reset succeeds.
	logStale bool
}

// intent is one line of the drain log, written and fsynced before a spooled
// line is appended to the data file.
//
// Why a log of intents and not a "drained up to" counter written after
// each move: a crash between the data-file fsync and the counter update
// would drain that line twice. Instead the intent names the spooled line
// (offset, length, CRC) and exactly where it is about to land (the data
// file's identity and size before the write). At start the last intent is
// checked against the data file: if those bytes are there, the line was
// moved; if not, it was not. Every intent before the last one is done,
// because an intent is only written after the previous line was fsynced.
// The one ambiguous case — the line was written, then the data file was
// archived before the restart — is resolved by draining again: a duplicate
// line is a harmless error in Alma's job report, a lost loan is not.
type intent struct {
	SpoolOff int64  // offset of the line in the spool file
	Len      int    // its length
	CRC      uint32 // its CRC-32 (IEEE)
	DataSize int64  // data file size before the write = where the line lands
	ID       fileID // data file identity
}

// marshal returns the intent as one drain-log line.
func (in intent) marshal() []byte {
	return fmt.Appendf(nil, "%d %d %08x %d %d %d\n", in.SpoolOff, in.Len, in.CRC, in.DataSize, in.ID.Dev, in.ID.Ino)
}

// parseIntent parses one drain-log line without its line end.
func parseIntent(b []byte) (intent, error) {
	f := bytes.Fields(b)
	if len(f) != 6 {
		return intent{}, fmt.Errorf("drain log: %d fields, want 6", len(f))
	}
	var in intent
	var err error
	nums := make([]uint64, 6)
	for i, x := range f {
		base := 10
		if i == 2 {
			base = 16
		}
		if nums[i], err = strconv.ParseUint(string(x), base, 64); err != nil {
			return intent{}, fmt.Errorf("drain log: field %d: %w", i+1, err)
		}
	}
	if nums[0] > 1<<62 || nums[1] == 0 || nums[1] > 1<<20 || nums[2] > 0xFFFFFFFF || nums[3] > 1<<62 {
		return intent{}, errors.New("drain log: value out of range")
	}
	in.SpoolOff, in.Len, in.CRC, in.DataSize = int64(nums[0]), int(nums[1]), uint32(nums[2]), int64(nums[3])
	in.ID = fileID{Dev: nums[4], Ino: nums[5]}
	return in, nil
}

// parseDrainLog returns the last well-formed intent of a drain log. A final
// line without line end is a write torn by a crash (its drain never began)
// and is ignored; so are malformed lines, which can only make the recovery
// drain a line again, never skip one.
func parseDrainLog(b []byte) (last intent, ok bool) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		if in, err := parseIntent(b[:i]); err == nil {
			last, ok = in, true
		}
		b = b[i+1:]
	}
	return last, ok
}

// splitSpool splits spool file contents into lines with their offsets.
// Lines that are not canonical records are reported through bad and left
// out: nothing malformed may ever reach the data file.
func splitSpool(b []byte, bad func(off int64, err error)) []spoolRec {
	var recs []spoolRec
	var off int64
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			bad(off, errors.New("no line end"))
			break
		}
		line := b[:i+1]
		if err := checkLine(line); err != nil {
			bad(off, err)
		} else {
			recs = append(recs, spoolRec{off: off, line: bytes.Clone(line)})
		}
		off += int64(i + 1)
		b = b[i+1:]
	}
	return recs
}

// loadSpool opens (creating) the spool, repairs a torn tail, and works out
// from the drain log which lines are still pending.
func (s *Store) loadSpool() error {
	sp := &s.sp
	f, created, err := openFile(sp.path, true, s.opts.FileMode)
	if err != nil {
		return wrapClass("opening spool", err)
	}
	defer f.Close()
	if created {
		if err := syncDir(s.opts.StateDir); err != nil {
			return wrapClass("syncing state folder", err)
		}
	}
	fi, err := f.Stat()
	if err != nil {
		return wrapClass("opening spool", err)
	}
	size := fi.Size()
	if size > 0 {
		var last [1]byte
		if _, err := f.ReadAt(last[:], size-1); err != nil {
			return wrapClass("reading spool", err)
		}
		if last[0] != '\n' {
			// The line being spooled when we crashed: never acknowledged.
			if size, err = s.repairTail(f, sp.path, size); err != nil {
				return wrapClass("repairing spool", err)
			}
		}
	}
	data := make([]byte, size)
	if _, err := f.ReadAt(data, 0); err != nil {
		return wrapClass("reading spool", err)
	}
	recs := splitSpool(data, func(off int64, err error) {
		s.log.Error("store: spool line is not a valid record; it will not be written", "offset", off, "err", err)
	})
	logData, err := readOwn(sp.logPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return wrapClass("reading drain log", err)
	}
	drained := s.recoverDrained(recs, size, logData)
	for _, r := range recs {
		if r.off >= drained {
			sp.pending = append(sp.pending, r)
		}
	}
	sp.size = size
	if len(sp.pending) == 0 && (size > 0 || len(logData) > 0) {
		if err := s.resetSpool(); err != nil {
			s.log.Warn("store: cannot empty the drained spool", "err", err)
		}
	}
	if n := len(sp.pending); n > 0 {
		s.log.Warn("store: spooled records from an earlier run are waiting for the data file", "records", n)
	}
	return nil
}

// recoverDrained returns the spool offset before which every line is in the
// data file (see intent).
func (s *Store) recoverDrained(recs []spoolRec, size int64, logData []byte) int64 {
	in, ok := parseDrainLog(logData)
	if !ok {
		return 0
	}
	if in.SpoolOff == size {
		return size // the intent's line was undone from the spool; all before it are done
	}
	var rec *spoolRec
	for i := range recs {
		if recs[i].off == in.SpoolOff {
			rec = &recs[i]
		}
	}
	if rec == nil {
		// Not a line boundary: the log does not belong to this spool.
		// Draining everything again may duplicate, never lose.
		if size > 0 {
			s.log.Warn("store: drain log does not match the spool; re-draining all spooled lines")
		}
		return 0
	}
	if len(rec.line) != in.Len || crc32.ChecksumIEEE(rec.line) != in.CRC {
		// Another line now sits where the intent's line was: that one was
		// undone before it ever reached the data file.
		return in.SpoolOff
	}
	buf := make([]byte, in.Len)
	id, _, err := readAt(s.dataPath, buf, in.DataSize)
	switch {
	case err == nil && id == in.ID && bytes.Equal(buf, rec.line):
		return in.SpoolOff + int64(in.Len)
	case err == nil && id != in.ID, errors.Is(err, fs.ErrNotExist):
		s.log.Warn("store: data file was replaced while a spooled record was being moved; moving it again (it may also be in the archived file)")
	}
	return in.SpoolOff
}

// spoolAppend appends a line durably to the spool.
func (s *Store) spoolAppend(line []byte) (int64, error) {
	sp := &s.sp
	if sp.logStale {
		if err := s.resetSpool(); err != nil {
			return 0, wrapClass("resetting drain log", err)
		}
	}
	p, err := s.appendFile(sp.path, line, nil)
	if err != nil {
		return 0, wrapClass("writing spool "+sp.path, err)
	}
	sp.pending = append(sp.pending, spoolRec{off: p.off, line: line})
	sp.size = p.off + int64(len(line))
	return p.off, nil
}

// resetSpool empties the spool and then the drain log. The order matters:
// a stale log next to an empty spool is harmless (nothing pending), while
// an empty log next to a full spool would drain everything twice.
func (s *Store) resetSpool() error {
	sp := &s.sp
	if err := truncateFile(sp.path, 0); err != nil {
		return err
	}
	sp.size = 0
	if err := truncateFile(sp.logPath, 0); err != nil && !errors.Is(err, fs.ErrNotExist) {
		sp.logStale = true
		return err
	}
	sp.logStale = false
	return nil
}

// drainLocked moves pending spool lines into the data file, oldest first,
// stopping at the first failure. s.mu must be held.
func (s *Store) drainLocked() error {
	sp := &s.sp
	n := 0
	for len(sp.pending) > 0 {
		rec := sp.pending[0]
		in := intent{SpoolOff: rec.off, Len: len(rec.line), CRC: crc32.ChecksumIEEE(rec.line)}
		p, err := s.appendFile(s.dataPath, rec.line, func(size int64, id fileID) error {
			in.DataSize, in.ID = size, id
			if _, err := s.appendFile(sp.logPath, in.marshal(), nil); err != nil {
				return fmt.Errorf("drain log: %w", err)
			}
			return nil
		})
		if err != nil {
			s.lastErr = wrapClass("writing "+s.dataPath, err)
			if n > 0 {
				s.log.Info("store: spool partly drained", "records", n, "left", len(sp.pending))
			}
			return s.lastErr
		}
		sp.pending = sp.pending[1:]
		s.appended++
		n++
		if l := s.last; l != nil && l.inSpool && l.off == rec.off {
			l.inSpool, l.id, l.off = false, p.id, p.off
		}
	}
	if n > 0 {
		s.log.Info("store: spool drained into the data file", "records", n, "file", s.dataPath)
	}
	s.lastErr = nil
	if sp.size > 0 {
		if err := s.resetSpool(); err != nil {
			s.log.Warn("store: cannot empty the drained spool", "err", err)
		}
	}
	return nil
}
