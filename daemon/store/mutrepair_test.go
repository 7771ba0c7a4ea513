package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// However long the junk after the last line end (another program wrote
// into OffCirc.dat, a crash left a block of garbage), the repair at start
// moves exactly that junk aside: every whole record before it stays in the
// data file for Alma. Lengths around the repair's read size (4 KiB) put the
// last line end at the first byte of a read.
func TestTornTailOfAnyLengthKeepsWholeLines(t *testing.T) {
	good := linesOf(t, 0, 3)
	for _, n := range []int{1, 4094, 4095, 4096, 8191, 8192} {
		e := newEnv(t)
		os.MkdirAll(e.data, 0o750)
		junk := strings.Repeat("x", n)
		os.WriteFile(e.path(), []byte(good+junk), 0o640)
		e.open(t)
		if got := e.content(t); got != good {
			t.Errorf("%d bytes of junk: data file after repair %q\nwant %q", n, got, good)
			continue
		}
		side, _ := filepath.Glob(filepath.Join(e.state, "OffCirc.dat.torn-*"))
		if len(side) != 1 {
			t.Errorf("%d bytes of junk: side files %v", n, side)
			continue
		}
		if b, _ := os.ReadFile(side[0]); string(b) != junk {
			t.Errorf("%d bytes of junk: side file holds %d bytes, want exactly the junk", n, len(b))
		}
	}
}
