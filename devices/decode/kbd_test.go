package decode

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/encoder"

	"github.com/offcircd/offcircd/devices"

	"github.com/offcircd/offcircd/devices/internal/devtest"
)

// kbdPress is one press-and-release of usage with modifiers.
func kbdPress(mods, usage byte) [][]byte {
	return [][]byte{kpReport(mods, usage), kpReport(0)}
}

func kbdSeq(parts ...[][]byte) [][]byte {
	var out [][]byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func kbdRun(t *testing.T, sc Config, reports [][]byte, idleAfter time.Duration) []devices.Event {
	t.Helper()
	d, err := newKbdDecoder(sc)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []devices.Event
	for _, r := range reports {
		now = now.Add(4 * time.Millisecond)
		out = append(out, d.Feed(now, r)...)
	}
	for at := time.Duration(0); at < idleAfter; at += 10 * time.Millisecond {
		out = append(out, d.Idle(now.Add(at))...)
	}
	return out
}

func TestKbdDecoder(t *testing.T) {
	enter := kbdPress(0, usageEnter)
	tests := []struct {
		name    string
		sc      Config
		reports [][]byte
		idle    time.Duration
		want    []string
		errIs   error
	}{
		{"caps lock makes letters upper, not digits", Config{}, kbdSeq(kbdPress(0, usageCapsLock), kbdPress(0, 0x04), kbdPress(0, 0x1E), kbdPress(2, 0x05), enter), 0,
			[]string{`scan - "A1b"`}, nil},
		{"caps lock on french digit row types digits", Config{Layout: "fr"}, kbdSeq(kbdPress(0, usageCapsLock), kbdPress(0, 0x1E), kbdPress(0, 0x1F), enter), 0,
			[]string{`scan - "12"`}, nil},
		{"ctrl+alt is altgr", Config{Layout: "de"}, kbdSeq(kbdPress(modLCtrl|modLAlt, 0x14), kbdPress(0, 0x04), enter), 0,
			[]string{`scan - "@a"`}, nil},
		{"dead key + space types the accent", Config{Layout: "de"}, kbdSeq(kbdPress(0, 0x35), kbdPress(0, 0x2C), kbdPress(0, 0x1E), enter), 0,
			[]string{`scan - "^1"`}, nil},
		{"dead key + vowel is an accented letter", Config{Layout: "de"}, kbdSeq(kbdPress(0, 0x35), kbdPress(0, 0x08), enter), 0,
			[]string{`bad - ""`}, errKbdAccent},
		{"dead key + consonant types both", Config{Layout: "fr"}, kbdSeq(kbdPress(0, 0x2F), kbdPress(0, 0x05), enter), 0,
			[]string{`scan - "^b"`}, nil},
		{"ctrl combination rejected", Config{}, kbdSeq(kbdPress(0, 0x04), kbdPress(modLCtrl, 0x06), enter), 0,
			[]string{`bad - "a"`}, errKbdControl},
		{"unknown key rejected", Config{}, kbdSeq(kbdPress(0, 0x3A), kbdPress(0, 0x04), enter), 0,
			[]string{`bad - "a"`}, errKbdNoKey},
		{"space is not printable", Config{}, kbdSeq(kbdPress(0, 0x04), kbdPress(0, 0x2C), enter), 0,
			[]string{`bad - "a"`}, encoder.ErrCharset},
		{"overlong rejected then resync", Config{Framing: Framing{MaxLength: 3}}, kbdSeq(kbdPress(0, 0x04), kbdPress(0, 0x05), kbdPress(0, 0x06), kbdPress(0, 0x07), enter, kbdPress(0, 0x04), enter), 0,
			[]string{`bad - "abc"`, `scan - "a"`}, errKbdTooLong},
		{"bare terminators ignored", Config{}, kbdSeq(enter, kbdPress(0, usageTab), enter), 0, nil, nil},
		{"tab and keypad enter terminate", Config{}, kbdSeq(kbdPress(0, 0x04), kbdPress(0, usageTab), kbdPress(0, 0x05), kbdPress(0, usageKPEnter)), 0,
			[]string{`scan - "a"`, `scan - "b"`}, nil},
		{"idle framing", Config{Framing: Framing{Terminator: "idle"}}, kbdSeq(kbdPress(0, 0x04), kbdPress(0, 0x05)), 300 * time.Millisecond,
			[]string{`scan - "ab"`}, nil},
		{"missing terminator rejected after frame timeout", Config{}, kbdSeq(kbdPress(0, 0x04)), 1500 * time.Millisecond,
			[]string{`bad - "a"`}, errKbdIncomplete},
		{"aim kept when configured", Config{Framing: Framing{AIM: "keep"}}, kbdSeq(kbdPress(0, 0x30), kbdPress(2, 0x06), kbdPress(0, 0x27), kbdPress(0, 0x1E), enter), 0,
			[]string{`scan ]C0 "]C01"`}, nil},
		{"aim only is bad", Config{}, kbdSeq(kbdPress(0, 0x30), kbdPress(2, 0x06), kbdPress(0, 0x27), enter), 0,
			[]string{`bad ]C0 ""`}, nil},
		{"report id prefix", Config{ReportID: true}, [][]byte{{1, 0, 0, 0x04, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0, 0}, {1, 0, 0, 0x28, 0, 0, 0, 0, 0}}, 0,
			[]string{`scan - "a"`}, nil},
		{"short reports ignored", Config{}, [][]byte{{}, {0}, {0, 0}, kpReport(0, 0x04), kpReport(0, usageEnter)}, 0,
			[]string{`scan - "a"`}, nil},
		{"alt code out of range", Config{}, kbdSeq([][]byte{kpReport(modLAlt, 0x59), kpReport(modLAlt), kpReport(modLAlt, 0x59), kpReport(modLAlt), kpReport(0)}, enter), 0,
			[]string{`bad - ""`}, errKbdAltCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := kbdRun(t, tt.sc, tt.reports, tt.idle)
			var got []string
			for _, ev := range evs {
				got = append(got, devtest.DescribeEvent(ev))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if tt.errIs != nil && !errors.Is(evs[0].Err, tt.errIs) {
				t.Errorf("err %v, want %v", evs[0].Err, tt.errIs)
			}
		})
	}
}

// TestKbdLayoutsRoundTrip types every printable ASCII character each
// layout can produce and checks it comes back: the tables are consistent.
func TestKbdLayoutsRoundTrip(t *testing.T) {
	for _, name := range KeyboardLayouts() {
		l := kbdLayouts[name]
		var reports [][]byte
		var want []byte
		seen := map[rune]bool{}
		for u := 0; u < 256; u++ {
			k, ok := l[uint8(u)]
			if !ok || k.dead != 0 {
				continue
			}
			for _, lv := range []struct {
				r    rune
				mods byte
			}{{k.base, 0}, {k.shift, modLShift}, {k.altgr, modRAlt}} {
				if lv.r < 0x21 || lv.r > 0x7E || seen[lv.r] {
					continue
				}
				seen[lv.r] = true
				reports = append(reports, kbdPress(lv.mods, byte(u))...)
				want = append(want, byte(lv.r))
			}
		}
		reports = append(reports, kbdPress(0, usageEnter)...)
		evs := kbdRun(t, Config{Layout: name, Framing: Framing{MaxLength: 1000}}, reports, 0)
		if len(evs) != 1 || evs[0].Kind != devices.KindScan || evs[0].Data != string(want) {
			t.Errorf("%s: got %+v, want %q", name, evs, want)
		}
		// Every layout must reach the characters barcodes use.
		for _, c := range "0123456789ABCXYZabcxyz-./+$%" {
			if !seen[c] {
				t.Errorf("%s: cannot type %q", name, c)
			}
		}
	}
}

func FuzzKbdDecoder(f *testing.F) {
	f.Add([]byte{0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x28}, uint8(0))
	f.Add([]byte{4, 0, 0x5A, 4, 0, 0x5D, 0, 0, 0x28}, uint8(1))
	f.Add([]byte{0x40, 0, 0x2F, 0, 0, 0x35, 0x02, 0, 0x1F}, uint8(2))
	f.Fuzz(func(t *testing.T, stream []byte, opt uint8) {
		layouts := KeyboardLayouts()
		sc := Config{Layout: layouts[int(opt)%len(layouts)], ReportID: opt&8 != 0, Framing: Framing{MaxLength: int(opt >> 4)}}
		if opt&16 != 0 {
			sc.Terminator = "idle"
		}
		d, err := newKbdDecoder(sc)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		size := 8 + int(opt%3)
		for i := 0; i < len(stream); i += size {
			r := stream[i:min(i+size, len(stream))]
			now = now.Add(5 * time.Millisecond)
			kbdCheckEvents(t, d.Feed(now, r))
			kbdCheckEvents(t, d.Idle(now.Add(2*time.Second)))
		}
		if len(d.buf) > d.max || len(d.raw) > kbdRawCap {
			t.Fatalf("buffers grew: %d/%d raw %d", len(d.buf), d.max, len(d.raw))
		}
	})
}

func kbdCheckEvents(t *testing.T, evs []devices.Event) {
	t.Helper()
	for _, ev := range evs {
		if ev.Kind == devices.KindScan {
			if err := encoder.CheckChars("scan", ev.Data); err != nil || ev.Data == "" {
				t.Fatalf("scan %q: %v", ev.Data, err)
			}
		}
		if ev.Kind == devices.KindBad && ev.Err == nil {
			t.Fatalf("bad without reason")
		}
	}
}

func FuzzPOSDecoder(f *testing.F) {
	f.Add(devtest.HonReport("]C0", "123", false), uint8(0))
	f.Add(append(devtest.HonReport("]X0", "abc", true), devtest.HonReport("]X0", "def", false)...), uint8(0))
	f.Add([]byte{2, 3, 'a', 'b', 'c'}, uint8(1))
	f.Fuzz(func(t *testing.T, stream []byte, opt uint8) {
		layouts := POSLayouts()
		d, err := newPOSDecoder(Config{POSLayout: layouts[int(opt)%len(layouts)], Framing: Framing{AIM: map[bool]string{true: "keep"}[opt&4 != 0]}})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		size := 64
		if opt&8 != 0 {
			size = 1 + int(opt>>4)
		}
		for round := 0; round < 3; round++ { // replay the stream: endless continuation must stay bounded
			for i := 0; i < len(stream); i += size {
				now = now.Add(time.Millisecond)
				kbdCheckEvents(t, d.Feed(now, stream[i:min(i+size, len(stream))]))
				if len(d.msg) > posMaxMessage || len(d.raw) > 2*posMaxMessage {
					t.Fatalf("reassembly grew to %d", len(d.msg))
				}
			}
		}
		kbdCheckEvents(t, d.Idle(now.Add(time.Hour)))
	})
}

func TestPOSEndlessContinuation(t *testing.T) {
	d, _ := newPOSDecoder(Config{POSLayout: "honeywell"})
	now := time.Now()
	var evs []devices.Event
	for i := 0; i < 1000; i++ {
		evs = append(evs, d.Feed(now, devtest.HonReport("]C0", strings.Repeat("x", 56), true))...)
		if len(d.msg) > posMaxMessage {
			t.Fatalf("message grew to %d", len(d.msg))
		}
	}
	evs = append(evs, d.Feed(now, devtest.HonReport("]C0", "end", false))...)
	if len(evs) != 1 || !errors.Is(evs[0].Err, ErrPOSOverflow) {
		t.Fatalf("%+v", evs)
	}
	// The decoder is usable afterwards.
	if evs := d.Feed(now, devtest.HonReport("]C0", "OK", false)); len(evs) != 1 || evs[0].Data != "OK" {
		t.Fatalf("%+v", evs)
	}
}

func TestPOSMalformed(t *testing.T) {
	tests := []struct {
		layout string
		report []byte
		want   devices.Kind // 0: ignored
	}{
		{"honeywell", []byte{2, 57, ']', 'C', '0'}, devices.KindBad},
		{"honeywell", []byte{2, 10, ']', 'C', '0', '1'}, devices.KindBad},
		{"honeywell", []byte{2}, devices.KindBad},
		{"honeywell", []byte{3, 1, 2, 3}, 0},
		{"newland", []byte{2, 5, 'a'}, devices.KindBad},
		{"generic", []byte{9, 2, 'a', 'b'}, devices.KindScan},
		{"generic", []byte{9, 2, 'a', 0}, devices.KindBad},
		{"generic", []byte{9}, 0},
	}
	for _, tt := range tests {
		d, _ := newPOSDecoder(Config{POSLayout: tt.layout})
		evs := d.Feed(time.Now(), tt.report)
		var got devices.Kind
		if len(evs) > 0 {
			got = evs[0].Kind
		}
		if got != tt.want {
			t.Errorf("%s %x: kind %v, want %v (%+v)", tt.layout, tt.report, got, tt.want, evs)
		}
	}
}

func BenchmarkKbdDecoder(b *testing.B) {
	var reports [][]byte
	for _, c := range []byte("31234000123456") {
		reports = append(reports, kbdPress(0, 0x1E+(c-'1'+10)%10)...)
	}
	reports = append(reports, kbdPress(0, usageEnter)...)
	d, _ := newKbdDecoder(Config{})
	now := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(8 * len(reports)))
	for b.Loop() {
		for _, r := range reports {
			d.Feed(now, r)
		}
	}
}

func BenchmarkPOSDecoder(b *testing.B) {
	long := []byte(strings.Repeat("0123456789", 7))
	r1, r2 := devtest.HonReport("]C0", string(long[:56]), true), devtest.HonReport("]C0", string(long[56:]), false)
	d, _ := newPOSDecoder(Config{POSLayout: "honeywell"})
	now := time.Now()
	b.ReportAllocs()
	b.SetBytes(128)
	for b.Loop() {
		d.Feed(now, r1)
		d.Feed(now, r2)
	}
}

func TestHIDCodeAIMAndAddOn(t *testing.T) {
	tests := []struct {
		text    string
		keepAIM bool
		addon   string
		sym     string
		data    string
		err     error
	}{
		{"]C0ABC", false, "", "]C0", "ABC", nil},
		{"]C0ABC", true, "", "]C0", "]C0ABC", nil},
		{"ABC", false, "", "", "ABC", nil},
		{"]E09780306406157]E112", false, "main", "]E0", "9780306406157", nil},
		{"]E09780306406157]E112", false, "keep", "]E0", "978030640615712", nil},
		{"]E09780306406157]E112", false, "reject", "]E0", "9780306406157", ErrFrameAddOn},
	}
	for _, tt := range tests {
		sym, data, err := hidCode([]byte(tt.text), tt.keepAIM, tt.addon)
		if sym != tt.sym || string(data) != tt.data || !errors.Is(err, tt.err) {
			t.Errorf("%q keep=%v addon=%q: %q %q %v", tt.text, tt.keepAIM, tt.addon, sym, data, err)
		}
	}
	// The Honeywell layout carries the AIM id in its own field; an add-on
	// follows in the data.
	d, _ := newPOSDecoder(Config{POSLayout: "honeywell", Framing: Framing{AddOn: "reject"}})
	evs := d.Feed(time.Now(), devtest.HonReport("]E0", "9780306406157]E112", false))
	if len(evs) != 1 || evs[0].Kind != devices.KindBad || !errors.Is(evs[0].Err, ErrFrameAddOn) {
		t.Errorf("honeywell add-on reject: %+v", evs)
	}
	d, _ = newPOSDecoder(Config{POSLayout: "honeywell"})
	evs = d.Feed(time.Now(), devtest.HonReport("]E0", "9780306406157]E112", false))
	if len(evs) != 1 || evs[0].Kind != devices.KindScan || evs[0].Data != "9780306406157" || evs[0].Symbology != "]E0" {
		t.Errorf("honeywell add-on main: %+v", evs)
	}
}
