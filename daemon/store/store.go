package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/offcircd/offcircd/encoder"
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
}

// Status is a snapshot of the store's health.
type Status struct {
	Degraded   bool   // records are waiting in the spool: play the write-failure alarm
	SpoolDepth int    // records in the spool
	LastError  string // why the data file could not be written ("" when healthy)
	Appended   int64  // records this process put into the data file (direct or drained, minus undone)
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

	mu       sync.Mutex
	sp       spool
	last     *lastRec
	appended int64
	lastErr  error
	closed   bool

	notifyMu sync.Mutex // keeps OnStatus calls in the order of the changes
	reported Status

	// failData, set only by tests (under mu), makes data file writes fail
	// with its error: the crash test spools without mounting anything.
	failData func() error
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
	s := &Store{
		opts:     opts,
		log:      opts.Logger,
		now:      opts.Now,
		dataPath: filepath.Join(opts.DataDir, opts.FileName),
		wake:     make(chan struct{}, 1),
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
	if err := os.MkdirAll(opts.StateDir, 0o750); err != nil {
		return nil, wrapClass("creating state folder", err)
	}
	if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
		// Not fatal: records spool until the folder appears (a share that
		// is not mounted yet); the alarm tells staff.
		s.lastErr = wrapClass("creating data folder", err)
		s.log.Error("store: data folder not usable, records will be spooled", "err", err)
	}
	s.repairAtOpen()
	if err := s.loadSpool(); err != nil {
		return nil, err
	}
	if len(s.sp.pending) > 0 && s.lastErr == nil {
		s.lastErr = errors.New("store: records spooled by an earlier run are waiting")
	}
	s.reported = s.statusLocked()
	return s, nil
}

// repairAtOpen checks the data file: torn tail, kind and permissions.
func (s *Store) repairAtOpen() {
	fi, err := os.Lstat(s.dataPath)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		err = fmt.Errorf("%s %w", s.dataPath, ErrSymlink)
	case err == nil && !fi.Mode().IsRegular():
		err = fmt.Errorf("%s is not a regular file", s.dataPath)
	}
	if err != nil {
		s.lastErr = fmt.Errorf("store: %w", err)
		s.log.Error("store: data file not usable", "err", err)
		return
	}
	if fi.Mode().Perm()&0o007 != 0 {
		s.log.Warn("store: data file is readable by every user; patron IDs are personal data",
			"file", s.dataPath, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
	}
	f, _, err := openLocked(s.dataPath, false, 0)
	if err != nil {
		s.log.Warn("store: cannot open data file at start; will retry per record", "err", err)
		return
	}
	defer f.Close()
	size := fi.Size()
	if size == 0 {
		return
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], size-1); err != nil || last[0] == '\n' {
		return
	}
	if _, err := s.repairTail(f, s.dataPath, size); err != nil {
		s.log.Error("store: cannot repair torn data file tail; will retry before the next record", "err", err)
	}
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
	if len(s.sp.pending) > 0 {
		// Order: spooled lines go first; if they cannot, this one queues behind them.
		dataErr = s.drainLocked()
	}
	if len(s.sp.pending) == 0 {
		p, err := s.appendFile(s.dataPath, line, nil)
		if err == nil {
			s.last = &lastRec{rec: rec, line: line, at: s.now(), id: p.id, off: p.off}
			s.appended++
			s.log.Debug("store: record appended", "type", rec.Type, "item", rec.Item, "patron", rec.Patron)
			s.unlockAndNotify()
			return Ack{}, nil
		}
		dataErr = wrapClass("writing "+s.dataPath, err)
		s.lastErr = dataErr
	}
	off, spErr := s.spoolAppend(line)
	if spErr != nil {
		s.log.Error("store: record refused: neither data file nor spool can be written",
			"type", rec.Type, "item", rec.Item, "patron", encoder.MaskPatron(rec.Patron),
			"data_err", dataErr, "spool_err", spErr)
		s.unlockAndNotify()
		return Ack{}, fmt.Errorf("store: %w: %w; %w", ErrNotStored, dataErr, spErr)
	}
	s.last = &lastRec{rec: rec, line: line, at: s.now(), inSpool: true, off: off}
	s.log.Warn("store: record spooled, data file not writable",
		"type", rec.Type, "item", rec.Item, "patron", encoder.MaskPatron(rec.Patron),
		"spooled", len(s.sp.pending), "err", dataErr)
	select {
	case s.wake <- struct{}{}:
	default:
	}
	s.unlockAndNotify()
	return Ack{Spooled: true}, nil
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
		if len(s.sp.pending) == 0 {
			s.lastErr = nil
		}
		s.log.Info("store: undo: spooled record removed", "type", l.rec.Type, "item", l.rec.Item)
		return l.rec, nil
	}
	if s.sp.size > 0 {
		// A drained but not emptied spool still has an intent that may name
		// this line; recovery would put an undone line back.
		if err := s.resetSpool(); err != nil {
			return encoder.Record{}, refuse("spool cannot be emptied: %v", err)
		}
	}
	if err := s.undoData(l); err != nil {
		return encoder.Record{}, err
	}
	s.last = nil
	s.appended--
	s.log.Info("store: undo: record removed from data file", "type", l.rec.Type, "item", l.rec.Item)
	return l.rec, nil
}

// undoData truncates l's line off the data file after checking that the
// path still names the file it was written to and that the line is last.
func (s *Store) undoData(l *lastRec) error {
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
	if err := f.Truncate(l.off); err != nil {
		return refuse("cannot truncate data file: %v", err)
	}
	if err := syncFile(f); err != nil {
		return refuse("cannot sync data file: %v", err)
	}
	return nil
}

// Drain tries once, now, to move spooled records into the data file.
func (s *Store) Drain() error {
	s.mu.Lock()
	defer s.unlockAndNotify()
	if s.closed {
		return fmt.Errorf("store: %w", ErrClosed)
	}
	return s.drainLocked()
}

// Run drains the spool in the background, retrying with exponential
// backoff between RetryMin and RetryMax, until ctx is cancelled.
//
// Records spooled by an earlier run are reported to OnStatus when Run
// starts (Open is too early: the caller's alarm is not wired yet).
func (s *Store) Run(ctx context.Context) error {
	s.mu.Lock()
	if len(s.sp.pending) > 0 {
		s.reported = Status{} // force the report
	}
	s.unlockAndNotify()
	backoff := s.opts.RetryMin
	timer := time.NewTimer(backoff)
	defer timer.Stop()
	for {
		s.mu.Lock()
		pending := len(s.sp.pending)
		s.mu.Unlock()
		if pending == 0 {
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

func (s *Store) statusLocked() Status {
	st := Status{
		Degraded:   len(s.sp.pending) > 0,
		SpoolDepth: len(s.sp.pending),
		Appended:   s.appended,
	}
	if s.lastErr != nil && st.Degraded {
		st.LastError = s.lastErr.Error()
	}
	return st
}

// unlockAndNotify releases s.mu and reports a changed status to OnStatus.
// notifyMu is taken before s.mu is released so callbacks arrive in the
// order of the changes even when Append and Run race.
func (s *Store) unlockAndNotify() {
	st := s.statusLocked()
	changed := st.Degraded != s.reported.Degraded || st.SpoolDepth != s.reported.SpoolDepth
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

// Close stops accepting records. Nothing is held open between records, so
// there is nothing to flush; stop Run by cancelling its context.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
