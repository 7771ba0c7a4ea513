package devices

import (
	"slices"
	"testing"

	"github.com/offcircd/offcircd/config"
)

// TestTablesMatchConfig keeps the devices' registrations equal to config's
// tables: a transport, decoder or beep profile added on one side only fails
// here (config validates against its tables, the daemon builds from these).
func TestTablesMatchConfig(t *testing.T) {
	want := slices.Sorted(slices.Values(slices.Clone(config.ScannerTypes)))
	if got := Types(); !slices.Equal(got, want) {
		t.Errorf("registered scanner types %v, config.ScannerTypes %v", got, want)
	}
	for _, d := range config.ReplayDecoders {
		if _, ok := decoders[d]; !ok {
			t.Errorf("replay decoder %q is not registered", d)
		}
	}
	for _, p := range config.BeepProfiles {
		_, serialErr := SerialBeepBytes(p, string(config.PatternGood), nil)
		_, posErr := posBeep(config.Scanner{Beep: p, POSLayout: "honeywell"}, string(config.PatternGood))
		if serialErr != nil && posErr != nil {
			t.Errorf("beep profile %q: no transport plays it (serial: %v; hid-pos: %v)", p, serialErr, posErr)
		}
	}
}
