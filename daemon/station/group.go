package station

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"time"

	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/daemon/store"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/encoder"
)

// Group commit. When several scans are already queued (scanners at one
// desk scanning at once, a burst), the station decides them all, in order,
// and stores their records with one Store.AppendGroup: one write and one
// fsync instead of one each. What the station does must not change by
// that: a group has exactly the outcome of deciding its scans one by one.
// So the group is decided as if every record in it will be stored (as
// nearly always), with its log lines and sounds held back; only when the
// store has answered are they let out, the good beeps after the fsync.
// When the store takes none of them, the station's state is put back as
// it was before the group and the scans are decided again one by one.

// groupable reports whether ev may be decided ahead of the store's answer
// for earlier records: a scan that is not a command. Commands (undo above
// all, which asks the store) and device events end a group.
func (s *Station) groupable(ev devices.Event) bool {
	if ev.Kind != devices.KindScan {
		return false
	}
	_, isCommand := s.controlWord(ev.Data)
	return !isCommand
}

// take handles ev and, when ev is groupable, the groupable events queued
// behind it (up to store.MaxGroup) as one group; an event that ends the
// group is handled after it. It returns the outcomes, and whether events
// was closed.
func (s *Station) take(ev devices.Event, events <-chan devices.Event) (outs []Outcome, closed bool) {
	if !s.groupable(ev) {
		return []Outcome{s.Handle(ev)}, false
	}
	evs := []devices.Event{ev}
	var next *devices.Event
collect:
	for len(evs) < store.MaxGroup {
		select {
		case e, ok := <-events:
			if !ok {
				closed = true
				break collect
			}
			if !s.groupable(e) {
				next = &e
				break collect
			}
			evs = append(evs, e)
		default:
			break collect
		}
	}
	if len(evs) == 1 {
		outs = []Outcome{s.Handle(ev)}
	} else {
		outs = s.handleGroup(evs)
	}
	if next != nil {
		outs = append(outs, s.Handle(*next))
	}
	return outs, closed
}

// group is what deciding a group holds back until the store answered.
type group struct {
	recs  []encoder.Record
	marks []Mark    // what each record taught the history, for a rollback
	held  []held    // log lines and sounds, in order
	outs  []Outcome // each event's outcome as decided (records not yet stored)
}

// held is one log line or one sound held back.
type held struct {
	h      slog.Handler // a log line: its handler and record
	r      slog.Record
	rec    int // a record's own log line: index into recs (else -1)
	source string
	args   []any
	play   feedback.Pattern // a sound for source
	sound  bool
}

// groupLog is the station's log while a group is decided: it keeps the
// lines for later.
type groupLog struct {
	h slog.Handler
	g *group
}

func (l *groupLog) Enabled(ctx context.Context, lv slog.Level) bool { return l.h.Enabled(ctx, lv) }

func (l *groupLog) Handle(_ context.Context, r slog.Record) error {
	l.g.held = append(l.g.held, held{h: l.h, r: r.Clone(), rec: -1})
	return nil
}

func (l *groupLog) WithAttrs(as []slog.Attr) slog.Handler {
	return &groupLog{h: l.h.WithAttrs(as), g: l.g}
}

func (l *groupLog) WithGroup(name string) slog.Handler {
	return &groupLog{h: l.h.WithGroup(name), g: l.g}
}

// saved is the station state a group's scans change, for a rollback. The
// scanners' last scan times are not in it: deciding the scans again sets
// each one again, in the same order.
type saved struct {
	mode                 Mode
	patron               string
	items                int
	lastActive, lastWall time.Time
	lastRead             map[string]lastRead
	lastMark             Mark
	lastSource           string
}

func (s *Station) save() saved {
	return saved{mode: s.mode, patron: s.patron, items: s.items, lastActive: s.lastActive, lastWall: s.lastWall,
		lastRead: maps.Clone(s.lastRead), lastMark: s.lastMark, lastSource: s.lastSource}
}

func (s *Station) restore(v saved) {
	s.mode, s.patron, s.items, s.lastActive, s.lastWall = v.mode, v.patron, v.items, v.lastActive, v.lastWall
	s.lastRead, s.lastMark, s.lastSource = v.lastRead, v.lastMark, v.lastSource
}

// handleGroup decides evs (groupable events, in order: take makes sure of
// that) as one group and returns their outcomes: the same as Handle for
// each in turn would.
func (s *Station) handleGroup(evs []devices.Event) []Outcome {
	before := s.save()
	g := &group{}
	real := s.log
	s.group, s.log = g, slog.New(&groupLog{h: real.Handler(), g: g})
	for _, ev := range evs {
		g.outs = append(g.outs, s.Handle(ev))
	}
	s.group, s.log = nil, real

	var ack store.Ack
	if len(g.recs) > 0 {
		var err error
		if ack, err = s.store.AppendGroup(g.recs); err != nil {
			return s.again(evs, g, before, err)
		}
	}
	for _, h := range g.held {
		switch {
		case h.sound:
			p := h.play
			if p == feedback.Good && ack.Spooled {
				p = feedback.WriteFailure
			}
			s.fb.Play(p, h.source)
		case h.rec >= 0:
			s.logWritten(ack.Spooled, h.args)
		case h.h.Enabled(context.Background(), h.r.Level):
			_ = h.h.Handle(context.Background(), h.r)
		}
	}
	for i := range g.outs {
		if o := &g.outs[i]; o.Record != nil && ack.Spooled {
			o.Spooled, o.Pattern = true, feedback.WriteFailure
		}
	}
	s.changed()
	return g.outs
}

// again puts the state back as it was before the group and decides its
// events one by one. With ErrNoGroup the store stored nothing and takes
// each record again; with any other error (the group's write hung and no
// spool took it) each record is refused with that error without being
// tried again, as the store asks.
func (s *Station) again(evs []devices.Event, g *group, before saved, err error) []Outcome {
	s.restore(before)
	if s.history != nil {
		for i := len(g.marks) - 1; i >= 0; i-- {
			s.history.Forget(g.marks[i])
		}
	}
	st := s.store
	if !errors.Is(err, store.ErrNoGroup) {
		s.store = refusing{Store: st, err: err}
		defer func() { s.store = st }()
	}
	outs := make([]Outcome, 0, len(evs))
	for _, ev := range evs {
		outs = append(outs, s.Handle(ev))
	}
	return outs
}

// refusing answers every Append with err: the records of a group the
// store refused as a whole, decided again without being stored twice.
type refusing struct {
	Store
	err error
}

func (r refusing) Append(encoder.Record) (store.Ack, error) { return store.Ack{}, r.err }

func (r refusing) AppendGroup([]encoder.Record) (store.Ack, error) { return store.Ack{}, r.err }

// holdRecord queues rec for the group's one store call and holds back its
// log line; it returns the outcome rec has once stored.
func (s *Station) holdRecord(ev devices.Event, rec encoder.Record, args []any) Outcome {
	g := s.group
	g.recs = append(g.recs, rec)
	var m Mark
	if s.history != nil {
		// At once: a later scan of the group is classed knowing this one.
		m = s.history.Add(rec)
		s.lastMark = m
	}
	g.marks = append(g.marks, m)
	s.lastSource = ev.Source
	g.held = append(g.held, held{rec: len(g.recs) - 1, source: ev.Source, args: args})
	return Outcome{Kind: KindItem, Record: &rec, Pattern: feedback.Good}
}

// holdSound holds back a sound of the group.
func (s *Station) holdSound(p feedback.Pattern, source string) {
	s.group.held = append(s.group.held, held{rec: -1, sound: true, play: p, source: source})
}
