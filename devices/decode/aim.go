package decode

// AIM symbology identifiers ("]cm", ISO/IEC 15424) that scanners may put
// in front of the data. We keep the identifier on the event (logs,
// monitor) and, by default, take it off the data: Alma knows the item by
// its barcode, not by how it was printed.

// aimLen is the length of an AIM symbology identifier: ']' + code + modifier.
const aimLen = 3

// isAIM reports whether b starts with an AIM symbology identifier: ']',
// a code character A–Z/a–z, and a modifier character 0–9/A–Z/a–z.
func isAIM(b []byte) bool {
	if len(b) < aimLen || b[0] != ']' {
		return false
	}
	return isAlpha(b[1]) && (isAlpha(b[2]) || (b[2] >= '0' && b[2] <= '9'))
}

// CutAIM returns s without the AIM symbology identifier it starts with, and
// whether it had one. The station uses it on control barcodes read with
// their identifier kept (aim = "keep", a console passing it through).
func CutAIM(s string) (string, bool) {
	if len(s) < aimLen || !isAIM([]byte(s[:aimLen])) {
		return s, false
	}
	return s[aimLen:], true
}

func isAlpha(c byte) bool { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') }

// aimCode is one frame split into its AIM identifier, main data and add-on.
type aimCode struct {
	sym   string // "]E0", "" when none
	main  []byte // the code itself
	addon []byte // EAN/UPC 2- or 5-digit add-on, nil when none
}

// splitAIM splits a frame into identifier, main code and EAN/UPC add-on.
// An add-on comes either as a second identifier in the same read
// ("]E0" 13 digits "]E1" 2 digits, "]E2" for 5 digits) or as one combined
// "]E3" packet of 13+2 or 13+5 digits. Without an identifier nothing is
// split: an add-on cannot be told from the code then.
func splitAIM(b []byte) aimCode {
	if !isAIM(b) {
		return aimCode{main: b}
	}
	c := aimCode{sym: string(b[:aimLen]), main: b[aimLen:]}
	if c.sym[1] != 'E' {
		return c
	}
	if c.sym == "]E3" && (len(c.main) == 15 || len(c.main) == 18) && allDigits(c.main) {
		c.addon = c.main[13:]
		c.main = c.main[:13]
		return c
	}
	// A second "]E1"/"]E2" after the main code: the add-on read in the same scan.
	for i := 1; i+aimLen <= len(c.main); i++ {
		if c.main[i] == ']' && c.main[i+1] == 'E' && (c.main[i+2] == '1' || c.main[i+2] == '2') {
			c.addon = c.main[i+aimLen:]
			c.main = c.main[:i]
			break
		}
	}
	return c
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
