package feedback_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/feedback"
)

// script writes an executable shell script and returns its path.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "beep.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommandSinkAppendsPatternName(t *testing.T) {
	out := filepath.Join(t.TempDir(), "patterns.txt")
	sh := script(t, `echo "$1 $2" >> "`+out+`"`)
	cfg := &config.Config{Beepers: []config.Beeper{{Type: "command", Command: []string{sh, "desk-1"}}}}
	sinks, warns := feedback.NewSinks(cfg, nil)
	if len(warns) != 0 || len(sinks) != 1 {
		t.Fatalf("sinks %v warnings %v", sinks, warns)
	}
	for _, p := range []feedback.Pattern{feedback.Patron, feedback.Good, feedback.Reject} {
		if err := sinks[0].Play(context.Background(), p, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(out)
	if want := "desk-1 patron\ndesk-1 good\ndesk-1 reject\n"; string(got) != want {
		t.Errorf("recorded %q, want %q", got, want)
	}
}

func TestCommandSinkFailures(t *testing.T) {
	t.Run("exit status carries stderr", func(t *testing.T) {
		c, err := feedback.NewCommandSink([]string{script(t, "echo no sound card >&2; exit 3")}, 0)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Play(context.Background(), feedback.Good, nil)
		if err == nil || !strings.Contains(err.Error(), "no sound card") || !strings.Contains(err.Error(), "exit status 3") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		c, err := feedback.NewCommandSink([]string{script(t, "exec sleep 10")}, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		err = c.Play(context.Background(), feedback.Good, nil)
		if err == nil || !strings.Contains(err.Error(), "timed out") {
			t.Errorf("err = %v", err)
		}
		if el := time.Since(began); el > 3*time.Second {
			t.Errorf("timeout took %v", el)
		}
	})
	t.Run("missing program", func(t *testing.T) {
		if _, err := feedback.NewCommandSink([]string{"/nonexistent/player"}, 0); err == nil {
			t.Error("no error for a missing program")
		}
		if _, err := feedback.NewCommandSink(nil, 0); err == nil {
			t.Error("no error for an empty command")
		}
	})
}

// stepClock fires every timer at once and records what was asked, so a
// rhythm's spacing is checked without sleeping.
type stepClock struct{ waits []time.Duration }

func (c *stepClock) Now() time.Time { return time.Time{} }
func (c *stepClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	ch <- time.Time{}
	return ch, func() bool { return false }
}

// TestBellRingsTheRhythm: a terminal bell sounds each pattern by count and
// spacing (patron, double and reject all had two bells before), and a
// pattern configured silent stays silent.
func TestBellRingsTheRhythm(t *testing.T) {
	for _, p := range feedback.All {
		var buf bytes.Buffer
		clk := &stepClock{}
		if err := feedback.NewBellSink(&buf, clk).Play(context.Background(), p, feedback.DefaultPatterns()[p]); err != nil {
			t.Fatal(err)
		}
		gaps := feedback.Rhythm(p)
		if got := buf.String(); got != strings.Repeat("\a", len(gaps)+1) {
			t.Errorf("%s: wrote %q, want %d BEL", p, got, len(gaps)+1)
		}
		if !slices.Equal(clk.waits, gaps) {
			t.Errorf("%s: paused %v, want %v", p, clk.waits, gaps)
		}
	}
	var buf bytes.Buffer
	feedback.NewBellSink(&buf, nil).Play(context.Background(), feedback.Good, []feedback.Tone{{Freq: 0, Dur: time.Microsecond}})
	feedback.NewBellSink(&buf, nil).Play(context.Background(), feedback.Good, nil)
	if buf.Len() != 0 {
		t.Errorf("a silent pattern rang the bell: %q", buf.String())
	}
}

func TestNewSinks(t *testing.T) {
	sh := script(t, "true")
	cfg := &config.Config{Beepers: []config.Beeper{
		{Type: "bell"},
		{Type: "none"},
		{Type: "command", Command: []string{sh}},
		{Type: "command", Command: []string{sh}},
		{Type: "command"}, // no command
		{Type: "klaxon"},  // unknown
		{Type: "pcspeaker", Device: filepath.Join(t.TempDir(), "missing-event0")},
	}}
	sinks, warns := feedback.NewSinks(cfg, nil)
	var names []string
	for _, s := range sinks {
		names = append(names, s.Name())
	}
	if got := strings.Join(names, ","); got != "bell,command,command#2" {
		t.Errorf("sinks %s", got)
	}
	if len(warns) != 3 {
		t.Fatalf("warnings %v, want 3", warns)
	}
	for i, want := range []string{"beeper 5 (command)", "beeper 6 (klaxon)", "beeper 7 (pcspeaker)"} {
		if !strings.Contains(warns[i].Error(), want) {
			t.Errorf("warning %q lacks %q", warns[i], want)
		}
	}
	if s, w := feedback.NewSinks(nil, nil); s != nil || w != nil {
		t.Error("nil config gave sinks")
	}
}

type fakeBeeper struct {
	mu  sync.Mutex
	got []string
	err error
}

func (f *fakeBeeper) Beep(p string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, p)
	return f.err
}

// oneSound is a scanner whose profile has one beep command for every
// pattern except those in coded.
type oneSound struct {
	fakeBeeper
	coded map[string]bool
	at    []time.Time
}

func (o *oneSound) Beep(p string) error {
	o.at = append(o.at, time.Now())
	return o.fakeBeeper.Beep(p)
}
func (o *oneSound) OneSound(p string) bool { return !o.coded[p] }

// TestScannerSinkRhythm: a one-sound scanner hears each pattern's rhythm as
// separate Beep calls, spaced as Rhythm says; a pattern with its own code
// is one Beep.
func TestScannerSinkRhythm(t *testing.T) {
	for _, p := range []feedback.Pattern{feedback.Good, feedback.Patron, feedback.Double, feedback.Reject} {
		b := &oneSound{coded: map[string]bool{"undo": true}}
		if err := feedback.ScannerSink("desk", b).Play(context.Background(), p, nil); err != nil {
			t.Fatal(err)
		}
		gaps := feedback.Rhythm(p)
		if len(b.got) != len(gaps)+1 {
			t.Fatalf("%s: %d beeps, want %d", p, len(b.got), len(gaps)+1)
		}
		for i, g := range gaps {
			// Sleeps never end early; a loaded machine may make them longer.
			if d := b.at[i+1].Sub(b.at[i]); d < g || d > g+time.Second {
				t.Errorf("%s: gap %d is %v, want %v", p, i, d, g)
			}
		}
	}
	b := &oneSound{coded: map[string]bool{"reject": true}}
	feedback.ScannerSink("desk", b).Play(context.Background(), feedback.Reject, nil)
	if len(b.got) != 1 {
		t.Errorf("a coded pattern beeped %d times", len(b.got))
	}
}

func TestScannerSink(t *testing.T) {
	b := &fakeBeeper{}
	s := feedback.ScannerSink("desk", b)
	if s.Name() != "desk" {
		t.Errorf("name %q", s.Name())
	}
	s.Play(context.Background(), feedback.Good, nil)
	s.Play(context.Background(), feedback.Reject, nil)
	if strings.Join(b.got, ",") != "good,reject" {
		t.Errorf("beeps %v", b.got)
	}
	b.err = errors.New("port closed")
	if err := s.Play(context.Background(), feedback.Good, nil); err == nil || !strings.Contains(err.Error(), "scanner desk") {
		t.Errorf("err = %v", err)
	}
}
