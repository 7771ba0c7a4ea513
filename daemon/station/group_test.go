package station

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/daemon/store"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/encoder"
)

// scriptStore answers by the item: ending in "S" spooled, in "X" refused
// as not stored, else written. Its AppendGroup is all or nothing, as the
// real store's: a group it cannot answer as one is ErrNoGroup, or, with
// final set, refused as a whole (the hung-group case).
type scriptStore struct {
	recs   []encoder.Record
	groups int
	final  bool
}

func (f *scriptStore) answer(r encoder.Record) (store.Ack, error) {
	switch {
	case strings.HasSuffix(r.Item, "X"):
		return store.Ack{}, fmt.Errorf("store: %w: injected", store.ErrNotStored)
	case strings.HasSuffix(r.Item, "S"):
		return store.Ack{Spooled: true}, nil
	}
	return store.Ack{}, nil
}

func (f *scriptStore) Append(r encoder.Record) (store.Ack, error) {
	ack, err := f.answer(r)
	if err == nil {
		f.recs = append(f.recs, r)
	}
	return ack, err
}

func (f *scriptStore) AppendGroup(recs []encoder.Record) (store.Ack, error) {
	first, err := f.answer(recs[0])
	for _, r := range recs[1:] {
		ack, e := f.answer(r)
		if e != nil || ack != first {
			err = store.ErrNoGroup
		}
	}
	switch {
	case err != nil && f.final:
		return store.Ack{}, fmt.Errorf("store: %w: injected hung group", store.ErrNotStored)
	case err != nil:
		return store.Ack{}, fmt.Errorf("store: %w", store.ErrNoGroup)
	}
	f.groups++
	f.recs = append(f.recs, recs...)
	return first, nil
}

func (f *scriptStore) Undo(time.Duration) (encoder.Record, error) {
	if len(f.recs) == 0 {
		return encoder.Record{}, fmt.Errorf("%w: nothing to undo", store.ErrUndoRefused)
	}
	r := f.recs[len(f.recs)-1]
	f.recs = f.recs[:len(f.recs)-1]
	return r, nil
}

// run is one station deciding events, and everything it did.
type run struct {
	st     *Station
	store  *scriptStore
	fb     *fakeFeedback
	logs   *bytes.Buffer
	states []State
	outs   []Outcome
}

func newRun(t *testing.T, cfg *config.Config, history bool, final bool) *run {
	t.Helper()
	r := &run{store: &scriptStore{final: final}, fb: &fakeFeedback{}, logs: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	opts := Options{Store: r.store, Feedback: r.fb, Logger: log, Now: func() time.Time { return t0 },
		OnChange: func(s State) { r.states = append(r.states, s) }}
	if history {
		opts.History = NewHistory()
	}
	st, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	r.st = st
	return r
}

// randomEvents is a desk's worth of scans from three scanners: patrons,
// items (some spooled, some refused by the store), double reads, invalid
// barcodes, keypad patrons, in bursts of one to nine that arrive together.
func randomEvents(rng *rand.Rand, n int) [][]devices.Event {
	data := []string{"P100", "P200", "P300", "I1", "I2", "I3", "I4", "I5S", "I6X", "I7", "bad item", "P100", "I1",
		"OFFCIRC:UNDO", "offcirc:toggle", "I2", "I3"}
	srcs := []string{"desk", "drop", "lend"}
	at := t0
	var bursts [][]devices.Event
	for len(bursts) < n {
		var b []devices.Event
		for range 1 + rng.IntN(9) {
			at = at.Add(time.Duration(rng.IntN(12_000)) * time.Millisecond)
			ev := devices.Event{Kind: devices.KindScan, Source: srcs[rng.IntN(len(srcs))], Time: at, Data: data[rng.IntN(len(data))]}
			ev.Patron = strings.HasPrefix(ev.Data, "P") && rng.IntN(4) == 0
			switch rng.IntN(20) {
			case 0: // the keypad
				ev.Kind, ev.Data, ev.Command = devices.KindCommand, "", []config.Command{config.CmdUndo, config.CmdToggle}[rng.IntN(2)]
			case 1:
				ev.Kind, ev.Data, ev.Err = devices.KindBad, "", errors.New("garbled")
			}
			b = append(b, ev)
		}
		bursts = append(bursts, b)
	}
	return bursts
}

// TestGroupSameAsOneByOne: deciding queued scans as a group has exactly
// the outcome of deciding them one by one: the same records in the same
// order, the same sounds for the same scanners, the same outcomes, log
// lines and final state, with patterns and with the history alone, when
// the store takes a group, spools it, or takes its records only one by
// one, with commands (undo, toggle) among the scans. Catches: a command
// decided inside a group (an undo taking back an earlier record), a group's log line or sound let out before or without the
// store's answer (order), the history not taught at once (a later scan of
// the group classed differently), no rollback when the store refuses the
// group (items counted, sessions ended, double reads remembered for
// records never stored), Forget missing in the rollback, a spooled group
// beeping good.
func TestGroupSameAsOneByOne(t *testing.T) {
	configs := []struct {
		name    string
		history bool
		mut     func(*config.Config)
	}{
		{"patterns", false, func(c *config.Config) { c.PatronPattern, c.ItemPattern = "^P", "^I" }},
		{"history alone", true, func(c *config.Config) {}},
		{"item limit", false, func(c *config.Config) { c.PatronPattern, c.MaxItemsPerPatron = "^P", 2 }},
	}
	for _, cf := range configs {
		for seed := range uint64(40) {
			t.Run(fmt.Sprintf("%s/%d", cf.name, seed), func(t *testing.T) {
				bursts := randomEvents(rand.New(rand.NewPCG(seed, 7)), 30)
				one := newRun(t, testConfig(cf.mut), cf.history, false)
				grouped := newRun(t, testConfig(cf.mut), cf.history, false)
				for _, b := range bursts {
					for _, ev := range b {
						one.outs = append(one.outs, one.st.Handle(ev))
					}
					// As Run takes them: the first, then what is queued.
					queued := make(chan devices.Event, len(b))
					for _, ev := range b[1:] {
						queued <- ev
					}
					for ev := b[0]; ; ev = <-queued {
						outs, _ := grouped.st.take(ev, queued)
						grouped.outs = append(grouped.outs, outs...)
						if len(queued) == 0 {
							break
						}
					}
				}
				same(t, one, grouped)
				if seed == 0 && grouped.store.groups == 0 {
					t.Error("no group was stored as one: the test does not test groups")
				}
			})
		}
	}
}

func same(t *testing.T, one, grouped *run) {
	t.Helper()
	if !reflect.DeepEqual(one.store.recs, grouped.store.recs) {
		t.Errorf("records:\n%v\ngrouped:\n%v", one.store.recs, grouped.store.recs)
	}
	if !reflect.DeepEqual(one.fb.played, grouped.fb.played) {
		t.Errorf("sounds:\n%v\ngrouped:\n%v", one.fb.played, grouped.fb.played)
	}
	if !reflect.DeepEqual(one.outs, grouped.outs) {
		for i := range min(len(one.outs), len(grouped.outs)) {
			if !reflect.DeepEqual(one.outs[i], grouped.outs[i]) {
				t.Errorf("outcome %d: %+v, grouped %+v", i, one.outs[i], grouped.outs[i])
				break
			}
		}
	}
	if a, b := one.logs.String(), grouped.logs.String(); a != b {
		t.Errorf("log lines differ:\n%s\ngrouped:\n%s", a, b)
	}
	a, b := one.st.save(), grouped.st.save()
	a.lastMark, b.lastMark = unkeyed(a.lastMark), unkeyed(b.lastMark) // each history hashes with its own seed
	if !reflect.DeepEqual(a, b) {
		t.Errorf("state %+v, grouped %+v", a, b)
	}
	if h1, h2 := one.st.history, grouped.st.history; h1 != nil {
		for _, code := range []string{"P100", "P200", "P300", "I1", "I2", "I3", "I4", "I5S", "I6X", "I7"} {
			if c1, c2 := h1.Class(code), h2.Class(code); c1 != c2 {
				t.Errorf("history: %s is %v, grouped %v", code, c1, c2)
			}
		}
		if h1.Len() != h2.Len() {
			t.Errorf("history: %d barcodes, grouped %d", h1.Len(), h2.Len())
		}
	}
	if n1, n2 := len(one.states), len(grouped.states); n1 == 0 || n2 == 0 ||
		!reflect.DeepEqual(one.states[n1-1], grouped.states[n2-1]) {
		t.Errorf("last status snapshot differs")
	}
}

// A group the store refuses as a whole (its write hung and no spool took
// it) is not tried again record by record: each of its records is refused
// as not stored, and the rest is decided as if the store had refused them
// one by one. Catches: the rollback trying each record again with Append
// (a second copy, if the hung write lands).
func TestGroupRefusedAsAWhole(t *testing.T) {
	cfg := testConfig(func(c *config.Config) { c.PatronPattern, c.DefaultMode = "^P", "return" })
	r := newRun(t, cfg, false, true)
	evs := []devices.Event{
		{Kind: devices.KindScan, Source: "desk", Time: t0, Data: "I1"},
		{Kind: devices.KindScan, Source: "desk", Time: t0.Add(time.Second), Data: "I6X"},
		{Kind: devices.KindScan, Source: "desk", Time: t0.Add(2 * time.Second), Data: "I2"},
	}
	outs := r.st.handleGroup(evs)
	if len(r.store.recs) != 0 {
		t.Fatalf("records stored after the group was refused: %v", r.store.recs)
	}
	for i, o := range outs {
		if o.Record != nil || o.Pattern != feedback.NotStored {
			t.Errorf("scan %d: %+v, want refused as not stored", i, o)
		}
	}
	if got, want := r.fb.played, []string{"not-stored@desk", "not-stored@desk", "not-stored@desk"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sounds %v, want %v", got, want)
	}
}

// groupStore blocks AppendGroup until released and counts its calls.
type groupStore struct {
	fakeStore
	entered chan struct{}
	release chan struct{}
	groups  [][]encoder.Record
}

func (g *groupStore) AppendGroup(recs []encoder.Record) (store.Ack, error) {
	g.entered <- struct{}{}
	<-g.release
	g.groups = append(g.groups, recs)
	return g.fakeStore.AppendGroup(recs)
}

// Run takes the scans queued behind the one in hand as a group: one
// AppendGroup for all, and no sound before it returned. A command in the
// queue ends the group and is decided after it. Catches: Run deciding
// one scan at a time (no group), a sound played before the store
// answered, a control barcode decided inside a group (an undo asking the
// store before the group's records are stored).
func TestRunTakesQueuedScansAsOneGroup(t *testing.T) {
	gs := &groupStore{entered: make(chan struct{}, 1), release: make(chan struct{})}
	fb := &chanFeedback{ch: make(chan string, 20)}
	st, err := New(testConfig(func(c *config.Config) { c.DefaultMode = "return" }), Options{Store: gs, Feedback: fb})
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan devices.Event, 10)
	for i := range 4 {
		events <- devices.Event{Kind: devices.KindScan, Source: fmt.Sprintf("s%d", i), Time: t0, Data: fmt.Sprintf("I%d", i)}
	}
	events <- devices.Event{Kind: devices.KindScan, Source: "s0", Time: t0, Data: "OFFCIRC:LOAN"}
	events <- devices.Event{Kind: devices.KindScan, Source: "s1", Time: t0, Data: "I9"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx, events) }()
	select {
	case <-gs.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("AppendGroup not called for four queued scans")
	}
	select {
	case p := <-fb.ch:
		t.Fatalf("sound %q before the store answered", p)
	case <-time.After(100 * time.Millisecond):
	}
	close(gs.release)
	for range 5 {
		select {
		case <-fb.ch:
		case <-time.After(5 * time.Second):
			t.Fatal("sounds missing")
		}
	}
	close(events)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(gs.groups) != 1 || len(gs.groups[0]) != 4 {
		t.Fatalf("groups %v, want one of the 4 queued returns", gs.groups)
	}
	if n := len(gs.recs); n != 4 {
		t.Errorf("%d records, want 4: I9 came after the mode change to loan, without a patron", n)
	}
	if st.Mode() != ModeLoan {
		t.Errorf("mode %v: the command after the group was not decided", st.Mode())
	}
}

func unkeyed(m Mark) Mark {
	m.item.key, m.patron.key = 0, 0
	return m
}

// A longer queue is taken in groups of at most store.MaxGroup, in order.
// Catches: a group over the store's limit (the store would answer
// ErrNoGroup and every scan of a long burst would cost its own fsync).
func TestGroupAtMostMaxGroup(t *testing.T) {
	gs := &groupStore{entered: make(chan struct{}, 10), release: make(chan struct{})}
	close(gs.release)
	st, err := New(testConfig(func(c *config.Config) { c.DefaultMode = "return" }), Options{Store: gs, Feedback: &fakeFeedback{}})
	if err != nil {
		t.Fatal(err)
	}
	n := store.MaxGroup + 8
	events := make(chan devices.Event, n)
	for i := range n {
		events <- devices.Event{Kind: devices.KindScan, Source: fmt.Sprintf("s%d", i%4), Time: t0, Data: fmt.Sprintf("I%d", i)}
	}
	close(events)
	if err := st.Run(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, g := range gs.groups {
		sizes = append(sizes, len(g))
	}
	if want := []int{store.MaxGroup, 8}; !reflect.DeepEqual(sizes, want) {
		t.Errorf("groups of %v, want %v", sizes, want)
	}
	if len(gs.recs) != n || gs.recs[n-1].Item != fmt.Sprintf("I%d", n-1) {
		t.Errorf("%d records, want %d in order", len(gs.recs), n)
	}
}
