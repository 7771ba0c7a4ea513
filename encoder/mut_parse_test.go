package encoder

import (
	"strings"
	"testing"
)

// What check says about bytes at and just outside the printable range
// 0x21–0x7E, in short items, in patrons and as the type: the first bad
// byte is named with its column, and a type byte is shown as the
// character when it is printable, as its value otherwise.
func TestCheckMessagesAtTheCharacterRangeEdges(t *testing.T) {
	const cs = ": character outside printable ASCII 0x21-0x7E"
	tests := []struct {
		name, line, want string
	}{
		{"DEL in a short item", "202205101145R1\x7f", "item: byte 0x7F at column 15" + cs},
		{"0x80 as a short item", "202205101145R\x80", "item: byte 0x80 at column 14" + cs},
		{"0x9F in a short item", "202205101145R\x9f1", "item: byte 0x9F at column 14" + cs},
		{"0xA0 in a short item", "202205101145R1\xa0", "item: byte 0xA0 at column 15" + cs},
		{"0xFF in a short item", "202205101145R1\xff", "item: byte 0xFF at column 15" + cs},
		{"first of two bad bytes, at the item's start", "202205101145R\x01A\x02", "item: byte 0x01 at column 14" + cs},
		{"first of two bad bytes, inside the item", "202205101145RA\x7fB\x01", "item: byte 0x7F at column 15" + cs},
		{"bad byte first in the patron", "202205101145L1 \x7fP", "patron: byte 0x7F at column 16" + cs},
		{"bad byte first in the patron after padding", canon("202205101145", Loan, "1", "\x80P")[:95], "patron: byte 0x80 at column 94" + cs},
		{"bad byte inside the patron", "202205101145L1 PPP\x7f", "patron: byte 0x7F at column 19" + cs},
		{"bad byte late in the patron", "202205101145L1\tABCDEFGH\x19", "patron: byte 0x19 at column 24" + cs},
		{"type '!'", "202205101145!1", `type must be L or R, found "!" in column 13`},
		{"type '~'", "202205101145~1", `type must be L or R, found "~" in column 13`},
		{"type blank", "202205101145 1", "type must be L or R, found byte 0x20 in column 13"},
		{"type DEL", "202205101145\x7f1", "type must be L or R, found byte 0x7F in column 13"},
		{"type NUL", "202205101145\x001", "type must be L or R, found byte 0x00 in column 13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, end := range []string{"\r\n", "\n"} {
				sum, probs, err := Check(strings.NewReader(tt.line+end), "f", mutOpt)
				want := "1: error: " + tt.want
				if err != nil || len(probs) != 1 || probs[0].String() != want || sum.Errors != 1 {
					t.Fatalf("check %q: %q (%v), want %q", tt.line, problemStrings(probs), err, want)
				}
				m := NewMerger(mutOpt)
				m.Add("a", strings.NewReader(tt.line+end))
				var out strings.Builder
				if _, err := m.WriteTo(&out); err != nil || out.Len() != 0 {
					t.Fatalf("merge wrote %q (%v)", out.String(), err)
				}
			}
		})
	}
}
