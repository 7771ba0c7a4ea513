package serial

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/internal/golden"
)

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("..", "..", "testdata", "serial", name), []byte(got))
}

// TestSerialBeepProfilesGolden pins the bytes of every profile × pattern.
func TestSerialBeepProfilesGolden(t *testing.T) {
	var b strings.Builder
	b.WriteString("# profile  pattern  bytes\n")
	for _, prof := range []string{"none", "bel", "honeywell", "datalogic", "zebra-ssi", "1B 42 0D"} {
		for _, pat := range config.Patterns {
			got, err := BeepBytes(prof, string(pat), nil)
			if err != nil {
				t.Fatal(err)
			}
			line := fmt.Sprintf("%-10s %-14s % X", strings.ReplaceAll(prof, " ", ""), pat, got)
			if OneSound(prof, string(pat), nil) {
				line += "  (in the pattern's rhythm)"
			}
			b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	checkGolden(t, "beep-profiles.golden", b.String())
}

// TestOneSound: single-command profiles (and raw hex) are played in the
// pattern's rhythm; Zebra SSI's own codes and beep_bytes overrides are not.
func TestOneSound(t *testing.T) {
	over := map[string]string{"good": "16 07 0D"}
	for _, tc := range []struct {
		profile, pattern string
		want             bool
	}{
		{"bel", "patron", true}, {"Honeywell", "reject", true}, {"datalogic", "double", true}, {"1B 42 0D", "undo", true},
		{"bel", "good", false}, // overridden
		{"zebra-ssi", "patron", false}, {"none", "patron", false}, {"", "patron", false},
	} {
		if got := OneSound(tc.profile, tc.pattern, over); got != tc.want {
			t.Errorf("OneSound(%q, %q) = %v, want %v", tc.profile, tc.pattern, got, tc.want)
		}
	}
}

func TestSerialBeepBytes(t *testing.T) {
	over := map[string]string{"good": "0x16,0x07,0x0d", "double": "", "chime": "07 07 07"}
	for _, tc := range []struct {
		profile, pattern string
		over             map[string]string
		want             string
		err              error
	}{
		{"honeywell", "good", nil, "16 07 0D", nil},
		{"HONEYWELL", "reject", nil, "16 07 0D", nil}, // one command; the sink repeats it
		{"", "good", nil, "", nil},
		{"bel", "good", over, "16 07 0D", nil}, // beep_bytes wins
		{"bel", "double", over, "", nil},       // silenced
		{"bel", "chime", over, "07 07 07", nil},
		{"bel", "patron", over, "07", nil},
		{"zebra-ssi", "write-failure", nil, "05 E6 04 00 14 FE FD", nil},
		{"16070d", "undo", nil, "16 07 0D", nil},
		{"bel", "fanfare", nil, "", config.ErrUnknownPattern},
	} {
		got, err := BeepBytes(tc.profile, tc.pattern, tc.over)
		if fmt.Sprintf("% X", got) != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%s/%s: got % X, %v; want %s, %v", tc.profile, tc.pattern, got, err, tc.want, tc.err)
		}
	}
	for _, bad := range []string{"trumpet", "0G", "123"} {
		if _, err := BeepBytes(bad, "good", nil); err == nil {
			t.Errorf("profile %q: no error", bad)
		}
	}
}
