package all

import (
	"slices"
	"testing"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
	"github.com/offcircd/offcircd/devices/serial"
)

// TestTablesMatchConfig keeps the devices' registrations equal to config's
// tables: a transport, decoder or beep profile added on one side only fails
// here (config validates against its tables, the daemon builds from these).
func TestTablesMatchConfig(t *testing.T) {
	want := slices.Sorted(slices.Values(slices.Clone(config.ScannerTypes)))
	if got := devices.Types(); !slices.Equal(got, want) {
		t.Errorf("registered scanner types %v, config.ScannerTypes %v", got, want)
	}
	if got, want := decode.Names(), config.ReplayDecoders; !slices.Equal(got, want) {
		t.Errorf("decoders %v, config.ReplayDecoders %v", got, want)
	}
	// Every profile config lets a type take is one its transport plays.
	play := map[string]func(profile string) error{
		"serial": func(p string) error { _, err := serial.BeepBytes(p, string(config.PatternGood), nil); return err },
		"hid-pos": func(p string) error {
			_, err := decode.POSBeep(config.Scanner{Beep: p, POSLayout: "honeywell"}, string(config.PatternGood))
			return err
		},
	}
	for typ, profiles := range config.ScannerBeeps {
		if play[typ] == nil {
			t.Errorf("config lets %s scanners beep; no test plays them", typ)
			continue
		}
		for _, p := range append([]string{"none"}, profiles...) {
			if err := play[typ](p); err != nil {
				t.Errorf("%s scanner, beep %q: %v", typ, p, err)
			}
		}
	}
	if got, want := serial.BeepProfiles(), slices.Sorted(slices.Values(append([]string{"none"}, config.ScannerBeeps["serial"]...))); !slices.Equal(got, want) {
		t.Errorf("serial profiles %v, config's %v", got, want)
	}
}
