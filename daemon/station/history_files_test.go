package station

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// History reads spool lines (behind their checksum) as well as data file
// lines, skips a line too long to be a record and reads on after it, and
// takes nothing from a torn last line or a file that is not there.
func TestHistoryReadsEveryKindOfLine(t *testing.T) {
	dir := t.TempDir()
	rec := func(item, patron string) string {
		return "202403011100L" + item + strings.Repeat(" ", 80-len(item)) + patron + "\r\n"
	}
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	torn := strings.TrimSuffix(rec("T1", "TP1"), "\r\n") // a write cut by a power failure: no record
	// The second overlong line ends in a record's text exactly one read
	// buffer (64 KiB) in: its tail is still the overlong line, not a record.
	overlongEndingInRecord := strings.Repeat("x", 64<<10) + rec("X9", "XP9")
	data := write("OffCirc.dat", rec("D1", "DP1")+strings.Repeat("x", 70<<10)+"\r\n"+overlongEndingInRecord+rec("D2", "DP2")+torn)
	spool := write("spool.dat", "0a1b2c3d "+rec("S1", "SP1"))
	h := LoadHistory(data, spool, filepath.Join(dir, "no-archive"), slog.New(slog.DiscardHandler))
	for _, tc := range []struct {
		code string
		want Class
	}{
		{"D1", ClassItem}, {"DP1", ClassPatron}, {"D2", ClassItem}, {"DP2", ClassPatron},
		{"S1", ClassItem}, {"SP1", ClassPatron}, {"0a1b2c3d", ClassUnknown},
		{"T1", ClassUnknown}, {"TP1", ClassUnknown}, {"X9", ClassUnknown}, {"XP9", ClassUnknown},
	} {
		if got := h.Class(tc.code); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.code, got, tc.want)
		}
	}
}
