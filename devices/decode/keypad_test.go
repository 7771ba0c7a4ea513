package decode

import (
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"

	"github.com/offcircd/offcircd/devices"

	"github.com/offcircd/offcircd/devices/internal/devtest"
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
					got = append(got, devtest.DescribeEvent(ev))
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
				if ev.Kind == devices.KindScan && (ev.Data == "" || strings.Trim(ev.Data, "0123456789") != "" || !ev.Patron) {
					t.Fatalf("bad patron entry %+v", ev)
				}
				if ev.Kind == devices.KindCommand && ev.Command != "loan" && ev.Command != "done" {
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
