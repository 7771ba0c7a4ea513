package station

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/encoder"
)

// TestHistoryBounded: the index never holds more than HistoryMax barcodes
// and never reads more than HistoryReadMax bytes, newest files first.
func TestHistoryBounded(t *testing.T) {
	oldMax, oldRead := HistoryMax, HistoryReadMax
	t.Cleanup(func() { HistoryMax, HistoryReadMax = oldMax, oldRead })
	dir := t.TempDir()
	line := func(item, patron string) string {
		return "202403011100L" + item + strings.Repeat(" ", 80-len(item)) + patron + "\r\n"
	}
	var data, old strings.Builder
	for i := range 50 {
		data.WriteString(line(fmt.Sprintf("I%03d", i), fmt.Sprintf("P%03d", i)))
		old.WriteString(line(fmt.Sprintf("OLD%03d", i), "Q"))
	}
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dataFile := write("OffCirc.dat", data.String())
	if err := os.Mkdir(filepath.Join(dir, "archive"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join("archive", "OffCirc-20240101-000000.dat"), old.String())
	log := slog.New(slog.DiscardHandler)

	HistoryMax, HistoryReadMax = 40, 1<<20
	h := LoadHistory(dataFile, filepath.Join(dir, "none"), filepath.Join(dir, "archive"), log)
	if h.Len() > 40 || h.Class("P000") != ClassPatron || h.Class("I000") != ClassItem || h.Class("OLD000") != ClassUnknown {
		t.Fatalf("len %d, P000 %v, I000 %v, OLD000 %v", h.Len(), h.Class("P000"), h.Class("I000"), h.Class("OLD000"))
	}
	h.Add(encoder.Record{Type: encoder.Loan, Item: "NEW", Patron: "NEWP"})
	if h.Len() > 40 {
		t.Fatalf("Add grew the full index to %d", h.Len())
	}

	HistoryMax, HistoryReadMax = 1000, int64(len(data.String())+10*len(line("OLD000", "Q")))
	h = LoadHistory(dataFile, filepath.Join(dir, "none"), filepath.Join(dir, "archive"), log)
	if h.Class("OLD000") != ClassItem || h.Class("OLD020") != ClassUnknown {
		t.Fatalf("read budget: OLD000 %v OLD020 %v (len %d)", h.Class("OLD000"), h.Class("OLD020"), h.Len())
	}
	if h.Class("Q") != ClassPatron || h.Class("NOPE") != ClassUnknown {
		t.Fatal("classes")
	}
}
