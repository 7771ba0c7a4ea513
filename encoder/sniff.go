package encoder

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrNotText means an input is not a text data file at all (a binary file,
// a spreadsheet, UTF-16 text): checking it line by line would print one
// error per "line" of noise instead of the one thing that is wrong.
var ErrNotText = errors.New("not a text data file")

// SniffLen is how much of the start of an input SniffText needs.
const SniffLen = 8192

// maxOddShare is the share of bytes outside printable ASCII and line ends
// above which the start of a file is not text (the rule of Perl's -T test).
const maxOddShare = 0.3

// SniffText tells from the start of an input whether it can be a data file.
// A data file is ASCII: a NUL byte, a UTF-16 byte order mark or a large
// share of other bytes means it is not, and the error says which. A few bad
// bytes in otherwise good lines are left for the line rules to report.
func SniffText(head []byte) error {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return fmt.Errorf("%w: UTF-16 text (saved as \"Unicode\", or written by PowerShell's >); save it as ASCII", ErrNotText)
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return fmt.Errorf("%w: a NUL byte at offset %d (a binary file, or UTF-16 text)", ErrNotText, i)
	}
	odd := 0
	for _, b := range head {
		if (b < 0x20 || b > 0x7E) && b != '\r' && b != '\n' && b != '\t' {
			odd++
		}
	}
	if len(head) > 0 && float64(odd) > maxOddShare*float64(len(head)) {
		return fmt.Errorf("%w: %d of the first %d bytes are not printable ASCII", ErrNotText, odd, len(head))
	}
	return nil
}
