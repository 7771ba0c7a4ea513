package station

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/daemon/store"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/encoder"
)

// fakeStore records appends; fail makes the next Append fail, spool makes it spool.
type fakeStore struct {
	recs    []encoder.Record
	fail    error
	spool   bool
	undoErr error
}

func (f *fakeStore) Append(r encoder.Record) (store.Ack, error) {
	if f.fail != nil {
		return store.Ack{}, f.fail
	}
	f.recs = append(f.recs, r)
	return store.Ack{Spooled: f.spool}, nil
}

// AppendGroup stores recs as Append would, all or nothing: with fail set
// it stores nothing and says ErrNoGroup (Append then fails each).
func (f *fakeStore) AppendGroup(recs []encoder.Record) (store.Ack, error) {
	if f.fail != nil {
		return store.Ack{}, store.ErrNoGroup
	}
	f.recs = append(f.recs, recs...)
	return store.Ack{Spooled: f.spool}, nil
}

func (f *fakeStore) Undo(time.Duration) (encoder.Record, error) {
	if f.undoErr != nil || len(f.recs) == 0 {
		return encoder.Record{}, fmt.Errorf("%w: nothing to undo", store.ErrUndoRefused)
	}
	r := f.recs[len(f.recs)-1]
	f.recs = f.recs[:len(f.recs)-1]
	return r, nil
}

// fakeFeedback records every pattern with the source it was routed to.
type fakeFeedback struct {
	played []string
	acks   int
}

func (f *fakeFeedback) Play(p feedback.Pattern, source string) {
	f.played = append(f.played, string(p)+"@"+source)
}
func (f *fakeFeedback) Ack() { f.acks++ }

var t0 = time.Date(2022, 5, 10, 11, 45, 0, 0, time.UTC)

func testConfig(mut func(*config.Config)) *config.Config {
	c := &config.Config{
		Station: "test", Timezone: "UTC", DefaultMode: "loan", ControlPrefix: "OFFCIRC:",
		PatronTimeout:    config.Duration{Duration: 30 * time.Second},
		DoubleReadWindow: config.Duration{Duration: 2 * time.Second},
		UndoWindow:       config.Duration{Duration: 2 * time.Minute},
		Scanners: []config.Scanner{{Name: "desk", Type: "console"}, {Name: "drop", Type: "console", Mode: "return"},
			{Name: "lend", Type: "console", Mode: "loan"}},
	}
	if mut != nil {
		mut(c)
	}
	return c
}

// step is one event and what must follow from it.
type step struct {
	at      time.Duration // since t0
	src     string        // default "desk"
	kind    devices.Kind  // default KindScan
	data    string        // scan data or command
	patron  bool          // keypad patron entry
	pattern string        // expected pattern ("" = none)
	record  string        // expected record "L item patron" / "R item", "" = none
	reason  string        // substring of the rejection reason
}

func TestStationRules(t *testing.T) {
	tests := []struct {
		name  string
		cfg   func(*config.Config)
		store func(*fakeStore)
		steps []step
		mode  Mode
	}{
		{name: "loan: patron then items", steps: []step{
			{data: "P1", pattern: "patron"},
			{at: 3 * time.Second, data: "I1", pattern: "good", record: "L I1 P1"},
			{at: 6 * time.Second, data: "I2", pattern: "good", record: "L I2 P1"},
		}},
		{name: "new patron replaces the old one", steps: []step{
			{data: "P1", pattern: "patron"},
			{at: 3 * time.Second, data: "I1", record: "L I1 P1", pattern: "good"},
			{at: 6 * time.Second, data: "P2", kind: devices.KindScan, patron: true, pattern: "patron"},
			{at: 9 * time.Second, data: "I2", record: "L I2 P2", pattern: "good"},
		}},
		{name: "item before patron rejected (patterns)", cfg: func(c *config.Config) { c.PatronPattern = `^P\d+$`; c.ItemPattern = `^I\d+$` }, steps: []step{
			{data: "I1", pattern: "reject", reason: "without a patron"},
			{at: 3 * time.Second, data: "P1", pattern: "patron"},
			{at: 6 * time.Second, data: "I1", pattern: "good", record: "L I1 P1"},
		}},
		{name: "patterns: neither matches rejected", cfg: func(c *config.Config) { c.PatronPattern = `^P\d+$`; c.ItemPattern = `^I\d+$` }, steps: []step{
			{data: "X9", pattern: "reject", reason: "neither"},
		}},
		{name: "patterns: a patron while a patron is present replaces", cfg: func(c *config.Config) { c.PatronPattern = `^P\d+$`; c.ItemPattern = `^I\d+$` }, steps: []step{
			{data: "P1", pattern: "patron"}, {at: time.Second, data: "P2", pattern: "patron"},
			{at: 2 * time.Second, data: "I1", pattern: "good", record: "L I1 P2"},
		}},
		{name: "only item_pattern: everything else is a patron", cfg: func(c *config.Config) { c.ItemPattern = `^I\d+$` }, steps: []step{
			{data: "I1", pattern: "reject", reason: "without a patron"},
			{at: time.Second, data: "anyone", pattern: "patron"},
			{at: 2 * time.Second, data: "I2", pattern: "good", record: "L I2 anyone"},
		}},
		{name: "workflow classification: second scan is an item", steps: []step{
			{data: "AAA", pattern: "patron"}, {at: time.Second, data: "BBB", pattern: "good", record: "L BBB AAA"},
		}},
		{name: "return mode: items are returns, patrons rejected", cfg: func(c *config.Config) { c.DefaultMode = "return"; c.PatronPattern = `^P`; c.ItemPattern = `^I` },
			mode: ModeReturn, steps: []step{
				{data: "I1", pattern: "good", record: "R I1"},
				{at: time.Second, data: "P1", pattern: "reject", reason: "return mode"},
			}},
		{name: "control barcodes switch modes and end the session", mode: ModeLoan, steps: []step{
			{data: "P1", pattern: "patron"},
			{at: time.Second, data: "OFFCIRC:RETURN", pattern: "mode-return@"},
			{at: 2 * time.Second, data: "I1", pattern: "good", record: "R I1"},
			{at: 3 * time.Second, data: "OFFCIRC:TOGGLE", pattern: "mode-loan@"},
			{at: 4 * time.Second, data: "I2", pattern: "patron"}, // session ended: workflow makes it a patron
			{at: 5 * time.Second, data: "OFFCIRC:LOAN", pattern: "mode-loan@"},
			{at: 6 * time.Second, data: "I3", pattern: "good", record: "L I3 I2"}, // same mode: session kept
		}},
		{name: "control prefix in any case, blanks ignored, never a record", steps: []step{
			{data: "P1", pattern: "patron"},
			{at: time.Second, data: "offcirc:return", pattern: "mode-return@"},
			{at: 2 * time.Second, data: "I1", pattern: "good", record: "R I1"},
			{at: 3 * time.Second, data: " OffCirc: LOAN ", pattern: "mode-loan@"},
			{at: 4 * time.Second, data: "P2", pattern: "patron"},
			{at: 5 * time.Second, data: "offcirc:", pattern: "reject", reason: "unknown command"},
			{at: 6 * time.Second, data: "oFFcIRC:lend", pattern: "reject", reason: "unknown command"},
			{at: 7 * time.Second, data: "\tOFFCIRC:DONE\t", pattern: "mode-loan@"},
		}, mode: ModeLoan},
		{name: "control barcode case-insensitive command, unknown rejected", steps: []step{
			{data: "OFFCIRC:return", pattern: "mode-return@"},
			{at: time.Second, data: "OFFCIRC:FLY", pattern: "reject", reason: "unknown command"},
		}, mode: ModeReturn},
		{name: "DONE ends the session", cfg: func(c *config.Config) { c.PatronPattern = `^P`; c.ItemPattern = `^I` }, steps: []step{
			{data: "P1", pattern: "patron"},
			{at: time.Second, data: "OFFCIRC:DONE", pattern: "mode-loan@"},
			{at: 2 * time.Second, data: "I1", pattern: "reject", reason: "without a patron"},
		}},
		{name: "patron timeout by event time", cfg: func(c *config.Config) { c.PatronPattern = `^P`; c.ItemPattern = `^I` }, steps: []step{
			{data: "P1", pattern: "patron"},
			{at: 20 * time.Second, data: "I1", pattern: "good", record: "L I1 P1"},
			{at: 49 * time.Second, data: "I2", pattern: "good", record: "L I2 P1"}, // activity extends the session
			{at: 80 * time.Second, data: "I3", pattern: "reject", reason: "without a patron"},
		}},
		{name: "item cap ends the session", cfg: func(c *config.Config) { c.MaxItemsPerPatron = 2; c.PatronPattern = `^P`; c.ItemPattern = `^I` }, steps: []step{
			{data: "P1", pattern: "patron"},
			{at: time.Second, data: "I1", pattern: "good", record: "L I1 P1"},
			{at: 2 * time.Second, data: "I2", pattern: "good", record: "L I2 P1"},
			{at: 3 * time.Second, data: "I3", pattern: "reject", reason: "without a patron"},
		}},
		{name: "double read within window ignored, outside written", cfg: func(c *config.Config) { c.DefaultMode = "return" }, mode: ModeReturn, steps: []step{
			{data: "I1", pattern: "good", record: "R I1"},
			{at: 1500 * time.Millisecond, data: "I1", pattern: "double"},
			{at: 4 * time.Second, data: "I1", pattern: "good", record: "R I1"},
		}},
		{name: "same barcode on another scanner is not a double read", cfg: func(c *config.Config) { c.DefaultMode = "return" }, mode: ModeReturn, steps: []step{
			{data: "I1", pattern: "good", record: "R I1"},
			{at: 100 * time.Millisecond, src: "drop", data: "I1", pattern: "good", record: "R I1"},
		}},
		{name: "a refused scan scanned again at once is decided again, not a double read", store: func(f *fakeStore) { f.fail = errors.New("disk on fire") },
			cfg: func(c *config.Config) { c.DefaultMode = "return" }, mode: ModeReturn, steps: []step{
				{data: "I1", pattern: "write-failure", reason: "disk on fire"},
				{at: 500 * time.Millisecond, data: "I1", pattern: "write-failure", reason: "disk on fire"},
			}},
		{name: "a rejected item scanned again after the patron is written", cfg: func(c *config.Config) { c.PatronPattern = `^P`; c.ItemPattern = `^I` }, steps: []step{
			{data: "I1", pattern: "reject", reason: "without a patron"},
			{at: 300 * time.Millisecond, data: "I1", pattern: "reject", reason: "without a patron"},
		}, mode: ModeLoan},
		{name: "double read of a control barcode toggles once", steps: []step{
			{data: "OFFCIRC:TOGGLE", pattern: "mode-return@"},
			{at: 300 * time.Millisecond, data: "OFFCIRC:TOGGLE", pattern: "double"},
		}, mode: ModeReturn},
		{name: "pinned return scanner beside a loan scanner", cfg: func(c *config.Config) { c.PatronPattern = `^P`; c.ItemPattern = `^I` }, mode: ModeLoan, steps: []step{
			{data: "P1", pattern: "patron"},
			{at: time.Second, src: "drop", data: "I9", pattern: "good@drop", record: "R I9"},
			{at: 2 * time.Second, data: "I1", pattern: "good", record: "L I1 P1"},
			{at: 3 * time.Second, src: "drop", data: "P2", pattern: "reject@drop", reason: "return mode"},
		}},
		{name: "pinned loan scanner while station returns", cfg: func(c *config.Config) { c.DefaultMode = "return"; c.PatronPattern = `^P`; c.ItemPattern = `^I` }, mode: ModeReturn, steps: []step{
			{src: "lend", data: "P1", pattern: "patron@lend"},
			{at: time.Second, src: "lend", data: "I1", pattern: "good@lend", record: "L I1 P1"},
			{at: 2 * time.Second, data: "I2", pattern: "good", record: "R I2"},
		}},
		{name: "undo takes back the last record", cfg: func(c *config.Config) { c.DefaultMode = "return" }, mode: ModeReturn, steps: []step{
			{data: "I1", pattern: "good", record: "R I1"},
			{at: time.Second, data: "OFFCIRC:UNDO", pattern: "undo"},
		}},
		{name: "undo refused", store: func(f *fakeStore) { f.undoErr = errors.New("x") }, steps: []step{
			{data: "OFFCIRC:UNDO", pattern: "reject", reason: "undo refused"},
		}, mode: ModeLoan},
		{name: "keypad commands", mode: ModeReturn, steps: []step{
			{src: "keypad", kind: devices.KindCommand, data: "return", pattern: "mode-return@"},
			{at: time.Second, src: "keypad", kind: devices.KindCommand, data: "ack"},
			{at: 2 * time.Second, src: "keypad", kind: devices.KindCommand, data: "sing", pattern: "reject@keypad", reason: "unknown command"},
		}},
		{name: "keypad patron entry is a patron even when patterns disagree", cfg: func(c *config.Config) { c.PatronPattern = `^P`; c.ItemPattern = `^\d+$` }, steps: []step{
			{src: "keypad", data: "12345", patron: true, pattern: "patron@keypad"},
			{at: time.Second, data: "67890", pattern: "good", record: "L 67890 12345"},
		}, mode: ModeLoan},
		{name: "unreadable input rejected", steps: []step{
			{kind: devices.KindBad, data: "", pattern: "reject", reason: "garbage"},
		}, mode: ModeLoan},
		{name: "overlong item rejected, nothing written", cfg: func(c *config.Config) { c.DefaultMode = "return" }, mode: ModeReturn, steps: []step{
			{data: strings.Repeat("9", 81), pattern: "reject", reason: "longer than 80"},
		}},
		{name: "overlong patron rejected", steps: []step{
			{data: strings.Repeat("9", 255), pattern: "reject", reason: "longer than 254"},
		}, mode: ModeLoan},
		{name: "store failure refuses the scan", store: func(f *fakeStore) { f.fail = errors.New("disk on fire") }, cfg: func(c *config.Config) { c.DefaultMode = "return" }, mode: ModeReturn, steps: []step{
			{data: "I1", pattern: "write-failure", reason: "disk on fire"},
		}},
		{name: "stored nowhere plays not-stored, and a rescan is decided again", store: func(f *fakeStore) {
			f.fail = fmt.Errorf("store: %w: spool read-only; data read-only", store.ErrNotStored)
		}, cfg: func(c *config.Config) { c.DefaultMode = "return" }, mode: ModeReturn, steps: []step{
			{data: "I1", pattern: "not-stored", reason: "record not stored"},
			{at: time.Second, data: "I1", pattern: "not-stored", reason: "record not stored"},
		}},
		{name: "spooled record plays write-failure", store: func(f *fakeStore) { f.spool = true }, cfg: func(c *config.Config) { c.DefaultMode = "return" }, mode: ModeReturn, steps: []step{
			{data: "I1", pattern: "write-failure", record: "R I1"},
		}},
		{name: "device state changes play nothing", steps: []step{
			{kind: devices.KindState},
		}, mode: ModeLoan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, fb := &fakeStore{}, &fakeFeedback{}
			if tt.store != nil {
				tt.store(fs)
			}
			now := t0
			st, err := New(testConfig(tt.cfg), Options{Store: fs, Feedback: fb, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				src := s.src
				if src == "" {
					src = "desk"
				}
				kind := s.kind
				if kind == 0 {
					kind = devices.KindScan
				}
				now = t0.Add(s.at)
				ev := devices.Event{Kind: kind, Source: src, Time: now, Data: s.data, Patron: s.patron}
				switch kind {
				case devices.KindCommand:
					ev.Command, ev.Data = config.Command(s.data), ""
				case devices.KindBad:
					ev.Err = errors.New("garbage")
				case devices.KindState:
					ev.State = devices.StateConnected
				}
				nrec := len(fs.recs)
				nplay := len(fb.played)
				o := st.Handle(ev)
				wantPat := s.pattern
				if wantPat != "" && !strings.Contains(wantPat, "@") {
					wantPat += "@" + src
				}
				gotPat := ""
				if len(fb.played) > nplay {
					gotPat = fb.played[nplay]
				}
				if gotPat != wantPat {
					t.Errorf("step %d (%s %q): pattern %q, want %q (reason %q)", i, src, s.data, gotPat, wantPat, o.Reason)
				}
				gotRec := ""
				if o.Record != nil {
					gotRec = strings.TrimSpace(fmt.Sprintf("%s %s %s", o.Record.Type, o.Record.Item, o.Record.Patron))
					if !o.Record.Time.Equal(now) {
						t.Errorf("step %d: record time %v, want %v", i, o.Record.Time, now)
					}
				}
				if gotRec != s.record {
					t.Errorf("step %d (%q): record %q, want %q", i, s.data, gotRec, s.record)
				}
				if s.record == "" && len(fs.recs) > nrec {
					t.Errorf("step %d: store got a record although none was expected", i)
				}
				if s.reason != "" && !strings.Contains(o.Reason, s.reason) {
					t.Errorf("step %d: reason %q, want it to contain %q", i, o.Reason, s.reason)
				}
			}
			if tt.mode != "" && st.Mode() != tt.mode {
				t.Errorf("final mode %s, want %s", st.Mode(), tt.mode)
			}
		})
	}
}

func TestStationIdleTickerEndsSession(t *testing.T) {
	fs, fb := &fakeStore{}, &fakeFeedback{}
	now := t0
	st, err := New(testConfig(func(c *config.Config) { c.PatronPattern = `^P`; c.ItemPattern = `^I` }),
		Options{Store: fs, Feedback: fb, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	st.Handle(devices.Event{Kind: devices.KindScan, Source: "desk", Time: now, Data: "P1"})
	now = now.Add(29 * time.Second)
	st.expireIdle()
	if st.patron == "" {
		t.Fatal("session ended before the timeout")
	}
	now = now.Add(2 * time.Second)
	st.expireIdle()
	if st.patron != "" {
		t.Fatal("session still open after the timeout")
	}
}

// blockingStore blocks Append until released, to prove feedback waits for durability.
type blockingStore struct {
	fakeStore
	entered chan struct{}
	release chan struct{}
}

func (b *blockingStore) Append(r encoder.Record) (store.Ack, error) {
	close(b.entered)
	<-b.release
	return b.fakeStore.Append(r)
}

// chanFeedback reports plays on a channel.
type chanFeedback struct{ ch chan string }

func (c *chanFeedback) Play(p feedback.Pattern, _ string) { c.ch <- string(p) }
func (c *chanFeedback) Ack()                              {}

func TestGoodBeepOnlyAfterDurable(t *testing.T) {
	bs := &blockingStore{entered: make(chan struct{}), release: make(chan struct{})}
	fb := &chanFeedback{ch: make(chan string, 10)}
	st, err := New(testConfig(func(c *config.Config) { c.DefaultMode = "return" }), Options{Store: bs, Feedback: fb})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Outcome)
	go func() { done <- st.Handle(devices.Event{Kind: devices.KindScan, Source: "desk", Time: t0, Data: "I1"}) }()
	<-bs.entered
	select {
	case p := <-fb.ch:
		t.Fatalf("feedback %q dispatched while the store had not acknowledged", p)
	case <-time.After(200 * time.Millisecond):
	}
	close(bs.release)
	if p := <-fb.ch; p != "good" {
		t.Fatalf("pattern %q after ack, want good", p)
	}
	if o := <-done; o.Record == nil {
		t.Fatal("no record")
	}
}

// TestStationRunEndsIdleSession: with no scans at all, the patron walks
// away and the session ends by the wall-clock timer (kiosk, status file).
func TestStationRunEndsIdleSession(t *testing.T) {
	states := make(chan State, 100)
	st, err := New(testConfig(func(c *config.Config) { c.PatronTimeout.Duration = 100 * time.Millisecond }),
		Options{Store: &fakeStore{}, Feedback: &fakeFeedback{}, OnChange: func(s State) { states <- s }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan devices.Event)
	go st.Run(ctx, events)
	start := time.Now()
	events <- devices.Event{Kind: devices.KindScan, Source: "desk", Time: time.Now(), Data: "P1"}
	sawPatron := false
	for {
		select {
		case s := <-states:
			if s.PatronPresent {
				sawPatron = true
			} else if sawPatron {
				if el := time.Since(start); el < 90*time.Millisecond {
					t.Fatalf("session ended after %v, before the 100ms timeout", el)
				}
				return
			}
		case <-time.After(3 * time.Second):
			t.Fatal("idle session never ended")
		}
	}
}
