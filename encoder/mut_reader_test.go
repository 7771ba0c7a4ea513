package encoder

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The line-by-line Reader (offcircd learn, the history at start) ends
// cleanly after a last line that is too long and has no line end; a read
// error names the line it cut, also while an over-long line is skipped.
func TestReaderEndsAfterLongLastLine(t *testing.T) {
	data := canon("202205101145", Return, "1", "") + strings.Repeat("x", 2*MaxLineLen)
	rd := NewReader(strings.NewReader(data), time.UTC)
	var got []string
	for {
		l, ok := rd.Next()
		if !ok {
			break
		}
		got = append(got, fmt.Sprint(l.Num, " ", l.Err))
	}
	want := []string{"1 <nil>", fmt.Sprint("2 ", errTooLong)}
	if strings.Join(got, "|") != strings.Join(want, "|") || rd.Err() != nil {
		t.Fatalf("lines %q, Err %v; want %q and no error", got, rd.Err(), want)
	}

	for _, tail := range []string{"", strings.Repeat("y", 2*MaxLineLen)} {
		two := canon("202205101145", Return, "1", "") + canon("202205101146", Return, "2", "") + tail
		rd = NewReader(&ioErrReader{data: []byte(two)}, time.UTC)
		n := 0
		for {
			if _, ok := rd.Next(); !ok {
				break
			}
			n++
		}
		wantLine := "line 3:"
		if !errors.Is(rd.Err(), errDisk) || !strings.Contains(rd.Err().Error(), wantLine) {
			t.Fatalf("tail %d bytes: Err = %v, want the disk error at %s", len(tail), rd.Err(), wantLine)
		}
		if wantN := 2 + min(len(tail), 1); n != wantN {
			t.Fatalf("tail %d bytes: %d lines, want %d", len(tail), n, wantN)
		}
	}
}

// ParseLine takes a line as the Reader does: an empty line (with or
// without its line end) is ErrEmptyLine, not a crash, and a line of
// MaxLineLen bytes or more is too long, as the Reader finds it.
func TestParseLineEmptyAndLongest(t *testing.T) {
	for _, in := range []string{"", "\n", "\r\n"} {
		if _, err := ParseLine([]byte(in), time.UTC); !errors.Is(err, ErrEmptyLine) {
			t.Errorf("ParseLine(%q) = %v, want %v", in, err, ErrEmptyLine)
		}
	}
	for _, n := range []int{MaxLineLen - 2, MaxLineLen - 1, MaxLineLen, MaxLineLen + 1} {
		line := "202205101145L1 " + strings.Repeat("p", n-15)
		for _, end := range []string{"", "\n", "\r\n"} {
			rd := NewReader(strings.NewReader(line+end), time.UTC)
			l, _ := rd.Next()
			_, err := ParseLine([]byte(line+end), time.UTC)
			if errors.Is(err, ErrLineTooLong) != errors.Is(l.Err, ErrLineTooLong) {
				t.Errorf("%d bytes + %q: ParseLine says %v, the Reader %v", n, end, err, l.Err)
			}
			if long := n+len(end) > MaxLineLen || n == MaxLineLen; long != errors.Is(err, ErrLineTooLong) {
				t.Errorf("%d bytes + %q: ParseLine says %v", n, end, err)
			}
		}
	}
}

// Encode takes years up to 9999 (the 4 digits of the time field) and names
// the 1-based position of a bad byte in a field.
func TestEncodeYearAndPositionInMessage(t *testing.T) {
	r := Record{Time: time.Date(9999, 12, 31, 23, 59, 0, 0, time.UTC), Type: Return, Item: "1"}
	line, err := Encode(r)
	if err != nil || !bytes.HasPrefix(line, []byte("999912312359R1 ")) {
		t.Fatalf("year 9999: %q %v", line, err)
	}
	r.Time = r.Time.Add(time.Minute)
	if _, err := Encode(r); err == nil {
		t.Fatal("year 10000 encoded")
	}
	r = Record{Time: time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC), Type: Loan, Item: "ab\x07c", Patron: "P1"}
	if _, err := Encode(r); err == nil || !strings.Contains(err.Error(), "item: byte 0x07 at position 3") || !errors.Is(err, ErrCharset) {
		t.Fatalf("bad item byte: %v", err)
	}
	r.Item, r.Patron = "1", "P\x7f"
	if _, err := Encode(r); err == nil || !strings.Contains(err.Error(), "patron: byte 0x7F at position 2") {
		t.Fatalf("bad patron byte: %v", err)
	}
}

// MaskPatron keeps the first and last two characters of IDs of six
// characters or more and hides shorter ones entirely.
func TestMaskPatronShapes(t *testing.T) {
	for id, want := range map[string]string{
		"12345": "***", "123456": "12***56", "3120161826": "31***26", "": "***",
	} {
		if got := MaskPatron(id); got != want {
			t.Errorf("MaskPatron(%q) = %q, want %q", id, got, want)
		}
	}
}

// SniffText: both UTF-16 byte order marks are named as UTF-16 (not as a
// NUL byte), a NUL byte at the very start is found, a file of any
// printable ASCII (padding spaces, '!' and '~' included) is text, and the
// share of odd bytes may reach 30 % but not exceed it.
func TestSniffTextEdges(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string // want: "" = text, else a part of the error
	}{
		{"UTF-16 LE", "\xff\xfe2\x000\x002\x00", "UTF-16 text (saved as"},
		{"UTF-16 BE", "\xfe\xff\x002\x000\x002", "UTF-16 text (saved as"},
		{"NUL first", "\x00" + canon("202205101145", Return, "1", ""), "a NUL byte at offset 0"},
		{"padded returns", strings.Repeat(canon("202205101145", Return, "1", ""), 20), ""},
		{"tildes", strings.Repeat("202205101145L~~~~~~~~ ~~~~~~~~\r\n", 20), ""},
		{"bangs and tabs", strings.Repeat("202205101145L!!!!!!!!\t!!!!!!!!\r\n", 20), ""},
		{"30 % odd", "1234567\x80\x81\x82", ""},
		{"40 % odd", "123456\x80\x81\x82\x83", "4 of the first 10 bytes"},
	} {
		err := SniffText([]byte(tc.in))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want text", tc.name, err)
		case tc.want != "" && (err == nil || !errors.Is(err, ErrNotText) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
