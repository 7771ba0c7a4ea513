package encoder

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Encode is the only way bytes reach a data file: it must take every
// record whose fields are at the edges of SPEC §1 and refuse the first
// value past each edge, with the sentinel callers test for.
func TestEncodeFieldEdges(t *testing.T) {
	min := MinTime // 2000-01-01 00:00 UTC
	ok := Record{Time: at("202205101145"), Type: Loan, Item: "1", Patron: "P"}
	with := func(f func(*Record)) Record { r := ok; f(&r); return r }
	tests := []struct {
		name    string
		rec     Record
		wantErr error // nil: encodes
	}{
		{"plain loan", ok, nil},
		{"first printable byte", with(func(r *Record) { r.Item, r.Patron = "!", "!" }), nil},
		{"last printable byte", with(func(r *Record) { r.Item, r.Patron = "~", "~" }), nil},
		{"80-character item", with(func(r *Record) { r.Item = strings.Repeat("9", 80) }), nil},
		{"254-character patron", with(func(r *Record) { r.Patron = strings.Repeat("p", 254) }), nil},
		{"earliest minute", with(func(r *Record) { r.Time = min }), nil},
		{"return", Record{Time: at("202205101145"), Type: Return, Item: "1"}, nil},

		{"one minute before 2000", with(func(r *Record) { r.Time = min.Add(-time.Minute) }), ErrTimeTooEarly},
		{"space before '!' in item", with(func(r *Record) { r.Item = "1 2" }), ErrCharset},
		{"DEL after '~' in item", with(func(r *Record) { r.Item = "1\x7f" }), ErrCharset},
		{"DEL after '~' in patron", with(func(r *Record) { r.Patron = "P\x7f" }), ErrCharset},
		{"space in patron", with(func(r *Record) { r.Patron = "Jane Doe" }), ErrCharset},
		{"81-character item", with(func(r *Record) { r.Item = strings.Repeat("9", 81) }), ErrItemTooLong},
		{"255-character patron", with(func(r *Record) { r.Patron = strings.Repeat("p", 255) }), ErrPatronTooLong},
		{"empty item", with(func(r *Record) { r.Item = "" }), ErrItemEmpty},
		{"loan without patron", with(func(r *Record) { r.Patron = "" }), ErrPatronEmpty},
		{"return with patron", Record{Time: at("202205101145"), Type: Return, Item: "1", Patron: "P"}, ErrPatronOnReturn},
		{"type l", with(func(r *Record) { r.Type = 'l' }), ErrType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, err := Encode(tt.rec)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Encode: %v", err)
				}
				back, err := ParseLine(line, tt.rec.Time.Location())
				if err != nil || !sameRecord(back, tt.rec) {
					t.Fatalf("ParseLine(Encode(r)) = %+v, %v; want %+v", back, err, tt.rec)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || line != nil {
				t.Fatalf("Encode = %q, %v; want no line and %v", line, err, tt.wantErr)
			}
		})
	}
}

// The reader's earliest minute is the same as Encode's: 2000-01-01 00:00
// passes check, 1999-12-31 23:59 is an unset clock.
func TestParseMinTimeEdge(t *testing.T) {
	if _, err := ParseLine([]byte("200001010000R1"), time.UTC); err != nil {
		t.Fatalf("200001010000: %v", err)
	}
	if _, err := ParseLine([]byte("199912312359R1"), time.UTC); !errors.Is(err, ErrTimeTooEarly) {
		t.Fatalf("199912312359: %v, want %v", err, ErrTimeTooEarly)
	}
}
