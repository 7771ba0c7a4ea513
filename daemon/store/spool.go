package store

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/offcircd/offcircd/internal/privdir"
)

// State-directory file names.
const (
	spoolName    = "spool.dat"   // canonical lines that could not go to the data file yet
	drainLogName = "spool.drain" // drain intents, see intent
)

// spoolRec is one pending line of the spool file.
type spoolRec struct {
	off, end int64  // the spool line's first byte and the byte after it
	line     []byte // the record line it holds (what goes into the data file)
}

// damagedMark names the side files of damaged spool lines:
// spool.dat.damaged-<time>.
const damagedMark = ".damaged-"

// spoolLine returns the spool form of a record line: its CRC-32 (IEEE) as
// 8 hex digits, a space, then the line. A flipped byte anywhere in it is
// found at start, instead of a wrong record being drained or a damaged one
// being dropped.
func spoolLine(line []byte) []byte {
	return append(fmt.Appendf(make([]byte, 0, 9+len(line)), "%08x ", crc32.ChecksumIEEE(line)), line...)
}

// recordOf returns the record line a spool line holds, checking it. Lines
// written before spool checksums (a bare record; its 9th byte is a digit of
// the time) are still read, so an upgrade drains an old spool; they are
// only checked for being canonical.
func recordOf(raw []byte) ([]byte, error) {
	if len(raw) > 9 && raw[8] == ' ' {
		want, err := strconv.ParseUint(string(raw[:8]), 16, 32)
		if err != nil {
			return nil, fmt.Errorf("checksum field %q is not hex", raw[:8])
		}
		line := raw[9:]
		if got := crc32.ChecksumIEEE(line); got != uint32(want) {
			return nil, fmt.Errorf("checksum %08x does not match the line (%08x): damaged", want, got)
		}
		raw = line
	}
	if err := checkLine(raw); err != nil {
		return nil, err
	}
	return raw, nil
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
//
// A group of records whose one write hung is spooled as consecutive lines
// under one intent naming all of them (N); their record lines, in order,
// are what the write puts at DataSize (Len and CRC are of all of them).
type intent struct {
	SpoolOff int64  // offset of the (first) line in the spool file
	Len      int    // the record line's length (a group's: all of them)
	CRC      uint32 // its CRC-32 (IEEE)
	DataSize int64  // data file size before the write = where the line lands
	ID       fileID // data file identity
	N        int    // record lines the intent names: 1, or a group's count
}

// marshal returns the intent as one drain-log line: six fields for one
// line (as every earlier version wrote it), a seventh with a group's count.
func (in intent) marshal() []byte {
	b := fmt.Appendf(nil, "%d %d %08x %d %d %d", in.SpoolOff, in.Len, in.CRC, in.DataSize, in.ID.Dev, in.ID.Ino)
	if in.N > 1 {
		b = fmt.Appendf(b, " %d", in.N)
	}
	return append(b, '\n')
}

// parseIntent parses one drain-log line without its line end.
func parseIntent(b []byte) (intent, error) {
	f := bytes.Fields(b)
	if len(f) != 6 && len(f) != 7 {
		return intent{}, fmt.Errorf("drain log: %d fields, want 6 or 7", len(f))
	}
	var in intent
	var err error
	nums := make([]uint64, len(f))
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
	in.N = 1
	if len(nums) == 7 {
		if nums[6] < 2 || nums[6] > MaxGroup {
			return intent{}, errors.New("drain log: group count out of range")
		}
		in.N = int(nums[6])
	}
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
// Lines that fail their checksum or are not canonical records are reported
// through bad (with their bytes) and left out: nothing malformed may ever
// reach the data file.
// setAsideMark starts a spool line that was copied to a side file: it is
// skipped. A record line starts with its checksum's hex digits.
const setAsideMark = '#'

// markSetAside overwrites each line of the spool at path at (offset,
// length) pairs of at with the set-aside mark and blanks of the same
// length, and syncs it. Its own handle: the store's is opened to append,
// which cannot write in place.
func markSetAside(path string, at []int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	for i := 0; i+1 < len(at); i += 2 {
		n := at[i+1]
		blank := bytes.Repeat([]byte{' '}, int(n))
		blank[0], blank[n-1] = setAsideMark, '\n'
		if _, err := f.WriteAt(blank, at[i]); err != nil {
			return err
		}
	}
	return syncFile(f)
}

func splitSpool(b []byte, bad func(off int64, raw []byte, err error)) []spoolRec {
	var recs []spoolRec
	var off int64
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			bad(off, b, errors.New("no line end"))
			break
		}
		raw := b[:i+1]
		if raw[0] == setAsideMark {
			// Already copied to a side file at an earlier start.
			off += int64(i + 1)
			b = b[i+1:]
			continue
		}
		if line, err := recordOf(raw); err != nil {
			bad(off, raw, err)
		} else {
			recs = append(recs, spoolRec{off: off, end: off + int64(len(raw)), line: bytes.Clone(line)})
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
	var damaged []byte
	var damagedAt []int64
	recs := splitSpool(data, func(off int64, raw []byte, err error) {
		s.log.Error("store: damaged spool line set aside; it will not be written", "offset", off, "err", err)
		damaged = append(damaged, raw...)
		if raw[len(raw)-1] == '\n' {
			damagedAt = append(damagedAt, off, int64(len(raw)))
		}
	})
	if len(damaged) > 0 {
		// Durable in the side file before anything can empty the spool:
		// an acknowledged record must never vanish, even a damaged one.
		side, err := s.writeSide(spoolName+damagedMark, damaged)
		if err != nil {
			return wrapClass("saving damaged spool lines", err)
		}
		s.log.Error("store: damaged spool lines moved aside: check them and add what is missing by hand", "side_file", side)
		// Then marked in the spool as set aside, in place (the drain log's
		// offsets stay true): the next start must not copy them again, or
		// staff told to add what is missing would add a loan once per
		// restart. A crash before the mark only repeats the side file once.
		if err := markSetAside(sp.path, damagedAt); err != nil {
			s.log.Warn("store: cannot mark the damaged spool lines as set aside; the next start copies them again", "err", err)
		}
	}
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
	first := -1
	for i := range recs {
		if recs[i].off == in.SpoolOff {
			first = i
		}
	}
	if first < 0 {
		// Not a line boundary: the log does not belong to this spool.
		// Draining everything again may duplicate, never lose.
		if size > 0 {
			s.log.Warn("store: drain log does not match the spool; re-draining all spooled lines")
		}
		return 0
	}
	rec := &recs[first]
	if in.N == 1 && (len(rec.line) != in.Len || crc32.ChecksumIEEE(rec.line) != in.CRC) {
		// Another line now sits where the intent's line was: that one was
		// undone before it ever reached the data file.
		return in.SpoolOff
	}
	// A group's lines are looked for one by one (checkPlacement), each at
	// its own place: only exact bytes count, so a group that was cut
	// short (its last line undone) is never taken for more. A damaged line
	// set aside inside a group stops the search there: the line after it
	// is looked for where the damaged one would be.
	group := recs[first:min(first+in.N, len(recs))]
	var blob []byte
	for _, r := range group {
		blob = append(blob, r.line...)
	}
	// Look in the data file, within the write timeout: a hung share must
	// not hang the start. Not knowing yet leaves the lines pending and the
	// data file unwritten until it is known (settleLocked).
	at := placement{id: in.ID, off: in.DataSize}
	d := &doubt{at: at, line: blob, spoolOff: rec.off}
	if s.stuck != nil {
		s.doubt = d
		return rec.off
	}
	op := &dataOp{line: blob, spoolOff: rec.off, began: true, at: at}
	if !s.runBounded(op, func(op *dataOp) (verdict, placement) {
		v, k := s.checkPlacement(at, blob, false)
		op.k = k
		return v, at
	}) {
		op.abandon()
		s.stuck = op
		s.dataErr = fmt.Errorf("store: data file %s: %w after %s", s.dataPath, ErrHung, s.timeout)
		return rec.off
	}
	switch op.res {
	case landed:
		return group[op.k-1].end
	case unknown:
		s.doubt = d
	}
	return rec.off
}

// spoolAppend appends lines durably to the spool, all in one write, and
// returns the offset of the first.
func (s *Store) spoolAppend(lines ...[]byte) (int64, error) {
	sp := &s.sp
	if sp.logStale {
		if err := s.resetSpool(); err != nil {
			return 0, wrapClass("resetting drain log", err)
		}
	}
	var raw []byte
	for _, line := range lines {
		raw = append(raw, spoolLine(line)...)
	}
	p, err := s.appendFile(sp.path, raw, nil)
	if err != nil {
		return 0, wrapClass("writing spool "+sp.path, err)
	}
	off := p.off
	for _, line := range lines {
		end := off + int64(len(spoolLine(line)))
		sp.pending = append(sp.pending, spoolRec{off: off, end: end, line: line})
		off = end
	}
	sp.size = off
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
	if !s.settleLocked() {
		if s.dataErr == nil {
			s.dataErr = fmt.Errorf("store: %w", ErrHung)
		}
		return s.dataErr
	}
	sp := &s.sp
	n := 0
	for len(sp.pending) > 0 {
		rec := sp.pending[0]
		in := intent{SpoolOff: rec.off, Len: len(rec.line), CRC: crc32.ChecksumIEEE(rec.line)}
		p, err := s.writeData(rec.line, func(at placement) error {
			in.DataSize, in.ID = at.off, at.id
			if _, err := s.appendFile(sp.logPath, in.marshal(), nil); err != nil {
				return fmt.Errorf("drain log: %w", err)
			}
			return nil
		})
		if err != nil {
			if errors.Is(err, ErrHung) && s.stuck != nil {
				s.stuck.spoolOff = rec.off // its intent names it: the verdict decides
			}
			s.dataErr = wrapClass("writing "+s.dataPath, err)
			if n > 0 {
				s.log.Info("store: spool partly drained", "records", n, "left", len(sp.pending))
			}
			return s.dataErr
		}
		sp.pending = sp.pending[1:]
		s.count(rec.line, 1)
		n++
		if l := s.last; l != nil && l.inSpool && l.off == rec.off {
			l.inSpool, l.id, l.off = false, p.id, p.off
		}
	}
	if n > 0 {
		s.log.Info("store: spool drained into the data file", "records", n, "file", s.dataPath)
		s.dataErr = nil
	}
	if sp.size > 0 {
		if err := s.resetSpool(); err != nil {
			s.log.Warn("store: cannot empty the drained spool", "err", err)
		}
	}
	return nil
}

// probeLocked checks whether a failure is over: the data file (or its
// folder, created as at start) can be opened for writing again, the spool
// can, and damaged-line side files were dealt with (deleted). It writes no
// record; a disk that is still full shows at the next write.
func (s *Store) probeLocked() error {
	if len(s.damaged) > 0 {
		s.findDamaged()
	}
	if !s.settleLocked() {
		return nil // drainLocked reports it
	}
	if s.notStored != nil {
		f, _, err := openFile(s.sp.path, true, s.opts.FileMode)
		if err != nil {
			return wrapClass("probing spool", err)
		}
		f.Close()
		s.notStored = nil
		s.log.Info("store: the spool can be written again")
	}
	if s.dataErr == nil {
		return nil
	}
	var perr error
	op := &dataOp{spoolOff: -1}
	if !s.runBounded(op, func(*dataOp) (verdict, placement) {
		perr = s.probeData()
		return notLanded, placement{}
	}) {
		op.abandon()
		s.stuck = op
		return fmt.Errorf("store: probing data file: %w", ErrHung)
	}
	if perr != nil {
		s.dataErr = perr
		return perr
	}
	s.dataErr = nil
	if len(s.sp.pending) == 0 {
		s.log.Info("store: the data file can be written again", "file", s.dataPath)
	}
	return nil
}

// probeData opens the data file for appending, creating it (and its folder)
// when missing, as the next record would.
func (s *Store) probeData() error {
	if err := privdir.MkdirAll(s.opts.DataDir); err != nil {
		return wrapClass("creating data folder", err)
	}
	f, created, err := openLocked(s.dataPath, true, s.opts.FileMode)
	if err != nil {
		return wrapClass("opening "+s.dataPath, err)
	}
	f.Close()
	if created {
		_ = syncDir(s.opts.DataDir)
	}
	return nil
}

// findDamaged lists the damaged-spool side files in the state folder: the
// status names them, and the alarm sounds, until staff deleted them.
func (s *Store) findDamaged() {
	names, _ := filepath.Glob(filepath.Join(s.opts.StateDir, spoolName+damagedMark+"*"))
	s.damaged = names
}
