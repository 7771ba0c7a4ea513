package encoder

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Sentinel errors of the tolerant reader, in addition to the field errors of
// record.go. Line.Err wraps one of them (several joined when a line breaks
// more than one rule).
var (
	ErrEmptyLine   = errors.New("empty line")
	ErrShortLine   = errors.New("line too short for a record")
	ErrTime        = errors.New("bad date/time")
	ErrPatronSpace = errors.New("patron ID contains whitespace")
	ErrTorn        = errors.New("last line has no line end (torn write)")
	ErrLineTooLong = errors.New("line too long")
)

// MaxLineLen is the longest line the reader looks at. Valid lines are at most
// 93+254 bytes; the margin lets the field rules name what is wrong with a
// long line, while a file that is not an OffCirc file at all (one huge line)
// is rejected without buffering it whole.
const MaxLineLen = 64 << 10

// minTimeKey is MinTime as a numeric YYYYMMDDHHMM key.
const minTimeKey = 200001010000

// fields is one line split into its parts. The byte slices point into the
// line; nothing is copied, so the hot path of check and merge allocates
// nothing per line.
type fields struct {
	ts     uint64 // YYYYMMDDHHMM as a number: orders like the 12 characters do
	typ    byte
	item   []byte
	patron []byte
}

// lineErrs collects every rule a line breaks without allocating for the
// common, clean case.
type lineErrs struct {
	n    int
	errs [4]error
}

func (e *lineErrs) add(err error) {
	if e.n < len(e.errs) {
		e.errs[e.n] = err
		e.n++
	}
}

// err returns the collected errors as one (joined when several).
func (e *lineErrs) err() error {
	switch e.n {
	case 0:
		return nil
	case 1:
		return e.errs[0]
	}
	return errors.Join(e.errs[:e.n]...)
}

// isBlank reports the separators the tolerant reader accepts between item
// and patron.
func isBlank(c byte) bool { return c == ' ' || c == '\t' }

const spaces8 = 0x2020202020202020

// spacesItem is a blank item field.
var spacesItem = strings.Repeat(" ", ItemWidth)

// parseFields splits and validates one line (line end already removed). It
// returns the fields, the errors that make the line unusable, and a warning
// for a usable oddity (a return carrying a patron ID).
func parseFields(b []byte, errs *lineErrs, tc *tsCache) (f fields, warn error) {
	if len(b) == 0 {
		errs.add(ErrEmptyLine)
		return f, nil
	}
	if len(b) <= TimeLen {
		errs.add(fmt.Errorf("%w (%d characters, a record needs at least %d)", ErrShortLine, len(b), TimeLen+2))
		return f, nil
	}
	ts, err := tc.parse(b[:TimeLen])
	if err != nil {
		errs.add(err)
	}
	f.ts = ts
	f.typ = b[TimeLen]
	if f.typ != byte(Loan) && f.typ != byte(Return) {
		errs.add(fmt.Errorf("%w, found %s in column %d", ErrType, quoteByte(f.typ), TimeLen+1))
	}
	rest := b[TimeLen+1:]
	// Trailing padding: canonical returns are padded to column 93, and
	// editors leave blanks behind; neither is part of a field.
	end := len(rest)
	for end >= 8 && binary.LittleEndian.Uint64(rest[end-8:end]) == spaces8 {
		end -= 8
	}
	for end > 0 && isBlank(rest[end-1]) {
		end--
	}
	rest = rest[:end]
	// One pass finds the end of the item and its first bad byte: this runs
	// for every line of million-line files.
	i, bad := 0, -1
	for i < len(rest) {
		if c := rest[i]; c-0x21 > 0x7E-0x21 {
			if isBlank(c) {
				break
			}
			if bad < 0 {
				bad = i
			}
		}
		i++
	}
	if i == len(rest) && i > ItemWidth && f.typ == byte(Loan) {
		// The fixed-width layout leaves no blank between an 80-character
		// item and the patron that starts in column 94.
		f.item, f.patron = rest[:ItemWidth], rest[ItemWidth:]
		bad = badByte(f.item)
	} else {
		f.item = rest[:i]
		// Skip the padding run quickly: it is most of every line, and a
		// string comparison runs on wide registers.
		if n := ItemWidth - i; n > 8 && len(rest) >= ItemWidth && string(rest[i:ItemWidth]) == spacesItem[:n] {
			i = ItemWidth
		}
		for i+8 <= len(rest) && binary.LittleEndian.Uint64(rest[i:]) == spaces8 {
			i += 8
		}
		for i < len(rest) && isBlank(rest[i]) {
			i++
		}
		f.patron = rest[i:]
	}
	switch {
	case len(f.item) == 0:
		errs.add(ErrItemEmpty)
	case len(f.item) > MaxItemLen:
		errs.add(fmt.Errorf("%w (%d)", ErrItemTooLong, len(f.item)))
	case bad >= 0:
		errs.add(charsetErr("item", f.item[bad], TimeLen+2+bad))
	}
	patronCol := TimeLen + 2 + len(rest) - len(f.patron)
	switch {
	case f.typ == byte(Return):
		if len(f.patron) > 0 {
			warn = ErrPatronOnReturn
		}
	case f.typ != byte(Loan):
		// Unknown type: the patron rules depend on it, so say nothing more.
	case len(f.patron) == 0:
		errs.add(ErrPatronEmpty)
	case len(f.patron) > MaxPatronLen:
		errs.add(fmt.Errorf("%w (%d)", ErrPatronTooLong, len(f.patron)))
	default:
		if j := badByte(f.patron); j >= 0 {
			if isBlank(f.patron[j]) {
				errs.add(fmt.Errorf("%w at column %d (a reader splitting on whitespace sees an extra field)", ErrPatronSpace, patronCol+j))
			} else {
				errs.add(charsetErr("patron", f.patron[j], patronCol+j))
			}
		}
	}
	return f, warn
}

// badByte returns the index of the first byte of s outside 0x21–0x7E, or -1.
func badByte(s []byte) int {
	for i, c := range s {
		if c-0x21 > 0x7E-0x21 {
			return i
		}
	}
	return -1
}

// charsetErr describes a bad byte with its 1-based column in the line.
func charsetErr(field string, c byte, col int) error {
	return fmt.Errorf("%s: byte 0x%02X at column %d: %w", field, c, col, ErrCharset)
}

// quoteByte shows a type byte readably in a message.
func quoteByte(c byte) string {
	if c >= 0x21 && c <= 0x7E {
		return fmt.Sprintf("%q", string(rune(c)))
	}
	return fmt.Sprintf("byte 0x%02X", c)
}

// tsCache remembers the last valid timestamp: consecutive lines mostly
// share their minute, and comparing 12 bytes is cheaper than validating
// them.
type tsCache struct {
	key   [TimeLen]byte
	ts    uint64
	valid bool
}

func (c *tsCache) parse(s []byte) (uint64, error) {
	if c.valid && string(s) == string(c.key[:]) {
		return c.ts, nil
	}
	ts, err := parseTimeKey(s)
	if err == nil {
		copy(c.key[:], s)
		c.ts, c.valid = ts, true
	}
	return ts, err
}

// daysIn is the length of each month in a non-leap year.
var daysIn = [13]uint64{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// parseTimeKey validates YYYYMMDDHHMM as a calendar date and clock time and
// returns it as a number. It works on the digits, not through time.Time,
// because it runs for every line of million-line files.
func parseTimeKey(s []byte) (uint64, error) {
	var v uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w %q: not 12 digits YYYYMMDDHHMM", ErrTime, s)
		}
		v = v*10 + uint64(c-'0')
	}
	year, month, day := v/1e8, v/1e6%100, v/1e4%100
	hour, minute := v/100%100, v%100
	var why string
	switch {
	case month < 1 || month > 12:
		why = "month out of range"
	case day < 1 || day > daysIn[month] && !(month == 2 && day == 29 && isLeap(year)):
		why = "day out of range"
	case hour > 23:
		why = "hour out of range"
	case minute > 59:
		why = "minute out of range"
	case v < minTimeKey:
		return v, fmt.Errorf("%w %q: %w", ErrTime, s, ErrTimeTooEarly)
	default:
		return v, nil
	}
	return v, fmt.Errorf("%w %q: %s", ErrTime, s, why)
}

func isLeap(y uint64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// appendCanonical appends the canonical line (SPEC §1, CRLF included) of
// valid fields. A return's stray patron is dropped. It writes the original
// 12 digits rather than a reformatted time.Time so that a wall-clock time in
// a DST gap is kept as the station wrote it.
func appendCanonical(dst []byte, line []byte, f fields) []byte {
	dst = append(dst, line[:TimeLen+1]...)
	dst = append(dst, f.item...)
	for i := len(f.item); i < ItemWidth; i++ {
		dst = append(dst, ' ')
	}
	if f.typ == byte(Loan) {
		dst = append(dst, f.patron...)
	}
	return append(dst, '\r', '\n')
}

// Line is one line of a data file as the Reader saw it.
type Line struct {
	Num    int    // 1-based, as in Alma's job report ("Line 4: ...")
	Raw    []byte // without the line end; valid only until the next call to Next
	Record Record // valid when Err is nil
	Err    error  // why the line is not a usable record; nil when it is
	Warn   error  // oddity of a usable line: ErrPatronOnReturn (Record has the patron dropped)
}

// Reader reads a data file line by line without holding it in memory. It
// accepts LF or CRLF, a tab or any run of spaces between item and patron,
// and unpadded returns.
type Reader struct {
	br   *bufio.Reader
	loc  *time.Location
	num  int
	err  error
	done bool
	errs lineErrs
	tc   tsCache
	head []byte // start of an over-long line, kept to show

	lastTS   uint64 // cache: consecutive lines mostly share a minute
	lastTime time.Time
}

// NewReader returns a Reader of r; times are wall-clock times in loc
// (nil means time.Local).
func NewReader(r io.Reader, loc *time.Location) *Reader {
	if loc == nil {
		loc = time.Local
	}
	return &Reader{br: bufio.NewReaderSize(r, MaxLineLen), loc: loc}
}

// Next returns the next line and true, or false at the end of the input or
// on a read error (see Err).
func (r *Reader) Next() (Line, bool) {
	raw, torn, ok := r.next()
	if !ok {
		return Line{}, false
	}
	l := Line{Num: r.num, Raw: raw}
	if torn != nil {
		l.Err = torn
		return l, true
	}
	r.errs = lineErrs{}
	f, warn := parseFields(raw, &r.errs, &r.tc)
	if err := r.errs.err(); err != nil {
		l.Err = err
		return l, true
	}
	l.Warn = warn
	l.Record = r.record(f)
	return l, true
}

// Err returns the first read error, or nil at a clean end of input.
func (r *Reader) Err() error { return r.err }

// record turns valid fields into a Record.
func (r *Reader) record(f fields) Record {
	if f.ts != r.lastTS || r.lastTime.IsZero() {
		v := f.ts
		r.lastTS = f.ts
		r.lastTime = time.Date(int(v/1e8), time.Month(v/1e6%100), int(v/1e4%100),
			int(v/100%100), int(v%100), 0, 0, r.loc)
	}
	rec := Record{Time: r.lastTime, Type: Type(f.typ), Item: string(f.item)}
	if f.typ == byte(Loan) {
		rec.Patron = string(f.patron)
	}
	return rec
}

// next returns the next raw line without its line end. torn is non-nil for a
// last line without a line end or a line longer than MaxLineLen.
func (r *Reader) next() (raw []byte, torn error, ok bool) {
	if r.done {
		return nil, nil, false
	}
	b, err := r.br.ReadSlice('\n')
	switch {
	case err == nil:
		r.num++
		b = b[:len(b)-1]
		if len(b) > 0 && b[len(b)-1] == '\r' {
			b = b[:len(b)-1]
		}
		return b, nil, true
	case errors.Is(err, bufio.ErrBufferFull):
		r.num++
		r.head = append(r.head[:0], b[:64]...)
		head := r.head
		// Discard the rest of the line; keep only a prefix to show.
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = r.br.ReadSlice('\n')
		}
		if err != nil && err != io.EOF {
			r.done, r.err = true, fmt.Errorf("encoder: line %d: %w", r.num, err)
		}
		return head, fmt.Errorf("%w (more than %d bytes; not an OffCirc file?)", ErrLineTooLong, MaxLineLen), true
	case err == io.EOF:
		r.done = true
		if len(b) == 0 {
			return nil, nil, false
		}
		r.num++
		return b, ErrTorn, true
	default:
		r.done, r.err = true, fmt.Errorf("encoder: line %d: %w", r.num+1, err)
		return nil, nil, false
	}
}

// ParseLine parses one line, with or without its line end, as the Reader
// would. It returns the record and nil, or the reasons the line is not a
// usable record. A return's stray patron ID is dropped without error.
func ParseLine(line []byte, loc *time.Location) (Record, error) {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	// The Reader's limit counts the line with its CR: MaxLineLen bytes
	// before the LF do not fit its buffer.
	if len(line) >= MaxLineLen {
		return Record{}, ErrLineTooLong
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	r := Reader{loc: loc}
	if loc == nil {
		r.loc = time.Local
	}
	f, _ := parseFields(line, &r.errs, &r.tc)
	if err := r.errs.err(); err != nil {
		return Record{}, err
	}
	return r.record(f), nil
}
