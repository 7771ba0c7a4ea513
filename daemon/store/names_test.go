package store

import (
	"slices"
	"testing"

	"github.com/offcircd/offcircd/config"
)

// config refuses configurations whose files collide with the station's own
// files; it can only do that while it knows their names.
func TestOwnFileNamesKnownToConfig(t *testing.T) {
	for _, name := range []string{spoolName, drainLogName, LockFileName} {
		if !slices.Contains(config.StateFiles, name) {
			t.Errorf("config.StateFiles lacks %q", name)
		}
	}
	if tornMark != config.TornMark {
		t.Errorf("torn side files are marked %q, config expects %q", tornMark, config.TornMark)
	}
}
