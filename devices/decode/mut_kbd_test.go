package decode

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/internal/devtest"
)

// altCode is ALT held, the digits typed on the keypad, ALT released.
func altCode(digits string) [][]byte {
	out := [][]byte{kpReport(modLAlt)}
	for _, c := range digits {
		u := byte(usageKP0)
		if c != '0' {
			u = usageKP1 + byte(c-'1')
		}
		out = append(out, kpReport(modLAlt, u), kpReport(modLAlt))
	}
	return append(out, kpReport(0))
}

func describeAll(evs []devices.Event) string {
	var got []string
	for _, ev := range evs {
		got = append(got, devtest.DescribeEvent(ev))
	}
	return strings.Join(got, "|")
}

// Scanners in keyboard mode type characters they have no key for as
// ALT+keypad codes (Windows: the value modulo 256; up to five digits):
// each becomes its character in place, and a code outside printable
// ASCII, or ALT with another key, makes the scan bad.
func TestKbdAltCodes(t *testing.T) {
	enter := kbdPress(0, usageEnter)
	b := kbdPress(0, 0x05)
	tests := []struct {
		name    string
		reports [][]byte
		want    string
		err     error
	}{
		{"ALT+065 then b", kbdSeq(altCode("065"), b, enter), `scan - "Ab"`, nil},
		{"b then ALT+122", kbdSeq(b, altCode("122"), enter), `scan - "bz"`, nil},
		{"ALT+33 is the first printable", kbdSeq(altCode("33"), enter), `scan - "!"`, nil},
		{"ALT+126 is the last printable", kbdSeq(altCode("126"), enter), `scan - "~"`, nil},
		{"ALT+321 is 65 modulo 256", kbdSeq(altCode("321"), enter), `scan - "A"`, nil},
		{"five digits", kbdSeq(altCode("00065"), enter), `scan - "A"`, nil},
		{"six digits", kbdSeq(altCode("000065"), enter), `bad - ""`, errKbdAltCode},
		{"ALT+32 is a space", kbdSeq(altCode("32"), b, enter), `bad - "b"`, errKbdAltCode},
		{"ALT+127 is DEL", kbdSeq(b, altCode("127"), enter), `bad - "b"`, errKbdAltCode},
		{"ALT with a letter", kbdSeq(b, kbdPress(modLAlt, 0x04), enter), `bad - "b"`, errKbdControl},
		{"ALT released with the next key in one report", kbdSeq(altCode("065")[:7], [][]byte{kpReport(0, 0x05), kpReport(0)}, enter), `scan - "Ab"`, nil},
		{"ALT code ended by Enter", kbdSeq(b, [][]byte{kpReport(modLAlt), kpReport(modLAlt, usageKP1+5), kpReport(modLAlt), kpReport(modLAlt, usageKP1+4)}, [][]byte{kpReport(modLAlt, usageEnter), kpReport(0)}), `scan - "bA"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := kbdRun(t, Config{}, tt.reports, 0)
			if got := describeAll(evs); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if tt.err != nil && !errors.Is(evs[0].Err, tt.err) {
				t.Fatalf("err %v, want %v", evs[0].Err, tt.err)
			}
		})
	}
}

// A scan's Raw (what `monitor --raw` and a capture show) holds the reports
// of that code, from its first key to its terminator: not the releases of
// the code before it, and no more than kbdRawCap bytes of a long one.
func TestKbdRawIsTheCodesReports(t *testing.T) {
	code1 := kbdSeq([][]byte{kpReport(modLShift), kpReport(modLShift, 0x04), kpReport(modLShift)}, kbdPress(0, 0x05), [][]byte{kpReport(0, usageEnter)})
	between := [][]byte{kpReport(0)}
	code2 := kbdSeq([][]byte{kpReport(modLShift, 0x06), kpReport(0)}, kbdPress(0, 0x1E), [][]byte{kpReport(0, usageEnter)})
	evs := kbdRun(t, Config{}, kbdSeq(code1, between, code2, between), 0)
	if got := describeAll(evs); got != `scan - "Ab"|scan - "C1"` {
		t.Fatalf("got %q", got)
	}
	for i, want := range [][][]byte{code1, code2} {
		if w := bytes.Join(want, nil); !bytes.Equal(evs[i].Raw, w) {
			t.Errorf("code %d: Raw\n% x\nwant\n% x", i+1, evs[i].Raw, w)
		}
	}

	var long [][]byte
	for i := range kbdRawCap / 16 { // two 8-byte reports per character: exactly kbdRawCap bytes
		long = append(long, kbdPress(0, 0x04+byte(i%26))...)
	}
	long = append(long, kpReport(0, usageEnter))
	evs = kbdRun(t, Config{Framing: Framing{MaxLength: 1000}}, long, 0)
	if len(evs) != 1 || evs[0].Kind != devices.KindScan || len(evs[0].Data) != kbdRawCap/16 {
		t.Fatalf("long code: %q", describeAll(evs))
	}
	if w := bytes.Join(long[:len(long)-1], nil); !bytes.Equal(evs[0].Raw, w) {
		t.Fatalf("long code: Raw of %d bytes, want the first %d", len(evs[0].Raw), len(w))
	}
}

// Reports that carry no key state (phantom ErrorRollOver 0x01, POSTFail
// 0x02, ErrorUndefined 0x03) do not type or release anything; a key in a
// later slot after an empty one is a key.
func TestKbdPhantomAndSparseReports(t *testing.T) {
	for _, ph := range []byte{0x01, 0x02, 0x03} {
		phantom := []byte{0, 0, ph, ph, ph, ph, ph, ph}
		reports := [][]byte{kpReport(0, 0x04), phantom, kpReport(0), {0, 0, 0, 0x05, 0, 0, 0, 0}, phantom, kpReport(0), kpReport(0, usageEnter)}
		if got := describeAll(kbdRun(t, Config{}, reports, 0)); got != `scan - "ab"` {
			t.Fatalf("phantom 0x%02X: got %q", ph, got)
		}
	}
	// 0x04 is a key ('a'), not a phantom.
	if got := describeAll(kbdRun(t, Config{}, [][]byte{{0, 0, 0x04, 0x05, 0, 0, 0, 0}, kpReport(0), kpReport(0, usageEnter)}, 0)); got != `scan - "ab"` {
		t.Fatalf("two keys in one report: %q", got)
	}
}

// Without idle_gap and frame_timeout set, a keyboard scanner's code ends
// after 100 ms of silence (terminator = "idle"), and a code without its
// terminator is refused after one second.
func TestKbdDefaultGaps(t *testing.T) {
	feed := func(sc Config, quiet time.Duration) string {
		d, err := newKbdDecoder(sc)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		var evs []devices.Event
		for i, r := range kbdSeq(kbdPress(0, 0x04), kbdPress(0, 0x05)) {
			evs = append(evs, d.Feed(t0.Add(time.Duration(i)*4*time.Millisecond), r)...)
		}
		// the last key (b) went down at 8 ms
		evs = append(evs, d.Idle(t0.Add(8*time.Millisecond+quiet))...)
		return describeAll(evs)
	}
	idle := Config{Framing: Framing{Terminator: "idle"}}
	for _, tc := range []struct {
		sc    Config
		quiet time.Duration
		want  string
	}{
		{idle, 99 * time.Millisecond, ""},
		{idle, 100 * time.Millisecond, `scan - "ab"`},
		{Config{}, 999 * time.Millisecond, ""},
		{Config{}, time.Second, `bad - "ab"`},
	} {
		if got := feed(tc.sc, tc.quiet); got != tc.want {
			t.Errorf("%q after %v: got %q, want %q", tc.sc.Terminator, tc.quiet, got, tc.want)
		}
	}
}
