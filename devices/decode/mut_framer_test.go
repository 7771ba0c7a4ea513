package decode

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/devices"
)

// Idle framing without idle_gap set: a code that arrives in two chunks
// 10 ms apart is one code (the default gap is 50 ms), ended by the gap.
func TestFramerIdleDefaultGap(t *testing.T) {
	f := mustFramer(t, Config{Framing: Framing{Terminator: "idle"}})
	ms := func(n int) time.Time { return serialT0.Add(time.Duration(n) * time.Millisecond) }
	var evs []devices.Event
	evs = append(evs, f.Feed(ms(0), []byte("12"))...)
	evs = append(evs, f.Feed(ms(10), []byte("34"))...)
	evs = append(evs, f.Idle(ms(59))...)
	if len(evs) != 0 {
		t.Fatalf("ended before the gap: %q", renderSerial(evs))
	}
	evs = f.Idle(ms(60))
	if got := renderSerial(evs); len(got) != 1 || got[0] != "scan |1234" {
		t.Fatalf("got %q, want one code 1234", got)
	}
}

// A framer built without a logger logs to the default one: dropping a
// partial code after silence (a bad read) or at a closed port does not
// crash, and the next code is read.
func TestFramerWithoutLogger(t *testing.T) {
	fc, err := FramerConfigFor("desk", Framing{})
	if err != nil {
		t.Fatal(err)
	}
	f := NewFramer(fc, nil)
	f.Feed(serialT0, []byte("123"))
	if evs := f.Idle(serialT0.Add(time.Second)); len(evs) != 1 || !errors.Is(evs[0].Err, ErrFramePartial) {
		t.Fatalf("partial code after silence: %q", renderSerial(evs))
	}
	f.Feed(serialT0.Add(2*time.Second), []byte("45"))
	f.Reset()
	if got := renderSerial(f.Feed(serialT0.Add(3*time.Second), []byte("678\r"))); len(got) != 1 || got[0] != "scan |678" {
		t.Fatalf("after the drops: %q", got)
	}
}

// A control byte inside a serial code makes it bad, and the error names
// its byte and 1-based position (what the log shows the person fixing the
// scanner's settings).
func TestFramerBadBytePosition(t *testing.T) {
	f := mustFramer(t, Config{})
	evs := f.Feed(serialT0, []byte("12\x073\r"))
	if len(evs) != 1 || evs[0].Kind != devices.KindBad || !strings.Contains(evs[0].Err.Error(), "byte 0x07 at position 3") {
		t.Fatalf("got %q (%v)", renderSerial(evs), evs)
	}
	f = mustFramer(t, Config{Framing: Framing{AIM: "strip"}})
	evs = f.Feed(serialT0, []byte("]C0\x01AB\r"))
	if len(evs) != 1 || evs[0].Kind != devices.KindBad || !strings.Contains(evs[0].Err.Error(), "byte 0x01 at position 1") {
		t.Fatalf("after an AIM identifier: %q (%v)", renderSerial(evs), evs)
	}
}

// Keyboard reports of three bytes (modifiers, reserved, one key) are key
// reports too.
func TestKbdThreeByteReports(t *testing.T) {
	evs := kbdRun(t, Config{}, [][]byte{{0, 0, 0x04}, {0, 0, 0}, {0, 0, 0x05}, {0, 0, 0}, {0, 0, usageEnter}}, 0)
	if got := describeAll(evs); got != `scan - "ab"` {
		t.Fatalf("got %q", got)
	}
}
