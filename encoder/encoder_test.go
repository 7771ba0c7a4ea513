package encoder

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// testLoc is a fixed zone so tests do not depend on the machine's TZ.
var testLoc = time.FixedZone("test", 2*3600)

// refNow is "now" for the check tests: well after every test record.
var refNow = time.Date(2026, 1, 1, 12, 0, 0, 0, testLoc)

func at(s string) time.Time {
	t, err := time.ParseInLocation(TimeLayout, s, testLoc)
	if err != nil {
		panic(err)
	}
	return t
}

// almaDocs are the six example transactions of Alma's documentation.
var almaDocs = []Record{
	{Time: at("202205101145"), Type: Loan, Item: "2345657680", Patron: "3120161826"},
	{Time: at("202205101418"), Type: Loan, Item: "14850288", Patron: "CeeBee"},
	{Time: at("202205101419"), Type: Loan, Item: "90172", Patron: "JaneDoe"},
	{Time: at("202205101419"), Type: Loan, Item: "6827592654", Patron: "susan.smith"},
	{Time: at("202205101520"), Type: Return, Item: "14850288"},
	{Time: at("202205101625"), Type: Loan, Item: "14850288", Patron: "susan.smith"},
}

func TestGoldenAlmaDocs(t *testing.T) {
	golden, err := os.ReadFile("../testdata/alma/OffCirc.dat")
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	for _, r := range almaDocs {
		line, err := Encode(r)
		if err != nil {
			t.Fatalf("Encode(%+v): %v", r, err)
		}
		want := ReturnLen + len(r.Patron) + 2
		if len(line) != want {
			t.Errorf("Encode(%+v) is %d bytes, want %d", r, len(line), want)
		}
		got = append(got, line...)
	}
	if !bytes.Equal(got, golden) {
		t.Fatalf("encoding differs from golden file:\ngot  %q\nwant %q", got, golden)
	}

	rd := NewReader(bytes.NewReader(golden), testLoc)
	var parsed []Record
	for {
		l, ok := rd.Next()
		if !ok {
			break
		}
		if l.Err != nil || l.Warn != nil {
			t.Fatalf("line %d: err %v warn %v", l.Num, l.Err, l.Warn)
		}
		parsed = append(parsed, l.Record)
	}
	if rd.Err() != nil {
		t.Fatal(rd.Err())
	}
	if len(parsed) != len(almaDocs) {
		t.Fatalf("parsed %d records, want %d", len(parsed), len(almaDocs))
	}
	for i := range almaDocs {
		if !sameRecord(parsed[i], almaDocs[i]) {
			t.Errorf("record %d: parse(encode(x)) = %+v, want %+v", i+1, parsed[i], almaDocs[i])
		}
	}
}

func sameRecord(a, b Record) bool {
	return a.Time.Equal(b.Time) && a.Type == b.Type && a.Item == b.Item && a.Patron == b.Patron
}

func TestParseLine(t *testing.T) {
	pad := func(s string) string { return s + strings.Repeat(" ", ItemWidth-len(s)) }
	item80 := strings.Repeat("9", 80)
	tests := []struct {
		name    string
		line    string
		want    Record
		wantErr []error // every one must be in the chain
	}{
		{"canonical loan CRLF", "202205101145L" + pad("2345657680") + "3120161826\r\n",
			Record{Time: at("202205101145"), Type: Loan, Item: "2345657680", Patron: "3120161826"}, nil},
		{"LF only", "202205101145L" + pad("2345657680") + "3120161826\n",
			Record{Time: at("202205101145"), Type: Loan, Item: "2345657680", Patron: "3120161826"}, nil},
		{"no line end", "202205101145L" + pad("2345657680") + "3120161826",
			Record{Time: at("202205101145"), Type: Loan, Item: "2345657680", Patron: "3120161826"}, nil},
		{"tab separated", "202205101145L2345657680\t3120161826\r\n",
			Record{Time: at("202205101145"), Type: Loan, Item: "2345657680", Patron: "3120161826"}, nil},
		{"single space", "202205101145L2345657680 3120161826",
			Record{Time: at("202205101145"), Type: Loan, Item: "2345657680", Patron: "3120161826"}, nil},
		{"mixed blanks, trailing blanks", "202205101145L2345657680 \t  3120161826  \t\r\n",
			Record{Time: at("202205101145"), Type: Loan, Item: "2345657680", Patron: "3120161826"}, nil},
		{"unpadded return", "202205101520R14850288\r\n",
			Record{Time: at("202205101520"), Type: Return, Item: "14850288"}, nil},
		{"padded return", "202205101520R" + pad("14850288") + "\r\n",
			Record{Time: at("202205101520"), Type: Return, Item: "14850288"}, nil},
		{"80-char item abuts patron", "202205101520L" + item80 + "P1\r\n",
			Record{Time: at("202205101520"), Type: Loan, Item: item80, Patron: "P1"}, nil},
		{"80-char return", "202205101520R" + item80 + "\r\n",
			Record{Time: at("202205101520"), Type: Return, Item: item80}, nil},
		{"leap day", "202402291200R1\r\n", Record{Time: at("202402291200"), Type: Return, Item: "1"}, nil},
		{"leap day of a 400-year century", "200002291200R1", Record{Time: at("200002291200"), Type: Return, Item: "1"}, nil},
		{"last minute of a year", "202912312359R1", Record{Time: at("202912312359"), Type: Return, Item: "1"}, nil},
		{"first and last printable bytes", "202205101145L!~ ~!",
			Record{Time: at("202205101145"), Type: Loan, Item: "!~", Patron: "~!"}, nil},
		{"printable edges in an 80-char item", "202205101145L~" + strings.Repeat("!", 79) + "P",
			Record{Time: at("202205101145"), Type: Loan, Item: "~" + strings.Repeat("!", 79), Patron: "P"}, nil},
		{"80-char item, padding, patron", "202205101145L" + item80 + "  P",
			Record{Time: at("202205101145"), Type: Loan, Item: item80, Patron: "P"}, nil},
		{"254-char patron", "202205101145L1 " + strings.Repeat("p", 254),
			Record{Time: at("202205101145"), Type: Loan, Item: "1", Patron: strings.Repeat("p", 254)}, nil},

		{"empty", "\r\n", Record{}, []error{ErrEmptyLine}},
		{"short", "2022051011\r\n", Record{}, []error{ErrShortLine}},
		{"time only", "202205101145\r\n", Record{}, []error{ErrShortLine}},
		{"month 13", "202213101145R1\r\n", Record{}, []error{ErrTime}},
		{"feb 29 non-leap", "202302291200R1", Record{}, []error{ErrTime}},
		{"hour 24", "202205102400R1", Record{}, []error{ErrTime}},
		{"minute 60", "202205101160R1", Record{}, []error{ErrTime}},
		{"letters in time", "2022O5101145R1", Record{}, []error{ErrTime}},
		// ':' and '/' are the bytes right after '9' and before '0'; read as
		// digits they would give a valid time (minute 10, 01), so only the
		// digit check rejects them.
		{"colon as last time digit", "20250304100:R1", Record{}, []error{ErrTime}},
		{"colon as first time digit", ":02503041000R1", Record{}, []error{ErrTime}},
		{"slash as last time digit", "20250304100/R1", Record{}, []error{ErrTime}},
		{"feb 29 of a century", "210002291200R1", Record{}, []error{ErrTime}},
		{"feb 30 of a leap year", "202402301200R1", Record{}, []error{ErrTime}},
		{"day 0", "202205001200R1", Record{}, []error{ErrTime}},
		{"april 31", "202204311200R1", Record{}, []error{ErrTime}},
		{"month 0", "202200101200R1", Record{}, []error{ErrTime}},
		{"byte before '!' in item", "202205101145R1\x1f2", Record{}, []error{ErrCharset}},
		{"byte after '~' in 80-char item", "202205101145L" + strings.Repeat("1", 79) + "\x7fP", Record{}, []error{ErrCharset}},
		{"byte after '~' in patron", "202205101145L1 P~\x7f", Record{}, []error{ErrCharset}},
		{"byte before '!' in patron", "202205101145L1 P\x1f", Record{}, []error{ErrCharset}},
		{"before 2000", "199912312359R1", Record{}, []error{ErrTime, ErrTimeTooEarly}},
		{"lowercase type", "202205101145l1 P", Record{}, []error{ErrType}},
		{"type X", "202205101145X1 P", Record{}, []error{ErrType}},
		{"empty item", "202205101145R    ", Record{}, []error{ErrItemEmpty}},
		{"empty item loan", "202205101145L" + pad("") + "P", Record{}, []error{ErrItemEmpty}},
		{"item too long", "202205101145R" + item80 + "1", Record{}, []error{ErrItemTooLong}},
		{"item too long loan", "202205101145L" + item80 + "1 P", Record{}, []error{ErrItemTooLong}},
		{"control char in item", "202205101145R12\x0034", Record{}, []error{ErrCharset}},
		{"utf-8 in item", "202205101145R12é", Record{}, []error{ErrCharset}},
		{"DEL in patron", "202205101145L1 P\x7f", Record{}, []error{ErrCharset}},
		{"stray CR", "202205101145L1 P\r\r\n", Record{}, []error{ErrCharset}},
		{"loan without patron", "202205101145L" + pad("1"), Record{}, []error{ErrPatronEmpty}},
		{"patron too long", "202205101145L1 " + strings.Repeat("p", 255), Record{}, []error{ErrPatronTooLong}},
		{"patron with space", "202205101145L1 Jane Doe", Record{}, []error{ErrPatronSpace}},
		{"several at once", "202213101145L\x01", Record{}, []error{ErrTime, ErrCharset, ErrPatronEmpty}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLine([]byte(tt.line), testLoc)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("ParseLine(%q) error %v", tt.line, err)
				}
				if !sameRecord(got, tt.want) {
					t.Fatalf("ParseLine(%q) = %+v, want %+v", tt.line, got, tt.want)
				}
				if err := got.Validate(); err != nil {
					t.Fatalf("parsed record does not validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseLine(%q) = %+v, want errors %v", tt.line, got, tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("ParseLine(%q) error %q is not %q", tt.line, err, want)
				}
			}
		})
	}
}

func TestReaderLines(t *testing.T) {
	in := "202205101520R1\r\n" + // 1
		"\n" + // 2
		"202205101520R2 PATRON\n" + // 3: warning, patron dropped
		strings.Repeat("x", MaxLineLen+10) + "\n" + // 4: too long
		"202205101521R3\r\n" + // 5
		"202205101522R4" // 6: torn
	rd := NewReader(strings.NewReader(in), testLoc)
	type res struct {
		num       int
		item      string
		err, warn error
		rawPrefix string
	}
	want := []res{
		{1, "1", nil, nil, "202205101520R1"},
		{2, "", ErrEmptyLine, nil, ""},
		{3, "2", nil, ErrPatronOnReturn, "202205101520R2 PATRON"},
		{4, "", ErrLineTooLong, nil, "xxxx"},
		{5, "3", nil, nil, "202205101521R3"},
		{6, "", ErrTorn, nil, "202205101522R4"},
	}
	var got []Line
	for {
		l, ok := rd.Next()
		if !ok {
			break
		}
		l.Raw = append([]byte(nil), l.Raw...)
		got = append(got, l)
	}
	if rd.Err() != nil {
		t.Fatal(rd.Err())
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Num != w.num || g.Record.Item != w.item || !errors.Is(g.Err, w.err) || (w.err == nil) != (g.Err == nil) ||
			!errors.Is(g.Warn, w.warn) || (w.warn == nil) != (g.Warn == nil) || !strings.HasPrefix(string(g.Raw), w.rawPrefix) {
			t.Errorf("line %d: got num %d item %q err %v warn %v raw %.20q; want %+v", i+1, g.Num, g.Record.Item, g.Err, g.Warn, g.Raw, w)
		}
		if g.Err == nil && g.Record.Patron != "" {
			t.Errorf("line %d: return kept patron %q", g.Num, g.Record.Patron)
		}
	}
}

// ioErrReader fails after its data.
type ioErrReader struct{ data []byte }

var errDisk = errors.New("disk on fire")

func (r *ioErrReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, errDisk
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReaderIOError(t *testing.T) {
	rd := NewReader(&ioErrReader{data: []byte("202205101520R1\r\n")}, testLoc)
	if l, ok := rd.Next(); !ok || l.Err != nil {
		t.Fatalf("first line: %+v %v", l, ok)
	}
	if _, ok := rd.Next(); ok {
		t.Fatal("Next after I/O error returned a line")
	}
	if !errors.Is(rd.Err(), errDisk) {
		t.Fatalf("Err() = %v, want %v", rd.Err(), errDisk)
	}
	if _, _, err := Check(&ioErrReader{}, "x", Options{}); !errors.Is(err, errDisk) {
		t.Fatalf("Check I/O error = %v", err)
	}
}

func TestRecordTimeZone(t *testing.T) {
	// Times are wall-clock digits in the given zone, never converted.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	r, err := ParseLine([]byte("202207011200R1"), ny)
	if err != nil {
		t.Fatal(err)
	}
	if r.Time.Location() != ny || r.Time.Hour() != 12 {
		t.Fatalf("time %v not 12:00 in New York", r.Time)
	}
	line, _ := Encode(r)
	if !strings.HasPrefix(string(line), "202207011200R") {
		t.Fatalf("re-encoded %q", line)
	}
}

func TestMaskPatronNeverShowsWholeID(t *testing.T) {
	for _, id := range []string{"a", "abcde", "3120161826", "susan.smith"} {
		if m := MaskPatron(id); strings.Contains(m, id) {
			t.Errorf("MaskPatron(%q) = %q shows the ID", id, m)
		}
	}
}

func TestSummaryString(t *testing.T) {
	s := Summary{File: "OffCirc.dat", Lines: 6, Loans: 5, Returns: 1, Errors: 0, Warnings: 2}
	if got, want := s.String(), "OffCirc.dat: 6 lines, 5 loans, 1 returns, 0 errors, 2 warnings"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if !s.OK(false) || s.OK(true) {
		t.Fatal("OK: warnings must fail only in strict mode")
	}
}
