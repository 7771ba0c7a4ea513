package encoder

import (
	"errors"
	"fmt"
	"time"
)

// Type is the transaction type of a record: loan or return.
type Type byte

// The two transaction types Alma's offline upload understands.
const (
	Loan   Type = 'L'
	Return Type = 'R'
)

// String returns "L" or "R" (or a quoted byte for an invalid type).
func (t Type) String() string {
	if t == Loan || t == Return {
		return string(rune(t))
	}
	return fmt.Sprintf("%q", byte(t))
}

// MarshalText writes the type as "L" or "R", so JSON logs and status files
// show the letter rather than its byte value.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Field limits of SPEC §1.
const (
	TimeLen      = 12                      // YYYYMMDDHHMM
	ItemWidth    = 80                      // the item field is right-padded to exactly this width
	MaxItemLen   = 80                      // longest item barcode
	MaxPatronLen = 254                     // longest patron ID
	ReturnLen    = TimeLen + 1 + ItemWidth // a return line is exactly 93 characters before CRLF
	TimeLayout   = "200601021504"
)

// MinTime is the earliest timestamp accepted: a clock before 2000 means an
// unset RTC on a kiosk and would put records at the start of Alma's history.
var MinTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Record is one loan or return. Time is kept with its location; Encode
// formats it in that location at minute resolution.
type Record struct {
	Time   time.Time
	Type   Type
	Item   string
	Patron string // loans only
}

// Sentinel errors for field validation, tested with errors.Is.
var (
	ErrType           = errors.New("type must be L or R")
	ErrItemEmpty      = errors.New("item barcode is empty")
	ErrItemTooLong    = errors.New("item barcode longer than 80 characters")
	ErrPatronEmpty    = errors.New("loan without patron ID")
	ErrPatronTooLong  = errors.New("patron ID longer than 254 characters")
	ErrPatronOnReturn = errors.New("return with a patron ID")
	ErrCharset        = errors.New("character outside printable ASCII 0x21-0x7E")
	ErrTimeTooEarly   = errors.New("time before 2000-01-01 (is the clock set?)")
)

// CheckChars reports the first byte of s outside 0x21–0x7E, wrapped in ErrCharset.
func CheckChars(field, s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7E {
			return fmt.Errorf("%s: byte 0x%02X at position %d: %w", field, c, i+1, ErrCharset)
		}
	}
	return nil
}

// ValidateItem checks an item barcode against SPEC §1.
func ValidateItem(item string) error {
	switch {
	case item == "":
		return ErrItemEmpty
	case len(item) > MaxItemLen:
		return fmt.Errorf("%w (%d)", ErrItemTooLong, len(item))
	}
	return CheckChars("item", item)
}

// ValidatePatron checks a patron ID against SPEC §1.
func ValidatePatron(patron string) error {
	switch {
	case patron == "":
		return ErrPatronEmpty
	case len(patron) > MaxPatronLen:
		return fmt.Errorf("%w (%d)", ErrPatronTooLong, len(patron))
	}
	return CheckChars("patron", patron)
}

// Validate checks every field of r; a record that passes encodes to a line
// that Parse accepts.
func (r Record) Validate() error {
	if r.Time.Before(MinTime) {
		return ErrTimeTooEarly
	}
	if y := r.Time.Year(); y > 9999 {
		return fmt.Errorf("time year %d does not fit 4 digits", y)
	}
	if err := ValidateItem(r.Item); err != nil {
		return err
	}
	switch r.Type {
	case Loan:
		return ValidatePatron(r.Patron)
	case Return:
		if r.Patron != "" {
			return ErrPatronOnReturn
		}
		return nil
	default:
		return ErrType
	}
}

// Encode returns the canonical line for r, CRLF included, or the validation
// error. It is the only way bytes reach a data file.
func Encode(r Record) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("encoder: %w", err)
	}
	return AppendLine(make([]byte, 0, ReturnLen+len(r.Patron)+2), r), nil
}

// AppendLine appends the canonical line of an already validated record to b.
func AppendLine(b []byte, r Record) []byte {
	b = r.Time.AppendFormat(b, TimeLayout)
	b = append(b, byte(r.Type))
	b = append(b, r.Item...)
	for i := len(r.Item); i < ItemWidth; i++ {
		b = append(b, ' ')
	}
	b = append(b, r.Patron...)
	return append(b, '\r', '\n')
}

// MaskPatron hides most of a patron ID for logs (personal data):
// "3120161826" → "31***26". Short IDs are masked entirely.
func MaskPatron(id string) string {
	if len(id) < 6 {
		return "***"
	}
	return id[:2] + "***" + id[len(id)-2:]
}
