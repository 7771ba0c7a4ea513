package station

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/daemon/store"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
	"github.com/offcircd/offcircd/encoder"
)

// Mode is the station's (or a pinned scanner's) transaction mode.
type Mode string

// Station modes.
const (
	ModeLoan   Mode = "loan"
	ModeReturn Mode = "return"
)

// Store is what the station needs of the durable record store.
type Store interface {
	Append(rec encoder.Record) (store.Ack, error)
	// AppendGroup stores several records with one write and one fsync,
	// all or nothing (see store.Store.AppendGroup).
	AppendGroup(recs []encoder.Record) (store.Ack, error)
	Undo(maxAge time.Duration) (encoder.Record, error)
}

// Feedback is what the station needs of the feedback dispatcher. Play must
// not block: the station goroutine is the only one deciding scans.
type Feedback interface {
	Play(p feedback.Pattern, source string)
	Ack()
}

// Command is a station command (control barcode or keypad key); the names
// are config's table, config.Commands.
type Command = config.Command

// Kind says what an event turned out to be, in an Outcome.
type Kind string

// Outcome kinds.
const (
	KindPatron  Kind = "patron"  // a patron scan (accepted or not)
	KindItem    Kind = "item"    // an item scan (written or not)
	KindControl Kind = "control" // a command, from a control barcode or the keypad
	KindDouble  Kind = "double"  // a double read, ignored
	KindBad     Kind = "bad"     // input a device could not read
	KindState   Kind = "state"   // a device state change
	KindUnknown Kind = "unknown" // a scan that is neither patron nor item
)

// Class is what a scan is taken for (SPEC §2).
type Class int

// Scan classes.
const (
	ClassUnknown Class = iota // matches neither pattern: refused
	ClassPatron
	ClassItem
)

// Outcome is what the station decided for one event; Handle returns it so
// tests (and logs) can see the decision.
type Outcome struct {
	Pattern feedback.Pattern // "" when nothing is played
	Record  *encoder.Record  // the record written, if any
	Spooled bool             // the record went to the spool, not the data file
	Kind    Kind
	Reason  string // why a scan was rejected or ignored
}

// State is a snapshot of the station for the status file.
type State struct {
	Mode           Mode
	PatronPresent  bool
	ItemsInSession int
	LastScan       map[string]time.Time // by source
	Devices        map[string]devices.State
	DeviceErrors   map[string]string
}

// Station is the loan/return state machine of SPEC §2. Only the goroutine
// running Run (or calling Handle) touches its state.
type Station struct {
	store  Store
	fb     Feedback
	log    *slog.Logger
	now    func() time.Time
	loc    *time.Location
	prefix string
	patRE  *regexp.Regexp
	itemRE *regexp.Regexp

	patronTimeout time.Duration
	maxItems      int
	doubleWindow  time.Duration
	undoWindow    time.Duration
	pinned        map[string]Mode
	onChange      func(State)
	history       *History
	lastMark      Mark   // what the last written record taught history, for undo
	lastSource    string // the scanner of the last written record, for undo
	// uncertain is set while the scan in hand was classified by the
	// workflow alone: it may be a patron's card taken for an item, so it is
	// logged masked.
	uncertain bool

	mode       Mode
	patron     string
	items      int
	lastActive time.Time // event time of the patron session's last activity
	lastWall   time.Time // wall time of the same, for the idle ticker
	lastRead   map[string]lastRead
	state      State

	group *group // while a group of queued scans is decided (group.go)

	busy atomic.Int64 // since busyEpoch (+1) the event in hand is being handled; 0 = waiting for one
}

// busyEpoch makes BusySince monotonic: a wall clock set while a scan is
// handled must not look like a wedged station.
var busyEpoch = time.Now()

// BusySince returns when the station began handling the event in hand, or
// the zero time while it waits for one. It may be called from any
// goroutine: the service watchdog asks it whether the station is wedged.
func (s *Station) BusySince() time.Time {
	if n := s.busy.Load(); n != 0 {
		return busyEpoch.Add(time.Duration(n - 1))
	}
	return time.Time{}
}

type lastRead struct {
	data string
	at   time.Time
}

// Options are the station's collaborators; Now defaults to time.Now.
type Options struct {
	Store    Store
	Feedback Feedback
	Logger   *slog.Logger
	Now      func() time.Time
	// OnChange, when set, receives a snapshot after every event that changed
	// the mode, the session or a device (for the status file).
	OnChange func(State)
	// History, when set, classifies scans by what the station's own files
	// know them as while no patterns are configured; written records are
	// added to it.
	History *History
}

// NewStation builds a station from a validated configuration.
func New(cfg *config.Config, opts Options) (*Station, error) {
	loc, err := cfg.Location()
	if err != nil {
		return nil, fmt.Errorf("station: %w", err)
	}
	s := &Station{
		store: opts.Store, fb: opts.Feedback, log: opts.Logger, now: opts.Now, loc: loc,
		prefix:        cfg.ControlPrefix,
		patronTimeout: cfg.PatronTimeout.Duration,
		maxItems:      cfg.MaxItemsPerPatron,
		doubleWindow:  cfg.DoubleReadWindow.Duration,
		undoWindow:    cfg.UndoWindow.Duration,
		pinned:        map[string]Mode{},
		onChange:      opts.OnChange,
		history:       opts.History,
		mode:          Mode(strings.ToLower(cfg.DefaultMode)),
		lastRead:      map[string]lastRead{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.mode != ModeReturn {
		s.mode = ModeLoan
	}
	if cfg.PatronPattern != "" {
		if s.patRE, err = regexp.Compile(cfg.PatronPattern); err != nil {
			return nil, fmt.Errorf("station: patron_pattern: %w", err)
		}
	}
	if cfg.ItemPattern != "" {
		if s.itemRE, err = regexp.Compile(cfg.ItemPattern); err != nil {
			return nil, fmt.Errorf("station: item_pattern: %w", err)
		}
	}
	for _, sc := range cfg.Scanners {
		if m := Mode(strings.ToLower(sc.Mode)); m == ModeLoan || m == ModeReturn {
			s.pinned[sc.Name] = m
		}
	}
	s.state = State{Mode: s.mode, LastScan: map[string]time.Time{}, Devices: map[string]devices.State{}, DeviceErrors: map[string]string{}}
	return s, nil
}

// Mode returns the station mode.
func (s *Station) Mode() Mode { return s.mode }

// Run handles events until ctx is cancelled or events is closed. Each event
// is handled completely before the next is taken, so cancellation never
// leaves a record half-handled.
func (s *Station) Run(ctx context.Context, events <-chan devices.Event) error {
	s.log.Info("station ready", "mode", s.mode)
	s.changed()
	// The idle timer runs only while a patron session is open: an idle
	// station wakes for nothing.
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			s.busy.Store(int64(time.Since(busyEpoch)) + 1)
			_, closed := s.take(ev, events)
			s.busy.Store(0)
			if closed {
				return nil
			}
		case <-idle.C:
			s.expireIdle()
		}
		if s.patron != "" && s.patronTimeout > 0 {
			idle.Reset(s.lastWall.Add(s.patronTimeout).Sub(s.now()))
		} else {
			idle.Stop()
		}
	}
}

// expireIdle ends a patron session nobody used for patron_timeout of wall
// time (the patron walked away from the kiosk).
func (s *Station) expireIdle() {
	if s.patron != "" && s.patronTimeout > 0 && s.now().Sub(s.lastWall) >= s.patronTimeout {
		s.endSession("idle timeout")
		s.changed()
	}
}

// Handle decides one event: classify, update state, write, and play feedback.
func (s *Station) Handle(ev devices.Event) Outcome {
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	var o Outcome
	switch ev.Kind {
	case devices.KindState:
		o = s.deviceState(ev)
	case devices.KindBad:
		s.lastRead[ev.Source] = lastRead{}
		o = Outcome{Kind: KindBad, Pattern: feedback.Reject, Reason: errString(ev.Err)}
		s.log.Warn("scan rejected: unreadable input", "source", ev.Source, "reason", o.Reason)
	case devices.KindCommand:
		s.state.LastScan[ev.Source] = ev.Time
		o = s.command(ev, ev.Command)
	case devices.KindScan:
		s.state.LastScan[ev.Source] = ev.Time
		o = s.scan(ev)
		if o.Record == nil && (o.Pattern == feedback.Reject || o.Pattern == feedback.WriteFailure || o.Pattern == feedback.NotStored) {
			// A refused scan did nothing: scanning it again at once must be
			// decided afresh, not ignored as a double read.
			delete(s.lastRead, ev.Source)
		}
	default:
		o = Outcome{Kind: KindBad, Reason: fmt.Sprintf("unknown event kind %d", ev.Kind)}
	}
	if o.Pattern != "" && s.fb != nil {
		src := ev.Source
		if o.Pattern == feedback.ModeLoan || o.Pattern == feedback.ModeReturn {
			src = "" // every scanner at the station should confirm a mode change
		}
		if s.group != nil {
			s.holdSound(o.Pattern, src)
		} else {
			s.fb.Play(o.Pattern, src)
		}
	}
	if s.group == nil {
		s.changed() // a group reports once, after the store answered
	}
	return o
}

func (s *Station) deviceState(ev devices.Event) Outcome {
	s.state.Devices[ev.Source] = ev.State
	if ev.Err != nil {
		s.state.DeviceErrors[ev.Source] = ev.Err.Error()
	} else if ev.State == devices.StateConnected {
		delete(s.state.DeviceErrors, ev.Source)
	}
	// The one log line of a device state change (sources log details at
	// debug only): a scanner that is missing or failing is a warning.
	args := []any{"source", ev.Source, "state", ev.State}
	if ev.Err != nil {
		args = append(args, "err", ev.Err)
	}
	level := slog.LevelInfo
	if ev.State == devices.StateWaiting || ev.State == devices.StateError {
		level = slog.LevelWarn
	}
	s.log.Log(context.Background(), level, "device", args...)
	return Outcome{Kind: KindState}
}

func (s *Station) scan(ev devices.Event) Outcome {
	// Double reads first: a scanner that reads the same label twice must not
	// toggle twice or lend twice.
	if lr, ok := s.lastRead[ev.Source]; ok && lr.data == ev.Data && s.doubleWindow > 0 &&
		ev.Time.Sub(lr.at) >= 0 && ev.Time.Sub(lr.at) < s.doubleWindow {
		s.lastRead[ev.Source] = lastRead{data: ev.Data, at: ev.Time}
		s.log.Info("double read ignored", "source", ev.Source, "scan", s.maskUnknown(ev))
		return Outcome{Kind: KindDouble, Pattern: feedback.Double, Reason: "double read"}
	}
	s.lastRead[ev.Source] = lastRead{data: ev.Data, at: ev.Time}
	s.expireByEventTime(ev.Time)

	if word, ok := s.controlWord(ev.Data); ok {
		return s.command(ev, Command(word))
	}
	mode := s.modeFor(ev.Source)
	class, certain := s.classify(ev)
	s.uncertain = !certain
	defer func() { s.uncertain = false }()
	switch class {
	case ClassPatron:
		return s.patronScan(ev, mode)
	case ClassItem:
		return s.itemScan(ev, mode)
	default:
		return s.reject(ev, KindUnknown, "matches neither patron_pattern nor item_pattern")
	}
}

// classify applies SPEC §2: patterns when configured, else the station's
// history, else workflow state. certain is false for the workflow's guess.
func (s *Station) classify(ev devices.Event) (c Class, certain bool) {
	switch {
	case ev.Patron:
		return ClassPatron, true
	case s.patRE == nil && s.itemRE == nil:
		if s.history != nil {
			if c := s.history.Class(ev.Data); c != ClassUnknown {
				return c, true
			}
		}
		if s.modeFor(ev.Source) == ModeLoan && s.patron == "" {
			return ClassPatron, false
		}
		return ClassItem, false
	case s.patRE != nil && s.patRE.MatchString(ev.Data):
		return ClassPatron, true
	case s.itemRE != nil && s.itemRE.MatchString(ev.Data):
		return ClassItem, true
	case s.patRE == nil:
		return ClassPatron, true // only item_pattern set: anything else is a patron ID
	case s.itemRE == nil:
		return ClassItem, true // only patron_pattern set: anything else is an item
	}
	return ClassUnknown, true
}

func (s *Station) modeFor(source string) Mode {
	if m, ok := s.pinned[source]; ok {
		return m
	}
	return s.mode
}

func (s *Station) patronScan(ev devices.Event, mode Mode) Outcome {
	if mode != ModeLoan {
		return s.reject(ev, KindPatron, "patron ID scanned in return mode")
	}
	if err := encoder.ValidatePatron(ev.Data); err != nil {
		return s.reject(ev, KindPatron, "invalid patron ID: "+err.Error())
	}
	replaced := s.patron != ""
	s.patron, s.items = ev.Data, 0
	s.touch(ev.Time)
	s.log.Info("patron session started", "source", ev.Source, "patron", s.mask(ev.Data), "replaced", replaced)
	return Outcome{Kind: KindPatron, Pattern: feedback.Patron}
}

func (s *Station) itemScan(ev devices.Event, mode Mode) Outcome {
	if err := encoder.ValidateItem(ev.Data); err != nil {
		return s.reject(ev, KindItem, "invalid item barcode: "+err.Error())
	}
	rec := encoder.Record{Time: ev.Time.In(s.loc), Type: encoder.Return, Item: ev.Data}
	if mode == ModeLoan {
		if s.patron == "" {
			return s.reject(ev, KindItem, "item scanned in loan mode without a patron")
		}
		rec.Type, rec.Patron = encoder.Loan, s.patron
	}
	o := s.write(ev, rec)
	if o.Record != nil && rec.Type == encoder.Loan {
		s.items++
		s.touch(ev.Time)
		if s.maxItems > 0 && s.items >= s.maxItems {
			s.endSession(fmt.Sprintf("item limit %d reached", s.maxItems))
		}
	}
	return o
}

// write appends rec durably; the good beep is only chosen after Append
// returned, so it can never sound for a record that is not on disk.
func (s *Station) write(ev devices.Event, rec encoder.Record) Outcome {
	args := []any{"source", ev.Source, "type", rec.Type.String(), "item", s.itemLog(rec.Item)}
	if rec.Patron != "" {
		args = append(args, "patron", s.mask(rec.Patron))
	}
	if s.group != nil {
		return s.holdRecord(ev, rec, args)
	}
	ack, err := s.store.Append(rec)
	if err != nil {
		s.log.Error("record NOT written: scan refused", "source", ev.Source, "type", rec.Type.String(),
			"item", s.itemLog(rec.Item), "patron", s.mask(rec.Patron), "err", err)
		return Outcome{Kind: KindItem, Pattern: refusedPattern(err), Reason: "store: " + err.Error()}
	}
	o := Outcome{Kind: KindItem, Record: &rec, Spooled: ack.Spooled, Pattern: feedback.Good}
	if s.history != nil {
		s.lastMark = s.history.Add(rec)
	}
	s.lastSource = ev.Source
	if ack.Spooled {
		o.Pattern = feedback.WriteFailure
	}
	s.logWritten(ack.Spooled, args)
	return o
}

// logWritten is a stored record's log line.
func (s *Station) logWritten(spooled bool, args []any) {
	if spooled {
		s.log.Warn("record spooled (data file not writable)", args...)
	} else {
		s.log.Info("record written", args...)
	}
}

// refusedPattern is the sound of a record the store refused: not-stored
// when it could be stored nowhere (unlike write-failure, where the record
// is safe in the spool), so staff know to scan it again later.
func refusedPattern(err error) feedback.Pattern {
	if errors.Is(err, store.ErrNotStored) {
		return feedback.NotStored
	}
	return feedback.WriteFailure
}

func (s *Station) command(ev devices.Event, cmd Command) Outcome {
	o := Outcome{Kind: KindControl}
	switch cmd {
	case config.CmdLoan:
		o.Pattern = s.setMode(ModeLoan, ev.Source)
	case config.CmdReturn:
		o.Pattern = s.setMode(ModeReturn, ev.Source)
	case config.CmdToggle:
		if s.mode == ModeLoan {
			o.Pattern = s.setMode(ModeReturn, ev.Source)
		} else {
			o.Pattern = s.setMode(ModeLoan, ev.Source)
		}
	case config.CmdDone:
		if s.patron != "" {
			s.endSession("done")
		}
		o.Pattern = modePattern(s.mode)
	case config.CmdUndo:
		if why := s.undoElsewhere(ev); why != "" {
			return s.reject(ev, KindControl, "undo refused: "+why)
		}
		rec, err := s.store.Undo(s.undoWindow)
		if err != nil {
			return s.reject(ev, KindControl, "undo refused: "+err.Error())
		}
		if rec.Type == encoder.Loan && s.patron == rec.Patron && s.items > 0 {
			s.items--
		}
		if s.history != nil {
			s.history.Forget(s.lastMark)
			s.lastMark = Mark{}
		}
		s.lastSource = ""
		s.log.Info("record undone", "source", ev.Source, "type", rec.Type.String(), "item", s.mask(rec.Item))
		o.Pattern = feedback.Undo
	case config.CmdAck:
		if s.fb != nil {
			s.fb.Ack()
		}
		s.log.Info("write-failure alarm acknowledged", "source", ev.Source)
	default:
		return s.reject(ev, KindControl, fmt.Sprintf("unknown command %q", cmd))
	}
	return o
}

func (s *Station) setMode(m Mode, source string) feedback.Pattern {
	if s.mode != m {
		if s.patron != "" {
			s.endSession("mode change")
		}
		s.mode = m
		s.log.Info("mode changed", "mode", m, "source", source)
	}
	return modePattern(m)
}

func modePattern(m Mode) feedback.Pattern {
	if m == ModeReturn {
		return feedback.ModeReturn
	}
	return feedback.ModeLoan
}

func (s *Station) reject(ev devices.Event, kind Kind, reason string) Outcome {
	s.log.Warn("scan rejected", "source", ev.Source, "scan", s.maskUnknown(ev), "kind", kind, "reason", reason)
	return Outcome{Kind: kind, Pattern: feedback.Reject, Reason: reason}
}

func (s *Station) touch(t time.Time) {
	s.lastActive, s.lastWall = t, s.now()
}

// expireByEventTime ends a session whose last activity is older than the
// timeout in event time; replays and bursts decide by the scans' own times.
func (s *Station) expireByEventTime(t time.Time) {
	if s.patron != "" && s.patronTimeout > 0 && t.Sub(s.lastActive) >= s.patronTimeout {
		s.endSession("idle timeout")
	}
}

func (s *Station) endSession(why string) {
	s.log.Info("patron session ended", "patron", s.mask(s.patron), "why", why, "items", s.items)
	s.patron, s.items = "", 0
}

// mask hides a patron ID unless debug logging is on.
func (s *Station) mask(id string) string {
	if id == "" || s.log.Enabled(context.Background(), slog.LevelDebug) {
		return id
	}
	return encoder.MaskPatron(id)
}

// undoElsewhere says why UNDO scanned at ev's source may not take back the
// station's last record, "" when it may. The clerk who scans UNDO means
// the record made at that scanner: at a desk beside a book drop the last
// record is often the drop's return, and taking that back would delete a
// real return while the loan the clerk meant stays. So a scanner undoes
// only its own record; the keypad, which belongs to the desk, undoes the
// last record unless a scanner pinned to a mode (the book drop) made it.
func (s *Station) undoElsewhere(ev devices.Event) string {
	last := s.lastSource
	if last == "" || last == ev.Source {
		return ""
	}
	_, pinned := s.pinned[last]
	if ev.Kind == devices.KindCommand && !pinned {
		return ""
	}
	return fmt.Sprintf("the last record was made at scanner %q; scan UNDO there", last)
}

// itemLog is an item barcode for the log: masked like a patron ID when its
// class was a guess (with no patterns and no history, the next patron's
// card at a busy desk is taken for an item), as it is.
func (s *Station) itemLog(item string) string {
	if s.uncertain {
		return s.mask(item)
	}
	return item
}

// maskUnknown logs a rejected scan: it may be a patron ID, so it is masked
// unless it is known to be something else.
func (s *Station) maskUnknown(ev devices.Event) string {
	if _, ok := s.controlWord(ev.Data); ok {
		return ev.Data
	}
	return s.mask(ev.Data)
}

// controlWord reports whether data is a control barcode and returns its
// command word in lower case. The prefix matches without regard to case
// (a wedge scanner with Caps Lock on, a sheet printed in lower case) and
// blanks around the scan and after the prefix are ignored: anything that
// starts with the prefix is a command or a reject, never a record.
func (s *Station) controlWord(data string) (string, bool) {
	d := strings.TrimSpace(data)
	if !s.hasPrefix(d) {
		// A scanner that keeps the AIM symbology identifier (aim = "keep",
		// or one sent where none is recognised) reads the sheet's Code 128
		// as "]C0OFFCIRC:RETURN": still the command, never an item.
		rest, ok := decode.CutAIM(d)
		if !ok || !s.hasPrefix(rest) {
			return "", false
		}
		d = rest
	}
	return strings.ToLower(strings.TrimSpace(d[len(s.prefix):])), true
}

func (s *Station) hasPrefix(d string) bool {
	return s.prefix != "" && len(d) >= len(s.prefix) && strings.EqualFold(d[:len(s.prefix)], s.prefix)
}

func (s *Station) changed() {
	if s.onChange == nil {
		return
	}
	st := State{Mode: s.mode, PatronPresent: s.patron != "", ItemsInSession: s.items,
		LastScan: map[string]time.Time{}, Devices: map[string]devices.State{}, DeviceErrors: map[string]string{}}
	for k, v := range s.state.LastScan {
		st.LastScan[k] = v
	}
	for k, v := range s.state.Devices {
		st.Devices[k] = v
	}
	for k, v := range s.state.DeviceErrors {
		st.DeviceErrors[k] = v
	}
	s.onChange(st)
}

func errString(err error) string {
	if err == nil {
		return "unreadable input"
	}
	return err.Error()
}
