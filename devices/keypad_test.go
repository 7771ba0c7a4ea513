package devices

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
)

func kpReport(mods byte, keys ...byte) []byte {
	r := make([]byte, 8)
	r[0] = mods
	copy(r[2:], keys)
	return r
}

func TestKeypadDecoder(t *testing.T) {
	kp := &config.Keypad{Keys: map[string]string{"KP_DIVIDE": "loan", "KP_MULTIPLY": "return", "kp_enter": "done", "KP_MINUS": "undo"}}
	tests := []struct {
		name    string
		entry   bool
		reports [][]byte
		want    []string
	}{
		{"commands", false, [][]byte{kpReport(0, 0x54), kpReport(0), kpReport(0, 0x55), kpReport(0), kpReport(0, 0x58), kpReport(0)},
			[]string{"command loan", "command return", "command done"}},
		{"held key is one press", false, [][]byte{kpReport(0, 0x54), kpReport(0, 0x54), kpReport(0, 0x54), kpReport(0)},
			[]string{"command loan"}},
		{"digits ignored without patron entry", false, [][]byte{kpReport(0, 0x59), kpReport(0), kpReport(0, 0x58), kpReport(0)},
			[]string{"command done"}},
		{"patron entry", true, [][]byte{kpReport(0, 0x59), kpReport(0), kpReport(0, 0x62), kpReport(0), kpReport(0, 0x1F), kpReport(0), kpReport(0, 0x58), kpReport(0)},
			[]string{`scan - "102" patron`}},
		{"backspace and escape", true, [][]byte{kpReport(0, 0x59), kpReport(0), kpReport(0, 0x2A), kpReport(0), kpReport(0, 0x5A), kpReport(0), kpReport(0, 0x29), kpReport(0), kpReport(0, 0x5B), kpReport(0), kpReport(0, 0x28), kpReport(0)},
			[]string{`scan - "3" patron`}},
		{"enter without digits is its command", true, [][]byte{kpReport(0, 0x58), kpReport(0)}, []string{"command done"}},
		{"rollover", true, [][]byte{kpReport(0, 0x59), kpReport(0, 0x59, 0x5A), kpReport(0, 0x5A), kpReport(0, 0x58), kpReport(0)},
			[]string{`scan - "12" patron`}},
		{"phantom state ignored", false, [][]byte{kpReport(0, 1, 1, 1, 1, 1, 1), kpReport(0, 0x56), kpReport(0)}, []string{"command undo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := *kp
			k.PatronEntry = tt.entry
			d, err := newKeypadDecoder(&k)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			var got []string
			for i, r := range tt.reports {
				for _, ev := range d.Feed(now.Add(time.Duration(i)*10*time.Millisecond), r) {
					got = append(got, describeEvent(ev))
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeypadEntryTimeout(t *testing.T) {
	d, _ := newKeypadDecoder(&config.Keypad{PatronEntry: true})
	now := time.Now()
	d.Feed(now, kpReport(0, 0x59))
	d.Feed(now, kpReport(0))
	d.Idle(now.Add(keypadEntryTimeout))
	d.Feed(now.Add(keypadEntryTimeout), kpReport(0, 0x5A))
	d.Feed(now.Add(keypadEntryTimeout), kpReport(0))
	evs := d.Feed(now.Add(keypadEntryTimeout), kpReport(0, 0x58))
	if len(evs) != 1 || evs[0].Data != "2" {
		t.Fatalf("%+v", evs)
	}
}

func TestKeypadConfig(t *testing.T) {
	cfg := &config.Config{Keypad: &config.Keypad{VID: "05f9", PID: "2206", Keys: map[string]string{"KP_BOGUS": "loan"}}}
	if _, err := NewKeypad(cfg.Keypad, Env{}, hidQuietLog()); err == nil || !strings.Contains(err.Error(), "KP_BOGUS") {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := NewKeypad(nil, Env{}, hidQuietLog()); err == nil {
		t.Error("no [keypad] table: no error")
	}
	cfg.Keypad.Keys = map[string]string{"KP_1": "loan"}
	src, err := NewKeypad(cfg.Keypad, Env{}, hidQuietLog())
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*hidSource)
	s.unsupported = keyboardUnsupported("windows")
	if err := s.Run(context.Background(), make(chan Event)); !errors.Is(err, ErrKeyboardUnsupported) {
		t.Errorf("windows keypad: %v", err)
	}
}

func TestKeypadSourceReadsDevice(t *testing.T) {
	b := newFakeHIDBackend()
	dev := b.plug("usb-kp", "")
	cfg := &config.Config{Keypad: &config.Keypad{VID: "0c2e", PID: "0b87", Keys: map[string]string{"KP_PLUS": "toggle"}}}
	s, err := newKeypad(cfg.Keypad, Env{}, hidQuietLog(), b)
	if err != nil {
		t.Fatal(err)
	}
	s.interval, s.poll, s.goos, s.unsupported = 5*time.Millisecond, 2*time.Millisecond, "linux", nil
	out, stop := hidRunSource(t, s)
	defer stop()
	hidNext(t, out, KindState)
	dev.reports <- kpReport(0, 0x57)
	if ev := hidNext(t, out, KindCommand); ev.Command != "toggle" || ev.Source != "keypad" {
		t.Fatalf("%+v", ev)
	}
}

func FuzzKeypadDecoder(f *testing.F) {
	f.Add([]byte{0, 0, 0x59, 0, 0, 0, 0, 0, 0, 0, 0x58, 0, 0, 0, 0, 0}, true)
	f.Add([]byte{0, 0, 0x54, 0x55, 0x56, 0x57, 0x58, 0x62}, false)
	f.Fuzz(func(t *testing.T, stream []byte, entry bool) {
		d, err := newKeypadDecoder(&config.Keypad{PatronEntry: entry, Keys: map[string]string{"KP_DIVIDE": "loan", "KP_ENTER": "done"}})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		for i := 0; i < len(stream); i += 8 {
			for _, ev := range d.Feed(now, stream[i:min(i+8, len(stream))]) {
				if ev.Kind == KindScan && (ev.Data == "" || strings.Trim(ev.Data, "0123456789") != "" || !ev.Patron) {
					t.Fatalf("bad patron entry %+v", ev)
				}
				if ev.Kind == KindCommand && ev.Command != "loan" && ev.Command != "done" {
					t.Fatalf("command %q", ev.Command)
				}
			}
			d.Idle(now)
		}
		if len(d.digits) > 254 {
			t.Fatal("digits grew unbounded")
		}
	})
}
