package encoder

import (
	"errors"
	"strings"
	"testing"
)

func TestSniffText(t *testing.T) {
	good := "202403110901L39000001" + strings.Repeat(" ", 72) + "P1\r\n"
	for _, tc := range []struct {
		name string
		in   string
		bad  bool
	}{
		{"record", good, false},
		{"empty", "", false},
		{"a few bad bytes are left to the line rules", good + "202403110901R39\xe900001\r\n", false},
		{"NUL", good + "\x00", true},
		{"UTF-16 LE BOM", "\xff\xfe2\x000\x00", true},
		{"UTF-16 BE BOM", "\xfe\xff\x002\x000", true},
		{"noise", strings.Repeat("\x80\x81\x9f\r\n", 10), true},
		{"NUL beyond the sniffed start", strings.Repeat(good, SniffLen/len(good)+1) + "\x00", false},
	} {
		err := SniffText([]byte(tc.in))
		if (err != nil) != tc.bad || (err != nil && !errors.Is(err, ErrNotText)) {
			t.Errorf("%s: %v, want bad=%v", tc.name, err, tc.bad)
		}
	}
}

// FuzzSniffText: any input gets an answer, never a panic, and a refusal is
// always ErrNotText.
func FuzzSniffText(f *testing.F) {
	f.Add([]byte("202403110901R39000001\r\n"))
	f.Add([]byte{0xff, 0xfe, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := SniffText(b); err != nil && !errors.Is(err, ErrNotText) {
			t.Fatal(err)
		}
	})
}
