package store

import (
	"errors"
	"fmt"

	"github.com/offcircd/offcircd/encoder"
)

// checkLine reports whether line is exactly a canonical record as Encode
// writes it (CRLF included). The spool holds only such lines; anything else
// found there is corruption and must not be copied into the data file.
// This is stricter than encoder's tolerant reader on purpose.
func checkLine(line []byte) error {
	n := len(line)
	if n < encoder.ReturnLen+2 || line[n-2] != '\r' || line[n-1] != '\n' {
		return errors.New("not a complete CRLF record line")
	}
	body := line[:n-2]
	for i := 0; i < encoder.TimeLen; i++ {
		if body[i] < '0' || body[i] > '9' {
			return fmt.Errorf("time: byte %d is not a digit", i+1)
		}
	}
	item := body[encoder.TimeLen+1 : encoder.ReturnLen]
	end := 0
	for end < len(item) && item[end] != ' ' {
		end++
	}
	if end == 0 {
		return encoder.ErrItemEmpty
	}
	for _, c := range item[end:] {
		if c != ' ' {
			return errors.New("item field: space inside the barcode")
		}
	}
	if err := encoder.CheckChars("item", string(item[:end])); err != nil {
		return err
	}
	patron := body[encoder.ReturnLen:]
	switch encoder.Type(body[encoder.TimeLen]) {
	case encoder.Loan:
		return encoder.ValidatePatron(string(patron))
	case encoder.Return:
		if len(patron) > 0 {
			return encoder.ErrPatronOnReturn
		}
		return nil
	}
	return encoder.ErrType
}
