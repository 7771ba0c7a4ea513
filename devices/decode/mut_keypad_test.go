package decode

import (
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/internal/devtest"
)

func keypadRun(t *testing.T, entry bool, reports [][]byte, gap time.Duration) string {
	t.Helper()
	d, err := newKeypadDecoder(&config.Keypad{PatronEntry: entry, Keys: map[string]string{"KP_DIVIDE": "loan", "KP_MULTIPLY": "return", "kp_enter": "done"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []string
	for _, r := range reports {
		now = now.Add(gap)
		d.Idle(now)
		for _, ev := range d.Feed(now, r) {
			got = append(got, devtest.DescribeEvent(ev))
		}
	}
	return strings.Join(got, "|")
}

// Keys pressed together in one report all count, in report order: a
// digit entry ended by Enter with a command key beside it, a command
// beside a digit, an unbound key beside a command.
func TestKeypadSeveralKeysInOneReport(t *testing.T) {
	tests := []struct {
		name    string
		entry   bool
		reports [][]byte
		want    string
	}{
		{"Enter and a command together", true, [][]byte{kpReport(0, 0x59), kpReport(0), kpReport(0, 0x58, 0x54), kpReport(0)}, `scan - "1" patron|command loan`},
		{"a command and a digit together", true, [][]byte{kpReport(0, 0x54, 0x5A), kpReport(0), kpReport(0, 0x58), kpReport(0)}, `command loan|scan - "2" patron`},
		{"an unbound key and a command together", false, [][]byte{kpReport(0, 0x59, 0x55), kpReport(0)}, "command return"},
		{"two digits together", true, [][]byte{kpReport(0, 0x59, 0x5A), kpReport(0), kpReport(0, 0x58), kpReport(0)}, `scan - "12" patron`},
	}
	for _, tt := range tests {
		if got := keypadRun(t, tt.entry, tt.reports, 10*time.Millisecond); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// Backspace takes back the last digit only; a patron entry holds at most
// 254 digits (the longest patron ID), the rest are not typed.
func TestKeypadBackspaceAndLongestEntry(t *testing.T) {
	press := func(u byte) [][]byte { return [][]byte{kpReport(0, u), kpReport(0)} }
	var r [][]byte
	for _, u := range []byte{0x59, 0x5A, usageBackspace, 0x5B, 0x58} { // 1 2 BS 3 Enter
		r = append(r, press(u)...)
	}
	if got := keypadRun(t, true, r, 10*time.Millisecond); got != `scan - "13" patron` {
		t.Fatalf("1 2 BS 3: got %q", got)
	}
	r = nil
	for i := range 255 {
		r = append(r, press(usageKP1+byte(i%10))...)
	}
	r = append(r, press(0x58)...)
	got := keypadRun(t, true, r, 10*time.Millisecond)
	want := `scan - "` + strings.Repeat("1234567890", 26)[:254] + `" patron`
	if got != want {
		t.Fatalf("255 digits: got %d characters, want the first 254", len(got))
	}
}

// A digit entry typed slowly (a key every few seconds) stays until 15 s
// after its last digit; then it is forgotten.
func TestKeypadSlowEntryKept(t *testing.T) {
	r := [][]byte{kpReport(0, 0x59), kpReport(0), kpReport(0, 0x5A), kpReport(0), kpReport(0, 0x58), kpReport(0)}
	if got := keypadRun(t, true, r, keypadEntryTimeout/2-time.Millisecond); got != `scan - "12" patron` {
		t.Fatalf("slow entry: got %q", got)
	}
	d, _ := newKeypadDecoder(&config.Keypad{PatronEntry: true, Keys: map[string]string{"kp_enter": "done"}})
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	d.Feed(now, kpReport(0, 0x59))
	d.Feed(now, kpReport(0))
	d.Idle(now.Add(keypadEntryTimeout - time.Millisecond))
	evs := d.Feed(now.Add(keypadEntryTimeout-time.Millisecond), kpReport(0, 0x58))
	if len(evs) != 1 || evs[0].Kind != devices.KindScan || evs[0].Data != "1" {
		t.Fatalf("entry just before the timeout: %+v", evs)
	}
}
