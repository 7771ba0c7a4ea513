package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"

	"github.com/offcircd/offcircd/devices"

	"github.com/offcircd/offcircd/devices/internal/devtest"
)

var serialQuietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// renderSerial is a compact, comparable rendering of events: "scan ]E0|9780306406157"
// or "bad <sentinel>".
func renderSerial(evs []devices.Event) []string {
	var out []string
	for _, ev := range evs {
		switch ev.Kind {
		case devices.KindScan:
			out = append(out, "scan "+ev.Symbology+"|"+ev.Data)
		case devices.KindBad:
			out = append(out, "bad "+framerErrName(ev.Err))
		default:
			out = append(out, fmt.Sprintf("kind %d", ev.Kind))
		}
	}
	return out
}

func framerErrName(err error) string {
	for _, s := range []struct {
		n string
		e error
	}{{"toolong", ErrFrameTooLong}, {"badbyte", ErrFrameBadByte}, {"empty", ErrFrameEmpty}, {"addon", ErrFrameAddOn}} {
		if errors.Is(err, s.e) {
			return s.n
		}
	}
	return fmt.Sprintf("other(%v)", err)
}

func mustFramer(t testing.TB, sc Config) *Framer {
	t.Helper()
	fc, err := FramerConfigFor("", sc.Framing)
	if err != nil {
		t.Fatal(err)
	}
	return NewFramer(fc, serialQuietLog)
}

var serialT0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

var framerCases = []struct {
	name string
	sc   Config
	in   string
	want []string
}{
	{"cr", Config{Framing: Framing{Terminator: "cr"}}, "12345\r", []string{"scan |12345"}},
	{"cr with crlf input", Config{Framing: Framing{Terminator: "cr"}}, "12345\r\n67890\r\n", []string{"scan |12345", "scan |67890"}},
	{"lf", Config{Framing: Framing{Terminator: "lf"}}, "A1\nB2\n", []string{"scan |A1", "scan |B2"}},
	{"lf with crlf input", Config{Framing: Framing{Terminator: "lf"}}, "A1\r\nB2\r\n", []string{"scan |A1", "scan |B2"}},
	{"crlf", Config{Framing: Framing{Terminator: "crlf"}}, "A1\r\nB2\r\n", []string{"scan |A1", "scan |B2"}},
	{"tab", Config{Framing: Framing{Terminator: "tab"}}, "A1\tB2\t", []string{"scan |A1", "scan |B2"}},
	{"tab then crlf", Config{Framing: Framing{Terminator: "tab"}}, "A1\t\r\nB2\t", []string{"scan |A1", "scan |B2"}},
	{"default terminator is cr", Config{}, "X9\r", []string{"scan |X9"}},
	{"empty lines ignored", Config{Framing: Framing{Terminator: "lf"}}, "\n\n\nA\n\n", []string{"scan |A"}},
	{"no terminator yet", Config{Framing: Framing{Terminator: "cr"}}, "12345", nil},
	{"aim stripped", Config{}, "]E09780306406157\r", []string{"scan ]E0|9780306406157"}},
	{"aim kept", Config{Framing: Framing{AIM: "keep"}}, "]C0ABC-123\r", []string{"scan ]C0|]C0ABC-123"}},
	{"aim none", Config{Framing: Framing{AIM: "none"}}, "]C0ABC\r", []string{"scan |]C0ABC"}},
	{"aim lower modifier", Config{}, "]d2010123\r", []string{"scan ]d2|010123"}},
	{"bracket not aim", Config{}, "]1ABC\r", []string{"scan |]1ABC"}},
	{"aim only", Config{}, "]E0\r", []string{"bad empty"}},
	{"addon main", Config{}, "]E09780306406157]E112\r", []string{"scan ]E0|9780306406157"}},
	{"addon keep", Config{Framing: Framing{AddOn: "keep"}}, "]E09780306406157]E251299\r", []string{"scan ]E0|978030640615751299"}},
	{"addon reject", Config{Framing: Framing{AddOn: "reject"}}, "]E09780306406157]E112\r", []string{"bad addon"}},
	{"addon combined E3", Config{}, "]E397803064061571\x32\r", []string{"scan ]E3|9780306406157"}},
	{"addon combined E3 keep", Config{Framing: Framing{AddOn: "keep"}}, "]E3978030640615751299\r", []string{"scan ]E3|978030640615751299"}},
	{"addon aim keep", Config{Framing: Framing{AIM: "keep", AddOn: "keep"}}, "]E09780306406157]E112\r", []string{"scan ]E0|]E0978030640615712"}},
	{"addon combined E3 five digits", Config{}, "]E3978030640615751299\r", []string{"scan ]E3|9780306406157"}},
	{"addon combined E3 reject", Config{Framing: Framing{AddOn: "reject"}}, "]E397803064061571\x32\r", []string{"bad addon"}},
	// Only 13+2 or 13+5 digits are an EAN with add-on; any other length,
	// or a non-digit, is one code, written whole.
	{"E3 of 16 digits is one code", Config{}, "]E39780306406157123\r", []string{"scan ]E3|9780306406157123"}},
	{"E3 of 14 digits is one code", Config{}, "]E397803064061571\r", []string{"scan ]E3|97803064061571"}},
	{"E3 of 15 with a letter is one code", Config{}, "]E39780306406157A2\r", []string{"scan ]E3|9780306406157A2"}},
	{"E3 of 15 with a colon is one code", Config{}, "]E39780306406157:2\r", []string{"scan ]E3|9780306406157:2"}},
	{"E3 of 15 with a slash is one code", Config{}, "]E39780306406157/2\r", []string{"scan ]E3|9780306406157/2"}},
	{"addon E2", Config{}, "]E09780306406157]E251299\r", []string{"scan ]E0|9780306406157"}},
	// ']' inside the data is data unless it starts "]E1" or "]E2".
	{"bracket E3 inside data", Config{}, "]E0ABC]E3DEF\r", []string{"scan ]E0|ABC]E3DEF"}},
	{"bracket E0 inside data", Config{}, "]E0ABC]E0DEF\r", []string{"scan ]E0|ABC]E0DEF"}},
	{"bracket F1 inside data", Config{}, "]E0ABC]F1DEF\r", []string{"scan ]E0|ABC]F1DEF"}},
	{"bracket X2 inside data", Config{}, "]E0ABC]X2DEF\r", []string{"scan ]E0|ABC]X2DEF"}},
	{"bracket inside code 128", Config{}, "]C0AB]E1CD\r", []string{"scan ]C0|AB]E1CD"}},
	{"bracket at the end", Config{}, "]E0ABC]\r", []string{"scan ]E0|ABC]"}},
	{"add-on marker at the very end", Config{}, "]E0978]E1\r", []string{"scan ]E0|978"}},
	{"add-on marker at the very end reject", Config{Framing: Framing{AddOn: "reject"}}, "]E0978]E1\r", []string{"bad addon"}},
	// The identifier is ']', a letter, then a letter or digit; anything
	// else is data and stays in the barcode.
	{"aim code A", Config{}, "]A0X\r", []string{"scan ]A0|X"}},
	{"aim code Z", Config{}, "]Z0X\r", []string{"scan ]Z0|X"}},
	{"aim code a", Config{}, "]a0X\r", []string{"scan ]a0|X"}},
	{"aim code z", Config{}, "]z0X\r", []string{"scan ]z0|X"}},
	{"aim modifier 9", Config{}, "]C9X\r", []string{"scan ]C9|X"}},
	{"aim modifier A", Config{}, "]CAX\r", []string{"scan ]CA|X"}},
	{"aim modifier Z", Config{}, "]CZX\r", []string{"scan ]CZ|X"}},
	{"aim modifier a", Config{}, "]CaX\r", []string{"scan ]Ca|X"}},
	{"aim modifier z", Config{}, "]CzX\r", []string{"scan ]Cz|X"}},
	{"not aim: code @", Config{}, "]@0X\r", []string{"scan |]@0X"}},
	{"not aim: code [", Config{}, "][0X\r", []string{"scan |][0X"}},
	{"not aim: code `", Config{}, "]`0X\r", []string{"scan |]`0X"}},
	{"not aim: code {", Config{}, "]{0X\r", []string{"scan |]{0X"}},
	{"not aim: modifier /", Config{}, "]C/X\r", []string{"scan |]C/X"}},
	{"not aim: modifier :", Config{}, "]C:X\r", []string{"scan |]C:X"}},
	{"not aim: modifier @", Config{}, "]C@X\r", []string{"scan |]C@X"}},
	{"not aim: modifier [", Config{}, "]C[X\r", []string{"scan |]C[X"}},
	{"not aim: modifier `", Config{}, "]C`X\r", []string{"scan |]C`X"}},
	{"not aim: modifier {", Config{}, "]C{X\r", []string{"scan |]C{X"}},
	{"not aim: two bytes", Config{}, "]C\r", []string{"scan |]C"}},
	{"first and last printable bytes", Config{}, "!~\r", []string{"scan |!~"}},
	{"byte before '!'", Config{}, "A\x1f\r", []string{"bad badbyte"}},
	{"space inside", Config{}, "AB CD\r", []string{"bad badbyte"}},
	{"binary garbage", Config{}, "\x00\xff\x80\x1b[2J\r", []string{"bad badbyte"}},
	{"garbage then good", Config{}, "\x01\x02\rGOOD\r", []string{"bad badbyte", "scan |GOOD"}},
	{"utf8", Config{}, "caf\xc3\xa9\r", []string{"bad badbyte"}},
	{"del", Config{}, "A\x7f\r", []string{"bad badbyte"}},
	{"max length ok", Config{Framing: Framing{MaxLength: 5}}, "12345\r", []string{"scan |12345"}},
	{"max length ok with aim", Config{Framing: Framing{MaxLength: 5}}, "]C012345\r", []string{"scan ]C0|12345"}},
	{"over max length at terminator", Config{Framing: Framing{MaxLength: 5}}, "123456\r", []string{"bad toolong"}},
	{"overlong resync", Config{Framing: Framing{MaxLength: 5}}, strings.Repeat("9", 40) + "\rOK\r", []string{"bad toolong", "scan |OK"}},
	{"overlong reported once", Config{Framing: Framing{MaxLength: 3}}, strings.Repeat("x", 100) + "\r", []string{"bad toolong"}},
	{"ssi ack consumed", Config{Framing: Framing{SSI: true}}, "\x04\xd0\x04\x00\xff\x28A1\r", []string{"scan |A1"}},
	{"ssi ack from decoder consumed", Config{Framing: Framing{SSI: true}}, "\x04\xd0\x00\x00\xff\x2cA1\r", []string{"scan |A1"}},
	{"ssi nak consumed", Config{Framing: Framing{SSI: true}}, "\x05\xd1\x00\x00\x01\xff\x25A1\r", []string{"scan |A1"}},
	{"ssi ack without ssi profile", Config{}, "\x04\xd0\x04\x00\xff\x28A1\r", []string{"bad badbyte"}},
	{"eot not ssi", Config{Framing: Framing{SSI: true}}, "\x04AB\r", []string{"bad badbyte"}},
}

// TestFramer feeds each case whole, byte by byte, and split in two at
// every byte position: chunk boundaries must never change the result.
func TestFramer(t *testing.T) {
	for _, tc := range framerCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			check := func(how string, evs []devices.Event) {
				t.Helper()
				got := renderSerial(evs)
				if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
					t.Errorf("%s: got %q, want %q", how, got, tc.want)
				}
				for _, ev := range evs {
					assertSafeScan(t, ev)
				}
			}
			check("whole", mustFramer(t, tc.sc).Feed(serialT0, in))
			f := mustFramer(t, tc.sc)
			var evs []devices.Event
			for _, c := range in {
				evs = append(evs, f.Feed(serialT0, []byte{c})...)
			}
			check("bytewise", evs)
			for i := 1; i < len(in); i++ {
				f := mustFramer(t, tc.sc)
				evs := f.Feed(serialT0, in[:i])
				evs = append(evs, f.Feed(serialT0.Add(time.Millisecond), in[i:])...)
				check(fmt.Sprintf("split at %d", i), evs)
			}
		})
	}
}

// assertSafeScan checks the invariant the station relies on (devtest).
func assertSafeScan(t testing.TB, ev devices.Event) {
	t.Helper()
	devtest.AssertSafeScan(t, ev, DefaultMaxLength+2*aimLen)
}

func TestFramerIdle(t *testing.T) {
	f := mustFramer(t, Config{Framing: Framing{Terminator: "idle", IdleGap: config.Duration{Duration: 30 * time.Millisecond}}})
	ms := func(n int) time.Time { return serialT0.Add(time.Duration(n) * time.Millisecond) }
	var evs []devices.Event
	evs = append(evs, f.Feed(ms(0), []byte("]E0978"))...)
	evs = append(evs, f.Idle(ms(10))...) // a short pause inside a code
	evs = append(evs, f.Feed(ms(20), []byte("0306406157"))...)
	if len(evs) != 0 {
		t.Fatalf("code ended early: %q", renderSerial(evs))
	}
	evs = f.Idle(ms(49))
	if len(evs) != 0 {
		t.Fatalf("ended before idle gap: %q", renderSerial(evs))
	}
	evs = f.Idle(ms(50))
	if got := renderSerial(evs); len(got) != 1 || got[0] != "scan ]E0|9780306406157" {
		t.Fatalf("got %q", got)
	}
	if !evs[0].Time.Equal(ms(20)) {
		t.Errorf("time = %v, want the last byte's %v", evs[0].Time, ms(20))
	}
	// Without Idle calls (a replay), the next chunk's arrival ends the code.
	evs = f.Feed(ms(100), []byte("A1"))
	evs = append(evs, f.Feed(ms(200), []byte("B2"))...)
	evs = append(evs, f.Idle(ms(300))...)
	if got := strings.Join(renderSerial(evs), ","); got != "scan |A1,scan |B2" {
		t.Fatalf("got %q", got)
	}
	// CR/LF still end codes in idle mode and are not part of them.
	evs = f.Feed(ms(400), []byte("C3\r\nD4\r\n"))
	if got := strings.Join(renderSerial(evs), ","); got != "scan |C3,scan |D4" {
		t.Fatalf("got %q", got)
	}
}

func TestFramerTimeout(t *testing.T) {
	f := mustFramer(t, Config{Framing: Framing{Terminator: "cr", FrameTimeout: config.Duration{Duration: 200 * time.Millisecond}}})
	ms := func(n int) time.Time { return serialT0.Add(time.Duration(n) * time.Millisecond) }
	if evs := f.Feed(ms(0), []byte("PART")); len(evs) != 0 {
		t.Fatal(renderSerial(evs))
	}
	if evs := f.Idle(ms(199)); len(evs) != 0 {
		t.Fatal(renderSerial(evs))
	}
	// A scan was made and is not recorded: a bad read (the reject beep),
	// once, not an empty code.
	evs := f.Idle(ms(200))
	if len(evs) != 1 || evs[0].Kind != devices.KindBad || !errors.Is(evs[0].Err, ErrFramePartial) || string(evs[0].Raw) != "PART" {
		t.Fatalf("dropped partial: want one bad read of PART, got %q", renderSerial(evs))
	}
	if evs := f.Idle(ms(250)); len(evs) != 0 {
		t.Fatalf("the partial reported twice: %q", renderSerial(evs))
	}
	if got := strings.Join(renderSerial(f.Feed(ms(300), []byte("NEXT\r"))), ","); got != "scan |NEXT" {
		t.Fatalf("partial glued to the next scan: %q", got)
	}
	// The same when the caller never calls Idle.
	f.Feed(ms(400), []byte("PART"))
	if got := renderSerial(f.Feed(ms(1000), []byte("NEXT\r"))); len(got) != 2 || !strings.HasPrefix(got[0], "bad") || got[1] != "scan |NEXT" {
		t.Fatalf("got %q", got)
	}
	// An overlong line without terminator resynchronises at the timeout.
	g := mustFramer(t, Config{Framing: Framing{MaxLength: 3, FrameTimeout: config.Duration{Duration: 200 * time.Millisecond}}})
	evs = g.Feed(ms(0), []byte("123456789012345"))
	evs = append(evs, g.Feed(ms(500), []byte("OK\r"))...)
	if got := strings.Join(renderSerial(evs), ","); got != "bad toolong,scan |OK" {
		t.Fatalf("got %q", got)
	}
	// Reset (port closed) drops a partial code.
	f.Feed(ms(2000), []byte("HALF"))
	f.Reset()
	if got := strings.Join(renderSerial(f.Feed(ms(2001), []byte("FULL\r"))), ","); got != "scan |FULL" {
		t.Fatalf("got %q", got)
	}
}

// An SSI ACK cut short (the scanner reset while answering a beep) must not
// swallow the next scan: after frame_timeout of silence the packet is given
// up, and a code arriving exactly then is read as a code.
func TestFramerSSIPacketTimeout(t *testing.T) {
	sc := Config{Framing: Framing{SSI: true, FrameTimeout: config.Duration{Duration: 200 * time.Millisecond}}}
	ms := func(n int) time.Time { return serialT0.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name string
		idle bool // the reader calls Idle at 200 ms (a read timeout) before the code arrives
	}{
		{"idle then code", true},
		{"code ends the silence", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustFramer(t, sc)
			evs := f.Feed(ms(0), []byte{0x04, 0xd0, 0x04}) // length, ACK, source; status and checksum never come
			if tt.idle {
				evs = append(evs, f.Idle(ms(200))...)
			}
			evs = append(evs, f.Feed(ms(200), []byte("A12345\r"))...)
			if got := strings.Join(renderSerial(evs), ","); got != "scan |A12345" {
				t.Fatalf("got %q, want the code after the cut-off packet", got)
			}
		})
	}
}

func TestFramerConfigErrors(t *testing.T) {
	for _, sc := range []Config{
		{Framing: Framing{Terminator: "semicolon"}}, {Framing: Framing{AIM: "drop"}}, {Framing: Framing{AddOn: "both"}},
	} {
		if _, err := FramerConfigFor("", sc.Framing); err == nil {
			t.Errorf("%+v: no error", sc)
		}
	}
	d, err := New("serial", "", Config{Framing: Framing{Terminator: "LF"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := renderSerial(d.Feed(serialT0, []byte("Q\n"))); len(got) != 1 || got[0] != "scan |Q" {
		t.Fatalf("registered decoder: %q", got)
	}
}

func FuzzFramer(f *testing.F) {
	for _, tc := range framerCases {
		f.Add([]byte(tc.in), uint8(0), uint16(7))
	}
	f.Add([]byte("]E09780306406157]E112\r\n"), uint8(3), uint16(1))
	f.Fuzz(func(t *testing.T, in []byte, mode uint8, seed uint16) {
		terms := []string{"cr", "lf", "crlf", "tab", "idle"}
		sc := Config{Framing: Framing{Terminator: terms[int(mode)%len(terms)], MaxLength: int(mode%7) * 5, AIM: []string{"strip", "keep", "none"}[int(mode/8)%3], AddOn: []string{"main", "keep", "reject"}[int(mode/32)%3]}}
		if mode&0x80 != 0 {
			sc.SSI = true
		}
		fr := mustFramer(t, sc)
		max := sc.MaxLength
		if max == 0 {
			max = DefaultMaxLength
		}
		r := rand.New(rand.NewPCG(uint64(seed), 1))
		now := serialT0
		for len(in) > 0 {
			n := 1 + r.IntN(len(in))
			now = now.Add(time.Duration(r.IntN(80)) * time.Millisecond)
			evs := fr.Feed(now, in[:n])
			in = in[n:]
			if r.IntN(3) == 0 {
				now = now.Add(time.Duration(r.IntN(800)) * time.Millisecond)
				evs = append(evs, fr.Idle(now)...)
			}
			for _, ev := range evs {
				assertSafeScan(t, ev)
				if ev.Kind == devices.KindScan && len(ev.Data) > max {
					t.Fatalf("scan of %d bytes with max_length %d", len(ev.Data), max)
				}
				if ev.Kind == devices.KindScan && !bytes.Contains(ev.Raw, []byte(ev.Data[:1])) {
					t.Fatalf("scan %q not from raw %q", ev.Data, ev.Raw)
				}
			}
		}
	})
}

func BenchmarkFramer(b *testing.B) {
	var stream []byte
	for i := range 100 {
		stream = fmt.Appendf(stream, "]E0978030640%04d\r\n", i)
	}
	f := mustFramer(b, Config{Framing: Framing{Terminator: "cr"}})
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	now := serialT0
	scans := 0
	for b.Loop() {
		// 16-byte chunks, like a USB CDC read.
		for i := 0; i < len(stream); i += 16 {
			now = now.Add(time.Millisecond)
			scans += len(f.Feed(now, stream[i:min(i+16, len(stream))]))
		}
	}
	if scans == 0 {
		b.Fatal("no scans")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(scans), "ns/scan")
}

// A scanner whose suffix is not the configured terminator (CR sent, LF
// configured; TAB sent, CR configured) gets a bad read per scan whose
// reason names the suffix it sent and the fix.
func TestFramerPartialNamesTheSuffix(t *testing.T) {
	tests := []struct{ term, sent, want string }{
		{"lf", "PAT1\r", `it ended in CR: set terminator = "cr"`},
		{"cr", "PAT1\t", `it ended in TAB: set terminator = "tab"`},
		{"tab", "PAT1\r\n", `it ended in CRLF: set terminator = "crlf"`},
		{"cr", "PAT1", "without the CR terminator: code without its terminator"},
	}
	for _, tt := range tests {
		f := mustFramer(t, Config{Framing: Framing{Terminator: tt.term, FrameTimeout: config.Duration{Duration: 200 * time.Millisecond}}})
		f.Feed(serialT0, []byte(tt.sent))
		evs := f.Idle(serialT0.Add(time.Second))
		if len(evs) != 1 || evs[0].Kind != devices.KindBad || !strings.Contains(evs[0].Err.Error(), tt.want) {
			t.Errorf("terminator %s, sent %q: got %q, want a bad read saying %q", tt.term, tt.sent, renderSerial(evs), tt.want)
		}
	}
}
