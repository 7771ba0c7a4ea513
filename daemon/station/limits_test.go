package station

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/encoder"
)

// desk drives a station through Handle, one event at a time.
type desk struct {
	t   *testing.T
	st  *Station
	fs  *fakeStore
	now time.Time
}

func newDesk(t *testing.T, mut func(*config.Config), log *slog.Logger) *desk {
	t.Helper()
	d := &desk{t: t, fs: &fakeStore{}, now: t0}
	st, err := New(testConfig(mut), Options{Store: d.fs, Feedback: &fakeFeedback{}, Logger: log, Now: func() time.Time { return d.now }})
	if err != nil {
		t.Fatal(err)
	}
	d.st = st
	return d
}

// scan handles a scan at t0+at and returns what was written ("L I1 P1",
// "R I1") or the outcome's kind in brackets ("[double]", "[reject]").
func (d *desk) scan(at time.Duration, src, data string) string {
	d.now = t0.Add(at)
	o := d.st.Handle(devices.Event{Kind: devices.KindScan, Source: src, Time: d.now, Data: data})
	if o.Record == nil {
		return "[" + string(o.Kind) + "]"
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", o.Record.Type, o.Record.Item, o.Record.Patron))
}

// run handles the scans (src "desk" unless "src:data") one second apart
// and checks each result.
func (d *desk) run(steps ...string) {
	d.t.Helper()
	for i := 0; i+1 < len(steps); i += 2 {
		src, data, ok := strings.Cut(steps[i], ":")
		if !ok || strings.HasPrefix(steps[i], "OFFCIRC:") {
			src, data = "desk", steps[i]
		}
		if got := d.scan(time.Duration(i/2)*time.Second, src, data); got != steps[i+1] {
			d.t.Fatalf("scan %d %q: got %s, want %s", i/2+1, steps[i], got, steps[i+1])
		}
	}
}

var patterns = func(c *config.Config) { c.PatronPattern = `^P`; c.ItemPattern = `^I` }

func withLimit(n int) func(*config.Config) {
	return func(c *config.Config) { patterns(c); c.MaxItemsPerPatron = n }
}

// max_items_per_patron counts the loans the patron really got: an undone
// loan gives its slot back, a loan the store refused and a return at a
// pinned return scanner take none, and undoing an earlier patron's loan
// does not give the current patron an extra slot.
func TestItemLimitCountsRealLoans(t *testing.T) {
	t.Run("undo gives the slot back", func(t *testing.T) {
		newDesk(t, withLimit(2), nil).run(
			"P1", "[patron]",
			"I1", "L I1 P1",
			"OFFCIRC:UNDO", "[control]",
			"I2", "L I2 P1",
			"I3", "L I3 P1", // the second loan: the limit ends the session
			"I4", "[item]") // rejected: no patron
	})
	t.Run("undo of the previous patron's loan", func(t *testing.T) {
		newDesk(t, withLimit(2), nil).run(
			"P1", "[patron]",
			"I1", "L I1 P1",
			"P2", "[patron]",
			"OFFCIRC:UNDO", "[control]", // takes back P1's I1
			"I2", "L I2 P2",
			"I3", "L I3 P2",
			"I4", "[item]")
	})
	t.Run("undo of the patron's loan from an earlier session", func(t *testing.T) {
		newDesk(t, withLimit(1), nil).run(
			"P1", "[patron]",
			"I1", "L I1 P1", // the limit ends the session
			"P1", "[patron]", // a new session of the same patron
			"OFFCIRC:UNDO", "[control]", // takes back I1: no slot of this session
			"I2", "L I2 P1",
			"I3", "[item]")
	})
	t.Run("a refused loan takes no slot", func(t *testing.T) {
		d := newDesk(t, withLimit(2), nil)
		d.run("P1", "[patron]")
		d.fs.fail = errors.New("disk on fire")
		if got := d.scan(time.Second, "desk", "I1"); got != "[item]" {
			t.Fatalf("refused loan: %s", got)
		}
		d.fs.fail = nil
		for i, want := range []string{"L I2 P1", "L I3 P1", "[item]"} {
			if got := d.scan(time.Duration(2+i)*time.Second, "desk", fmt.Sprintf("I%d", i+2)); got != want {
				t.Fatalf("scan I%d: got %s, want %s", i+2, got, want)
			}
		}
	})
	t.Run("a return takes no slot", func(t *testing.T) {
		newDesk(t, withLimit(2), nil).run(
			"P1", "[patron]",
			"drop:I9", "R I9",
			"I1", "L I1 P1",
			"drop:I8", "R I8",
			"I2", "L I2 P1",
			"I3", "[item]")
	})
}

// A double read is the same code from the same scanner less than
// double_read_window after the last read of it (2 s here). Reads at the
// same instant are doubles; at the window's end the code counts again; a
// scanner that keeps re-reading a label keeps the window sliding; a bad
// read or another code in between ends the tracking.
func TestDoubleReadWindowEdges(t *testing.T) {
	ret := func(c *config.Config) { c.DefaultMode = "return" }
	type sc = struct {
		at         time.Duration
		src, data  string
		want       string
		badBetween bool
	}
	cases := []struct {
		name  string
		scans []sc
	}{
		{"same instant", []sc{{0, "desk", "I1", "R I1", false}, {0, "desk", "I1", "[double]", false}}},
		{"just inside", []sc{{0, "desk", "I1", "R I1", false}, {2*time.Second - time.Millisecond, "desk", "I1", "[double]", false}}},
		{"at the window's end", []sc{{0, "desk", "I1", "R I1", false}, {2 * time.Second, "desk", "I1", "R I1", false}}},
		{"window slides with each re-read", []sc{
			{0, "desk", "I1", "R I1", false}, {1500 * time.Millisecond, "desk", "I1", "[double]", false},
			{3 * time.Second, "desk", "I1", "[double]", false}, {4500 * time.Millisecond, "desk", "I1", "[double]", false}}},
		{"another code in between", []sc{{0, "desk", "I1", "R I1", false}, {100 * time.Millisecond, "desk", "I2", "R I2", false},
			{200 * time.Millisecond, "desk", "I1", "R I1", false}}},
		{"a bad read in between", []sc{{0, "desk", "I1", "R I1", false}, {200 * time.Millisecond, "desk", "I1", "R I1", true}}},
		{"clock went back", []sc{{time.Second, "desk", "I1", "R I1", false}, {0, "desk", "I1", "R I1", false}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newDesk(t, ret, nil)
			for i, s := range tc.scans {
				if s.badBetween {
					d.st.Handle(devices.Event{Kind: devices.KindBad, Source: s.src, Time: t0.Add(s.at), Err: errors.New("noise")})
				}
				if got := d.scan(s.at, s.src, s.data); got != s.want {
					t.Fatalf("scan %d %s at %v: got %s, want %s", i+1, s.data, s.at, got, s.want)
				}
			}
		})
	}
}

// Patron IDs never reach the log whole at info level, whatever the scan
// became: a session, a loan, a loan the store refused, a patron ID
// scanned at a return scanner (twice), the session's end.
func TestPatronIDsMaskedInLogs(t *testing.T) {
	const id = "P3120161826"
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d := newDesk(t, withLimit(2), log)
	d.run(id, "[patron]", "I1", "L I1 "+id)
	d.fs.fail = errors.New("disk on fire")
	d.run("I2", "[item]")
	d.fs.fail = nil
	d.run("drop:"+id, "[patron]", "drop:"+id, "[patron]", "I3", "L I3 "+id) // the limit ends the session
	out := buf.String()
	if strings.Contains(out, id) {
		t.Fatalf("patron ID in the log:\n%s", out)
	}
	if n := strings.Count(out, encoder.MaskPatron(id)); n < 5 {
		t.Fatalf("masked ID logged %d times, want every line that names the patron:\n%s", n, out)
	}

	// At debug level (a technician chasing a problem) the ID is shown.
	buf.Reset()
	dbg := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	newDesk(t, nil, dbg).run(id, "[patron]")
	if !strings.Contains(buf.String(), id) {
		t.Fatalf("debug log without the ID:\n%s", buf.String())
	}
}

// patron_timeout of wall time without a scan ends the session (the patron
// walked away), exactly at the timeout; a disabled timeout (0) never does.
func TestIdleTimeoutEndsSession(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		idle    time.Duration
		ended   bool
	}{
		{"just before", 30 * time.Second, 30*time.Second - time.Millisecond, false},
		{"at the timeout", 30 * time.Second, 30 * time.Second, true},
		{"disabled", 0, time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDesk(t, func(c *config.Config) { patterns(c); c.PatronTimeout = config.Duration{Duration: tt.timeout} }, nil)
			d.run("P1", "[patron]")
			d.now = d.now.Add(tt.idle)
			d.st.expireIdle()
			if ended := d.st.patron == ""; ended != tt.ended {
				t.Fatalf("session ended = %v, want %v", ended, tt.ended)
			}
		})
	}
}

// patron_timeout in event time (a replay, a burst): a scan exactly
// patron_timeout after the session's last activity finds it ended; with
// the timeout disabled (0) the session lasts.
func TestEventTimeTimeoutEdge(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		gap     time.Duration
		want    string
	}{
		{"just before", 30 * time.Second, 30*time.Second - time.Millisecond, "L I2 P1"},
		{"at the timeout", 30 * time.Second, 30 * time.Second, "[item]"},
		{"disabled", 0, time.Hour, "L I2 P1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDesk(t, func(c *config.Config) { patterns(c); c.PatronTimeout = config.Duration{Duration: tt.timeout} }, nil)
			d.run("P1", "[patron]", "I1", "L I1 P1") // I1 at 1 s
			if got := d.scan(time.Second+tt.gap, "desk", "I2"); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// Undoing a return (at the pinned return scanner) during a patron's
// session gives the patron no extra loan; OFFCIRC:ACK reaches the alarm.
func TestUndoOfReturnAndAck(t *testing.T) {
	d := newDesk(t, withLimit(2), nil)
	d.run("P1", "[patron]",
		"I1", "L I1 P1",
		"drop:I9", "R I9",
		"drop:OFFCIRC:UNDO", "[control]", // takes back I9
		"I2", "L I2 P1", // the second loan ends the session
		"I3", "[item]",
		"OFFCIRC:ACK", "[control]")
	if fb := d.st.fb.(*fakeFeedback); fb.acks != 1 {
		t.Fatalf("alarm acknowledged %d times, want 1", fb.acks)
	}
}

// A device's error is in the station's state (status.json) until it is
// connected again.
func TestDeviceErrorInState(t *testing.T) {
	var last State
	st, err := New(testConfig(nil), Options{Store: &fakeStore{}, OnChange: func(s State) { last = s }})
	if err != nil {
		t.Fatal(err)
	}
	st.Handle(devices.Event{Kind: devices.KindState, Source: "desk", Time: t0, State: devices.StateError, Err: errors.New("port gone")})
	if last.Devices["desk"] != devices.StateError || last.DeviceErrors["desk"] != "port gone" {
		t.Fatalf("after the error: %+v", last)
	}
	st.Handle(devices.Event{Kind: devices.KindState, Source: "desk", Time: t0, State: devices.StateWaiting})
	if last.DeviceErrors["desk"] != "port gone" {
		t.Fatalf("error forgotten while still waiting: %+v", last)
	}
	st.Handle(devices.Event{Kind: devices.KindState, Source: "desk", Time: t0, State: devices.StateConnected})
	if _, ok := last.DeviceErrors["desk"]; ok || last.Devices["desk"] != devices.StateConnected {
		t.Fatalf("after reconnecting: %+v", last)
	}
}

// An idle station wakes for nothing: without a patron session, or with the
// timeout disabled, Run arms no timer (a timer armed in the past would
// fire at once, again and again, and burn a core of the kiosk).
func TestIdleStationWakesForNothing(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		patron  bool
	}{
		{"no session", 30 * time.Second, false},
		{"session, timeout disabled", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			now := func() time.Time { mu.Lock(); calls++; mu.Unlock(); return t0 }
			st, err := New(testConfig(func(c *config.Config) { patterns(c); c.PatronTimeout = config.Duration{Duration: tt.timeout} }),
				Options{Store: &fakeStore{}, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			events := make(chan devices.Event, 1)
			if tt.patron {
				events <- devices.Event{Kind: devices.KindScan, Source: "desk", Time: t0, Data: "P1"}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			st.Run(ctx, events)
			mu.Lock()
			defer mu.Unlock()
			if calls > 20 {
				t.Fatalf("Run looked at the clock %d times in 200 ms while idle", calls)
			}
		})
	}
}

// What an administrator reads in the journal: a device that waits or
// fails is a warning naming its error, a connected one is info; a patron
// replacing another says so; a loan's line names the (masked) patron.
func TestStationLogLines(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d := newDesk(t, patterns, log)
	lines := func() []string { s := strings.Split(strings.TrimSpace(buf.String()), "\n"); buf.Reset(); return s }
	for _, tc := range []struct {
		state devices.State
		err   error
		want  string
	}{
		{devices.StateWaiting, nil, "level=WARN msg=device source=desk state=waiting"},
		{devices.StateError, errors.New("port gone"), `level=WARN msg=device source=desk state=error err="port gone"`},
		{devices.StateConnected, nil, "level=INFO msg=device source=desk state=connected"},
	} {
		buf.Reset()
		d.st.Handle(devices.Event{Kind: devices.KindState, Source: "desk", Time: t0, State: tc.state, Err: tc.err})
		if got := lines(); len(got) != 1 || !strings.Contains(got[0], tc.want) || (tc.err == nil && strings.Contains(got[0], "err=")) {
			t.Errorf("device %s: log %q, want %q", tc.state, got, tc.want)
		}
	}
	buf.Reset()
	d.run("P1234567", "[patron]")
	d.run("P7654321", "[patron]", "I1", "L I1 P7654321")
	out := buf.String()
	for _, want := range []string{"patron=P1***67 replaced=false", "patron=P7***21 replaced=true",
		"msg=\"record written\" source=desk type=L item=I1 patron=P7***21"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	d.run("drop:I2", "R I2")
	if out := buf.String(); strings.Contains(out, "type=R item=I2 patron") {
		t.Errorf("a return logged with a patron field: %s", out)
	}
}
