//go:build !windows

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/daemon/status"
	"github.com/offcircd/offcircd/encoder"
)

// With no patterns, the next patron's card scanned without DONE is taken
// for an item (a guess). Whatever then happens to that record (written,
// undone by staff, spooled because the data file cannot be written) the
// card number never reaches the log whole at the default level.
func TestGuessedItemMaskedInEveryLogLine(t *testing.T) {
	const first, next = "2900011112222", "2900033334444"
	for _, tt := range []struct {
		name   string
		spool  bool // the data file cannot be written: records are spooled
		undo   bool
		record string
	}{
		{name: "undone", undo: true, record: "record undone"},
		{name: "spooled", spool: true, record: "record spooled"},
		{name: "spooled and undone", spool: true, undo: true, record: "spooled record removed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "offcircd.toml")
			body := "station = \"guess-desk\"\ndata_dir = \"files\"\nstate_dir = \"state\"\ndefault_mode = \"loan\"\n\n[[scanner]]\nname = \"desk\"\ntype = \"console\"\n"
			if err := os.WriteFile(cfg, []byte(body), 0o640); err != nil {
				t.Fatal(err)
			}
			if tt.spool {
				// A folder where the data file should be: not writable as a
				// file, whoever runs the test (root ignores modes).
				if err := os.MkdirAll(filepath.Join(dir, "files", "OffCirc.dat"), 0o750); err != nil {
					t.Fatal(err)
				}
			}
			st := startStation(t, cfg, filepath.Join(dir, "state"))
			fmt.Fprintf(st.stdin, "%s\n39000001\n%s\n", first, next)
			if tt.undo {
				fmt.Fprintf(st.stdin, "OFFCIRC:UNDO\n")
			}
			fmt.Fprintf(st.stdin, "39000002\n")
			waitStatus(t, st.statusPath, st.logs, func(s status.Status) bool {
				l := st.logs.String() // the last item, logged whole or masked
				return strings.Contains(l, "39000002") || strings.Contains(l, encoder.MaskPatron("39000002"))
			})
			st.stop(t)
			logs := st.logs.String()
			if strings.Contains(logs, next) {
				t.Errorf("the guessed card %s is in the log:\n%s", next, logs)
			}
			if !strings.Contains(logs, tt.record) || !strings.Contains(logs, encoder.MaskPatron(next)) {
				t.Errorf("want a %q line naming the guessed card masked (%s):\n%s", tt.record, encoder.MaskPatron(next), logs)
			}
		})
	}
}
