package encoder

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fuzzSeeds are lines covering each branch of the parser.
var fuzzSeeds = []string{
	"202205101145L2345657680                                                                      3120161826\r\n",
	"202205101520R14850288                                                                        \r\n",
	"202205101520R14850288\n",
	"202205101145L2345657680\t3120161826\n",
	"202205101145L" + strings.Repeat("9", 80) + "P\r\n",
	"202213101145X\x00 \t\r\r\n",
	"199912312359R1",
	"202402291200L1 Jane Doe\r\n",
	"\r\n\n",
	"2022",
}

// FuzzParse: the reader never panics, numbers lines consecutively, and
// every record it accepts validates and survives an Encode/Parse round trip.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(strings.Join(fuzzSeeds, "")))
	loc := time.FixedZone("fuzz", -5*3600)
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(bytes.NewReader(data), loc)
		want := 1
		for {
			l, ok := rd.Next()
			if !ok {
				break
			}
			if l.Num != want {
				t.Fatalf("line number %d, want %d", l.Num, want)
			}
			want++
			if l.Err != nil {
				continue
			}
			if err := l.Record.Validate(); err != nil {
				t.Fatalf("line %d %q parsed to invalid %+v: %v", l.Num, l.Raw, l.Record, err)
			}
			enc, err := Encode(l.Record)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseLine(enc, loc)
			if err != nil || !sameRecord(back, l.Record) {
				t.Fatalf("round trip of %q: %+v %v", enc, back, err)
			}
		}
		if rd.Err() != nil {
			t.Fatal(rd.Err())
		}
		// Check agrees with the reader on the line count and never
		// counts more records than lines.
		sum, _, err := Check(bytes.NewReader(data), "f", Options{Location: loc})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Lines != want-1 || sum.Loans+sum.Returns > sum.Lines {
			t.Fatalf("summary %+v for %d lines", sum, want-1)
		}
	})
}

// FuzzEncodeParse: whatever Encode accepts comes out as one line of
// printable ASCII plus CRLF that Parse turns back into the same record, and
// merge writes it unchanged.
func FuzzEncodeParse(f *testing.F) {
	f.Add(int64(1652183100), byte('L'), "2345657680", "3120161826")
	f.Add(int64(1652188800), byte('R'), "14850288", "")
	f.Add(int64(1652188800), byte('L'), strings.Repeat("x", 80), "p")
	f.Add(int64(1652188800), byte('L'), "a b", "c\td")
	f.Add(int64(0), byte('R'), "1", "")
	loc := time.FixedZone("fuzz", 5*3600+1800)
	f.Fuzz(func(t *testing.T, unix int64, typ byte, item, patron string) {
		r := Record{Time: time.Unix(unix, 0).In(loc).Truncate(time.Minute), Type: Type(typ), Item: item, Patron: patron}
		line, err := Encode(r)
		if err != nil {
			return
		}
		body, ok := bytes.CutSuffix(line, []byte("\r\n"))
		if !ok {
			t.Fatalf("%q does not end in CRLF", line)
		}
		for i, c := range body {
			if c < 0x20 || c > 0x7E {
				t.Fatalf("byte 0x%02X at %d in %q", c, i, line)
			}
		}
		if r.Type == Return && len(body) != ReturnLen {
			t.Fatalf("return line is %d characters, want %d", len(body), ReturnLen)
		}
		back, err := ParseLine(line, loc)
		if err != nil {
			t.Fatalf("Parse rejects Encode's %q: %v", line, err)
		}
		if !sameRecord(back, r) {
			t.Fatalf("parse(encode(%+v)) = %+v", r, back)
		}
		m := NewMerger(Options{Location: loc, Now: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)})
		m.Add("x", bytes.NewReader(line))
		var out bytes.Buffer
		if _, err := m.WriteTo(&out); err != nil || !bytes.Equal(out.Bytes(), line) {
			t.Fatalf("merge rewrote %q as %q (%v)", line, out.Bytes(), err)
		}
		if sums, probs := m.Results(); sums[0].Errors+sums[0].Warnings != 0 {
			t.Fatalf("check finds problems in Encode's %q: %v", line, probs[0])
		}
	})
}
