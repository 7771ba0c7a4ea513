package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/offcircd/offcircd/encoder"

	"github.com/offcircd/offcircd/internal/privdir"
)

// Options configure a Store.
type Options struct {
	DataDir, FileName, StateDir string
	FileMode                    os.FileMode      // 0640 default when 0
	Logger                      *slog.Logger     // nil: slog.Default()
	Now                         func() time.Time // injected clock; time.Now when nil
	// OnStatus is called after any change of Degraded or SpoolDepth. It may
	// be called from any goroutine, must not block long and must not call
	// Append or Undo (Status is fine).
	OnStatus func(Status)
	// RetryMin and RetryMax bound the backoff of the background drain
	// (defaults 500ms and 30s).
	RetryMin, RetryMax time.Duration
	// WriteTimeout bounds each data-file operation (0 = DefaultWriteTimeout).
	// A write that has not returned by then counts as failed: the record is
	// spooled, and what became of the write is found out when it returns.
	WriteTimeout time.Duration
}

// Status is a snapshot of the store's health.
type Status struct {
	// Degraded: something needs staff: records wait in the spool, the data
	// file fails (or hangs), nothing can be stored, or damaged spool lines
	// were set aside. The alarm sounds while it is true.
	Degraded bool
	// NotStored: the last record could be stored nowhere (neither the data
	// file nor the spool): the alarm plays not-stored, not write-failure.
	NotStored  bool
	SpoolDepth int      // records in the spool
	LastError  string   // why ("" when healthy)
	Damaged    []string // side files in state_dir holding damaged spool lines
	Appended   int64    // records this process put into the data file (direct or drained, minus undone)
	Returns    int64    // of Appended, the returns; the others are loans
}

// Ack describes how a record was made durable.
type Ack struct {
	// Spooled: durable in the spool, not yet in the data file. The station
	// plays the write-failure pattern instead of the good beep.
	Spooled bool
}

// lastRec is the most recent record this process stored, kept for Undo.
type lastRec struct {
	rec     encoder.Record
	line    []byte
	at      time.Time
	inSpool bool   // off is a spool offset; otherwise a data file offset
	id      fileID // data file identity (when !inSpool)
	off     int64
}

// Store appends records durably; see the package comment. Its methods are
// safe for concurrent use.
type Store struct {
	opts     Options
	log      *slog.Logger
	now      func() time.Time
	dataPath string
	wake     chan struct{}

	timeout time.Duration

	mu        sync.Mutex
	sp        spool
	last      *lastRec
	appended  int64
	returns   int64    // of appended, the returns (the rest are loans)
	dataErr   error    // why the data file fails (nil once a write or probe succeeded)
	notStored error    // why the last record was stored nowhere (nil once storing works)
	damaged   []string // side files with damaged spool lines, while they exist
	stuck     *dataOp  // a data-file op given up on whose goroutine has not returned
	doubt     *doubt   // a line whose place in the data file is still to be checked
	closed    bool

	notifyMu sync.Mutex // keeps OnStatus calls in the order of the changes
	reported Status

	// failData, set only by tests (under mu), makes data file writes fail
	// with its error: the crash test spools without mounting anything.
	failData func() error
	// trace, set only by tests, sees each step of an append in order
	// ("open", "write", "sync" with the file, "truncate" before a failed
	// line is taken back, "ack" as Append returns); an error it returns
	// for "sync" is taken as a failed fsync, for "truncate" as a failed
	// truncate (the line stays in the file).
	trace func(step, path string) error
}

// Open prepares the data and state folders, repairs a torn data file tail,
// loads the spool left by an earlier run and checks the state folder can
// be written (without it, no failure could be survived, so Open fails).
func Open(opts Options) (*Store, error) {
	if opts.DataDir == "" || opts.StateDir == "" {
		return nil, errors.New("store: data and state folders must be set")
	}
	if opts.FileName == "" {
		opts.FileName = "OffCirc.dat"
	}
	if opts.FileName != filepath.Base(opts.FileName) {
		return nil, fmt.Errorf("store: file name %q must not contain a folder", opts.FileName)
	}
	if opts.FileMode == 0 {
		opts.FileMode = 0o640
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 500 * time.Millisecond
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(30*time.Second, opts.RetryMin)
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	s := &Store{
		opts:     opts,
		log:      opts.Logger,
		now:      opts.Now,
		dataPath: filepath.Join(opts.DataDir, opts.FileName),
		wake:     make(chan struct{}, 1),
		timeout:  opts.WriteTimeout,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = timeNow
	}
	if fsyncSkipped {
		s.log.Error("store: TEST BUILD (offcircd_nofsync): records are not fsynced and a power cut loses them")
	}
	s.sp.path = filepath.Join(opts.StateDir, spoolName)
	s.sp.logPath = filepath.Join(opts.StateDir, drainLogName)
	if err := privdir.MkdirAll(opts.StateDir); err != nil {
		return nil, stateErr(wrapClass("creating state folder "+opts.StateDir, err))
	}
	// The data folder may be missing, unwritable or hung (a share): none of
	// that stops the station, which then spools, exactly as at runtime.
	op := &dataOp{spoolOff: -1}
	var prepErr error
	if s.runBounded(op, func(*dataOp) (verdict, placement) {
		prepErr = s.prepareData()
		return notLanded, placement{}
	}) {
		s.dataErr = prepErr
	} else {
		op.abandon()
		s.stuck = op
		s.dataErr = fmt.Errorf("store: data folder %s: %w after %s", opts.DataDir, ErrHung, s.timeout)
	}
	if s.dataErr != nil {
		s.log.Error("store: data file not usable, records will be spooled", "err", s.dataErr)
	}
	if err := s.loadSpool(); err != nil {
		return nil, stateErr(err)
	}
	s.findDamaged()
	if len(s.sp.pending) > 0 && s.dataErr == nil {
		s.dataErr = errors.New("store: records spooled by an earlier run are waiting")
	}
	s.reported = s.statusLocked()
	return s, nil
}

// stateErr says what to fix when the state folder is unusable: it is the
// one condition the station cannot start with, because without a spool no
// failure of the data file could be survived.
func stateErr(err error) error {
	return fmt.Errorf("%w (the state folder must be a writable local folder holding no links: it keeps the spool without which no record could survive a data file failure; fix its permissions or state_dir)", err)
}

// prepareData creates the data folder and checks the data file at start.
func (s *Store) prepareData() error {
	if err := privdir.MkdirAll(s.opts.DataDir); err != nil {
		return wrapClass("creating data folder", err)
	}
	return s.repairAtOpen()
}

// repairAtOpen checks the data file: torn tail, kind and permissions. An
// error means the data file cannot be written.
func (s *Store) repairAtOpen() error {
	fi, err := os.Lstat(s.dataPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		err = fmt.Errorf("%s %w", s.dataPath, ErrSymlink)
	case err == nil && !fi.Mode().IsRegular():
		err = fmt.Errorf("%s is not a regular file", s.dataPath)
	}
	if err != nil {
		return wrapClass("data file", err)
	}
	if readableByOthers(fi) {
		s.log.Warn("store: data file is readable by every user; patron IDs are personal data",
			"file", s.dataPath, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
	}
	f, _, err := openLocked(s.dataPath, false, 0)
	if err != nil {
		return wrapClass("opening "+s.dataPath, err)
	}
	defer f.Close()
	size := fi.Size()
	if size == 0 {
		return nil
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], size-1); err != nil || last[0] == '\n' {
		return nil
	}
	if _, err := s.repairTail(f, s.dataPath, size); err != nil {
		s.log.Error("store: cannot repair torn data file tail; will retry before the next record", "err", err)
	}
	return nil
}

// Path returns the data file path.
func (s *Store) Path() string { return s.dataPath }

// Append stores rec. A nil error means the record is durable: fsynced in
// the data file, or (Ack.Spooled) in the spool. Any error means the record
// is stored nowhere (ErrNotStored, or an encoder validation error) and the
// scan must be refused.
func (s *Store) Append(rec encoder.Record) (Ack, error) {
	line, err := encoder.Encode(rec)
	if err != nil {
		return Ack{}, fmt.Errorf("store: %w", err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("store: %w", ErrClosed)
	}
	var dataErr error
	hung := false // this record's own write was given up on
	switch {
	case !s.settleLocked():
		// The data file has not answered an earlier write yet: spool at
		// once, behind what is pending (the scan must not wait again).
		if dataErr = s.dataErr; dataErr == nil {
			dataErr = fmt.Errorf("store: %w", ErrHung)
		}
	case len(s.sp.pending) > 0:
		// Order: spooled lines go first; if they cannot, this one queues behind them.
		dataErr = s.drainLocked()
	}
	if dataErr == nil && len(s.sp.pending) == 0 {
		p, err := s.writeData(line, nil)
		if err == nil {
			s.last = &lastRec{rec: rec, line: line, at: s.now(), id: p.id, off: p.off}
			s.count(line, 1)
			s.dataErr, s.notStored = nil, nil
			s.log.Debug("store: record appended", "type", rec.Type, "item", rec.Item, "patron", rec.Patron)
			s.step("ack", s.dataPath)
			s.unlockAndNotify()
			return Ack{}, nil
		}
		dataErr = wrapClass("writing "+s.dataPath, err)
		s.dataErr = dataErr
		hung = errors.Is(err, ErrHung)
	}
	if dataErr == nil {
		dataErr = errors.New("store: earlier records are waiting in the spool")
	}
	return s.spoolLocked([]encoder.Record{rec}, [][]byte{line}, hung, dataErr)
}

// spoolLocked spools records the data file did not take (dataErr says why;
// hung: their write was given up on after it began) and unlocks s.mu: one
// answer for all of them, durable in the spool or refused as not stored.
func (s *Store) spoolLocked(recs []encoder.Record, lines [][]byte, hung bool, dataErr error) (Ack, error) {
	if _, spErr := s.spoolHung(lines, hung); spErr != nil {
		s.notStored = fmt.Errorf("store: %w: %w; %w", ErrNotStored, spErr, dataErr)
		for _, rec := range recs {
			s.log.Error("store: record refused: neither data file nor spool can be written",
				"type", rec.Type, "item", encoder.MaskPatron(rec.Item), "patron", encoder.MaskPatron(rec.Patron),
				"data_err", dataErr, "spool_err", spErr)
		}
		err := s.notStored
		s.unlockAndNotify()
		return Ack{}, err
	}
	s.notStored = nil
	n := len(recs)
	s.last = &lastRec{rec: recs[n-1], line: lines[n-1], at: s.now(), inSpool: true, off: s.sp.pending[len(s.sp.pending)-1].off}
	for _, rec := range recs {
		s.log.Warn("store: record spooled, data file not writable",
			"type", rec.Type, "item", encoder.MaskPatron(rec.Item), "patron", encoder.MaskPatron(rec.Patron),
			"spooled", len(s.sp.pending), "err", dataErr)
	}
	s.step("ack", s.sp.path)
	select {
	case s.wake <- struct{}{}:
	default:
	}
	s.unlockAndNotify()
	return Ack{Spooled: true}, nil
}

// spoolHung spools lines (one record, or a group written together). When
// hung, their own data-file write was given up on after it began: they may
// still land. An intent naming the spool lines about to be written and the
// data-file place of the hung write goes to the drain log first, so that a
// restart, too, finds out from the data file whether the records are there
// instead of writing them twice.
func (s *Store) spoolHung(lines [][]byte, hung bool) (int64, error) {
	op := s.stuck
	if hung && op != nil {
		op.mu.Lock()
		began, at := op.began, op.at
		op.mu.Unlock()
		if began {
			if s.sp.logStale {
				if err := s.resetSpool(); err != nil {
					return 0, wrapClass("resetting drain log", err)
				}
			}
			blob := bytes.Join(lines, nil)
			in := intent{SpoolOff: s.sp.size, Len: len(blob), CRC: crc32.ChecksumIEEE(blob), DataSize: at.off, ID: at.id, N: len(lines)}
			if _, err := s.appendFile(s.sp.logPath, in.marshal(), nil); err != nil {
				s.log.Error("store: cannot note where the hung write would land; after a restart the record may be written twice", "err", err)
			}
		}
	}
	off, err := s.spoolAppend(lines...)
	if err == nil && hung && op != nil {
		op.spoolOff = off
	}
	return off, err
}

// Undo removes the most recent record this process stored, if it is still
// the last line of the data file (same file, same bytes) or still pending
// in the spool, and younger than maxAge. Refusals wrap ErrUndoRefused.
func (s *Store) Undo(maxAge time.Duration) (encoder.Record, error) {
	s.mu.Lock()
	defer s.unlockAndNotify()
	l := s.last
	switch {
	case s.closed:
		return encoder.Record{}, fmt.Errorf("store: %w", ErrClosed)
	case maxAge <= 0:
		return encoder.Record{}, refuse("undo is disabled (undo window is 0)")
	case l == nil:
		return encoder.Record{}, refuse("nothing to undo: no record written since start or the last undo")
	case !s.settleLocked():
		// The hung write may be this very record, and may still land.
		return encoder.Record{}, refuse("the data file has not answered a write yet; nothing can be taken back until it does")
	}
	if age := s.now().Sub(l.at); age > maxAge {
		return encoder.Record{}, refuse("last record is %s old, undo window is %s", age.Round(time.Second), maxAge)
	}
	if l.inSpool {
		n := len(s.sp.pending)
		if n == 0 || s.sp.pending[n-1].off != l.off {
			return encoder.Record{}, refuse("last record is no longer the last spooled line")
		}
		if err := truncateFile(s.sp.path, l.off); err != nil {
			return encoder.Record{}, refuse("cannot truncate spool: %v", err)
		}
		s.sp.pending = s.sp.pending[:n-1]
		s.sp.size = l.off
		s.last = nil
		s.log.Info("store: undo: spooled record removed", "type", l.rec.Type, "item", encoder.MaskPatron(l.rec.Item))
		return l.rec, nil
	}
	if s.sp.size > 0 {
		// A drained but not emptied spool still has an intent that may name
		// this line; recovery would put an undone line back.
		if err := s.resetSpool(); err != nil {
			return encoder.Record{}, refuse("spool cannot be emptied: %v", err)
		}
	}
	if err := s.undoBounded(l); err != nil {
		return encoder.Record{}, err
	}
	s.last = nil
	s.count(l.line, -1)
	s.log.Info("store: undo: record removed from data file", "type", l.rec.Type, "item", encoder.MaskPatron(l.rec.Item))
	return l.rec, nil
}

// undoBounded runs undoData within the write timeout: a data folder that
// stops answering must not hold the station (and its stop) in an undo.
func (s *Store) undoBounded(l *lastRec) error {
	var uerr error
	op := &dataOp{spoolOff: -1}
	if s.runBounded(op, func(op *dataOp) (verdict, placement) {
		uerr = s.undoData(l, op)
		return notLanded, placement{}
	}) {
		return uerr
	}
	began, _, finished := op.abandon()
	if finished {
		<-op.done
		return uerr
	}
	s.stuck = op
	if began {
		return refuse("the data file stopped answering while the line was being removed; check whether the last line of %s is still there", s.dataPath)
	}
	return refuse("the data file is not answering (%v)", ErrHung)
}

// undoData truncates l's line off the data file after checking that the
// path still names the file it was written to and that the line is last.
// op's gate is passed just before the truncate.
func (s *Store) undoData(l *lastRec, op *dataOp) error {
	f, _, err := openLocked(s.dataPath, false, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return refuse("data file was moved or deleted since the record was written")
	}
	if err != nil {
		return refuse("cannot open data file: %v", err)
	}
	defer f.Close()
	id, err := fileIdentity(f)
	if err != nil {
		return refuse("cannot identify data file: %v", err)
	}
	if id != l.id {
		return refuse("data file was replaced (archived or moved) since the record was written")
	}
	fi, err := f.Stat()
	if err != nil {
		return refuse("cannot stat data file: %v", err)
	}
	end := l.off + int64(len(l.line))
	if fi.Size() != end {
		return refuse("record is no longer the last line of the data file")
	}
	buf := make([]byte, len(l.line))
	if _, err := f.ReadAt(buf, l.off); err != nil || !bytes.Equal(buf, l.line) {
		return refuse("last line of the data file is not the record written")
	}
	if err := op.gate(placement{id: id, off: l.off}); err != nil {
		return refuse("the data file is not answering (%v)", ErrHung)
	}
	if err := f.Truncate(l.off); err != nil {
		return refuse("cannot truncate data file: %v", err)
	}
	if err := syncFile(f); err != nil {
		return refuse("cannot sync data file: %v", err)
	}
	return nil
}

// Drain tries once, now, to move spooled records into the data file, and
// checks whether a failure with nothing spooled is over (probe).
func (s *Store) Drain() error {
	s.mu.Lock()
	defer s.unlockAndNotify()
	if s.closed {
		return fmt.Errorf("store: %w", ErrClosed)
	}
	if err := s.probeLocked(); err != nil {
		return err
	}
	return s.drainLocked()
}

// needsRetry reports whether Run must keep trying: records wait, an op is
// open, or a failure must be probed until it is over. s.mu must be held.
func (s *Store) needsRetry() bool {
	return len(s.sp.pending) > 0 || s.stuck != nil || s.doubt != nil ||
		s.dataErr != nil || s.notStored != nil || len(s.damaged) > 0
}

// Run drains the spool in the background, retrying with exponential
// backoff between RetryMin and RetryMax, until ctx is cancelled. It also
// probes a failed data file or spool with nothing waiting, so the alarm
// stops when the folder is back, and reacts at once when a hung data-file
// write returns.
//
// Records spooled by an earlier run are reported to OnStatus when Run
// starts (Open is too early: the caller's alarm is not wired yet).
func (s *Store) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.needsRetry() {
		s.reported = Status{} // force the report
	}
	s.unlockAndNotify()
	backoff := s.opts.RetryMin
	timer := time.NewTimer(backoff)
	defer timer.Stop()
	for {
		s.mu.Lock()
		retry := s.needsRetry()
		var stuckDone <-chan struct{}
		if s.stuck != nil {
			stuckDone = s.stuck.done
		}
		s.mu.Unlock()
		if !retry {
			backoff = s.opts.RetryMin
			select {
			case <-ctx.Done():
				return nil
			case <-s.wake:
			}
		}
		// The record that woke us was spooled because writing just failed:
		// wait before trying again.
		timer.Reset(backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-stuckDone:
			// The hung write returned: find out at once what became of it.
		}
		if err := s.Drain(); err != nil {
			if errors.Is(err, ErrClosed) {
				return nil
			}
			backoff = min(2*backoff, s.opts.RetryMax)
			s.log.Debug("store: drain failed, retrying", "in", backoff, "err", err)
		} else {
			backoff = s.opts.RetryMin
		}
	}
}

// Status returns a snapshot of the store's health.
func (s *Store) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLocked()
}

// count adds d records of line's type to the appended counts. Callers hold mu.
func (s *Store) count(line []byte, d int64) {
	s.appended += d
	if len(line) > encoder.TimeLen && line[encoder.TimeLen] == byte(encoder.Return) {
		s.returns += d
	}
}

func (s *Store) statusLocked() Status {
	st := Status{
		Degraded:   s.needsRetry(),
		NotStored:  s.notStored != nil,
		SpoolDepth: len(s.sp.pending),
		Damaged:    slices.Clone(s.damaged),
		Appended:   s.appended,
		Returns:    s.returns,
	}
	var why []string
	switch {
	case s.notStored != nil:
		why = append(why, s.notStored.Error())
	case s.dataErr != nil:
		why = append(why, s.dataErr.Error())
	case s.stuck != nil || s.doubt != nil:
		why = append(why, "store: "+ErrHung.Error())
	}
	if len(s.damaged) > 0 {
		why = append(why, fmt.Sprintf("store: damaged spool lines set aside in %s (check them, add what is missing by hand, then delete the file)", strings.Join(s.damaged, ", ")))
	}
	if st.Degraded {
		st.LastError = strings.Join(why, "; ")
	}
	return st
}

// unlockAndNotify releases s.mu and reports a changed status to OnStatus.
// notifyMu is taken before s.mu is released so callbacks arrive in the
// order of the changes even when Append and Run race.
func (s *Store) unlockAndNotify() {
	st := s.statusLocked()
	r := s.reported
	changed := st.Degraded != r.Degraded || st.SpoolDepth != r.SpoolDepth || st.NotStored != r.NotStored ||
		len(st.Damaged) != len(r.Damaged) || st.LastError != r.LastError
	if !changed || s.opts.OnStatus == nil {
		s.reported = st
		s.mu.Unlock()
		return
	}
	s.reported = st
	s.notifyMu.Lock()
	s.mu.Unlock()
	defer s.notifyMu.Unlock()
	s.opts.OnStatus(st)
}

// Report calls OnStatus with the current status (records appended, spool
// depth), in order with the store's own change reports, so a caller that
// wants every append reflected (the status file) never sees an older state
// overtake a newer one.
func (s *Store) Report() {
	s.mu.Lock()
	st := s.statusLocked()
	s.reported = st
	if s.opts.OnStatus == nil {
		s.mu.Unlock()
		return
	}
	s.notifyMu.Lock()
	s.mu.Unlock()
	defer s.notifyMu.Unlock()
	s.opts.OnStatus(st)
}

// step reports an append step to the test trace; its error stands for a
// failed fsync ("sync") or truncate ("truncate").
func (s *Store) step(name, path string) error {
	if s.trace == nil {
		return nil
	}
	return s.trace(name, path)
}

// Close stops accepting records. Nothing is held open between records, so
// there is nothing to flush; stop Run by cancelling its context.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
