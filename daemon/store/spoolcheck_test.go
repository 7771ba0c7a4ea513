package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A spool line that is not exactly a record as Encode writes it is never
// drained into the data file, even with a matching checksum (the spool
// was written by something else, or an old version): the records around
// it are drained, the bad line is set aside. Every byte rule counts: the
// 12 time digits ('/' and ':' are the bytes around the digits), the item
// bytes and its padding, the type, the patron, the CRLF.
func TestSpoolLineMustBeCanonical(t *testing.T) {
	pad := func(s string) string { return s + strings.Repeat(" ", 80-len(s)) }
	item80 := strings.Repeat("9", 80)
	good := "202503041000R" + pad("N1") + "\r\n"
	tests := []struct {
		name    string
		line    string
		drained bool
	}{
		{"canonical return", good, true},
		{"nines in the time", "202909291959R" + pad("N1") + "\r\n", true},
		{"canonical loan", "202503041000L" + pad("N1") + "P1\r\n", true},
		{"80-character item", "202503041000R" + item80 + "\r\n", true},
		{"80-character item and patron", "202503041000L" + item80 + "P1\r\n", true},
		{"printable edges", "202503041000L" + pad("!~") + "~!\r\n", true},
		{"colon in the time", "20250304100:R" + pad("N1") + "\r\n", false},
		{"slash in the time", "/02503041000R" + pad("N1") + "\r\n", false},
		{"colon first in the time", ":02503041000R" + pad("N1") + "\r\n", false},
		{"slash last in the time", "20250304100/R" + pad("N1") + "\r\n", false},
		{"DEL in the item", "202503041000R" + pad("N\x7f") + "\r\n", false},
		{"unit separator in the item", "202503041000R" + pad("N\x1f") + "\r\n", false},
		{"space inside the item", "202503041000R" + pad("N1 2") + "\r\n", false},
		{"empty item", "202503041000R" + pad("") + "\r\n", false},
		{"type l", "202503041000l" + pad("N1") + "P1\r\n", false},
		{"loan without patron", "202503041000L" + pad("N1") + "\r\n", false},
		{"DEL in the patron", "202503041000L" + pad("N1") + "P\x7f\r\n", false},
		{"return with patron", "202503041000R" + pad("N1") + "P1\r\n", false},
		{"LF only", "202503041000R" + pad("N1") + "\n", false},
		{"one byte short", "202503041000R" + pad("N1")[:79] + "\r\n", false},
	}
	for _, tt := range tests {
		for _, sum := range []bool{true, false} { // with the spool's checksum, and an old bare line
			name := tt.name
			if !sum {
				name += " (no checksum)"
				if strings.HasPrefix(tt.line, "/") || strings.HasPrefix(tt.line, ":") {
					continue // the bare form is told from a checksum by its 9th byte only
				}
			}
			t.Run(name, func(t *testing.T) {
				e := newEnv(t)
				os.MkdirAll(e.state, 0o750)
				mk := func(l string) string {
					if sum {
						return string(spoolLine([]byte(l)))
					}
					return l
				}
				before, after := line(t, testRec(1)), line(t, testRec(3))
				os.WriteFile(filepath.Join(e.state, spoolName), []byte(mk(before)+mk(tt.line)+mk(after)), 0o600)
				s := e.open(t)
				if err := s.Drain(); err != nil {
					t.Fatal(err)
				}
				want := before + after
				if tt.drained {
					want = before + tt.line + after
				}
				if got := e.content(t); got != want {
					t.Fatalf("data file %q\nwant %q", got, want)
				}
			})
		}
	}
}
