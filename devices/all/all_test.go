package all

import (
	"slices"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
	"github.com/offcircd/offcircd/devices/serial"
)

// TestTablesMatchConfig keeps what config knows of the scanner types equal
// to what the devices build and play: one registration gives both, and a
// beep profile config lets a type take that its transport does not play
// fails here.
func TestTablesMatchConfig(t *testing.T) {
	if got, want := config.ScannerTypes(), []string{"serial", "hid-pos", "hid-keyboard", "console", "replay"}; !slices.Equal(got, want) {
		t.Errorf("scanner types %v, want %v (the docs' order)", got, want)
	}
	if got, want := devices.Types(), slices.Sorted(slices.Values(config.ScannerTypes())); !slices.Equal(got, want) {
		t.Errorf("sources %v, config's types %v", got, want)
	}
	// Every profile config lets a type take is one its transport plays.
	play := map[string]func(profile string) error{
		"serial": func(p string) error { _, err := serial.BeepBytes(p, string(config.PatternGood), nil); return err },
		"hid-pos": func(p string) error {
			_, err := decode.POSBeep(p, nil, "honeywell", string(config.PatternGood))
			return err
		},
	}
	for typ, profiles := range config.ScannerBeeps() {
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
	if got, want := serial.BeepProfiles(), slices.Sorted(slices.Values(append([]string{"none"}, config.ScannerBeeps()["serial"]...))); !slices.Equal(got, want) {
		t.Errorf("serial profiles %v, config's %v", got, want)
	}
}

// TestDefaultTOMLListsTheDecoders keeps the replay example of the commented
// default configuration equal to the decoders a replay takes.
func TestDefaultTOMLListsTheDecoders(t *testing.T) {
	doc := strings.ReplaceAll(string(config.DefaultTOML), "\n# ", " ")
	if want := "# " + strings.Join(decode.Names(), " | ") + ", with"; !strings.Contains(doc, want) {
		t.Errorf("default.toml does not list %q", want)
	}
}
