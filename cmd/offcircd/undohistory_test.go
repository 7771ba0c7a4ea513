//go:build !windows

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/daemon/status"
)

// With no patterns, a patron's card lent as an item by mistake and undone
// is that patron's card again: the next scan of it starts a session; and a
// book taken for the patron, its loan undone, can then be returned.
func TestUndoneScanIsForgotten(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "offcircd.toml")
	body := "station = \"undo-desk\"\ndata_dir = \"files\"\nstate_dir = \"state\"\ndefault_mode = \"loan\"\n\n[[scanner]]\nname = \"desk\"\ntype = \"console\"\n"
	if err := os.WriteFile(cfg, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
	st := startStation(t, cfg, filepath.Join(dir, "state"))
	// The next patron's card taken for an item, undone; DONE; the card again.
	fmt.Fprintf(st.stdin, "2900011112222\n2900033334444\nOFFCIRC:UNDO\nOFFCIRC:DONE\n2900033334444\n39000001\nOFFCIRC:DONE\n")
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.RecordsTotal == 1 && !s.PatronPresent })
	// A book taken for the patron, the loan of the next book undone, then
	// the first book returned.
	fmt.Fprintf(st.stdin, "BOOK0001\nBOOK0002\nOFFCIRC:UNDO\nOFFCIRC:RETURN\nBOOK0001\n")
	waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool { return s.ReturnsTotal == 1 })
	st.stop(t)
	b, _ := os.ReadFile(filepath.Join(dir, "files", "OffCirc.dat"))
	lines := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "L39000001 ") || !strings.HasSuffix(lines[0], " 2900033334444") ||
		!strings.Contains(lines[1], "RBOOK0001 ") {
		t.Errorf("OffCirc.dat = %q, want the loan of 39000001 to 2900033334444 and the return of BOOK0001\n%s", b, st.logs.String())
	}
}
