package capture

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/internal/golden"

	"github.com/offcircd/offcircd/devices/decode"
	"github.com/offcircd/offcircd/devices/internal/devtest"

	"github.com/offcircd/offcircd/devices"
)

// TestCaptureCases is the one loop over the device test cases: every
// testdata/<device-model>/ holds config.toml (one [[scanner]] table, a
// replay of the case's capture with that device's options), capture.txt
// (what the device sent, `offcircd capture` format, its header names the
// decoder) and expected.txt (the events, one per line). The capture is fed
// through the decoder the way the read loop feeds it; -update rewrites
// expected.txt.
func TestCaptureCases(t *testing.T) {
	caps, err := filepath.Glob(filepath.Join("..", "..", "testdata", "*", "capture.txt"))
	if err != nil || len(caps) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	decoders := map[string]int{}
	for _, capPath := range caps {
		dir := filepath.Dir(capPath)
		if _, err := os.Stat(filepath.Join(dir, "expected.txt")); err != nil {
			continue // a capture that is not a device case (config tests)
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c, sc := loadCase(t, dir)
			decoders[c.Decoder]++
			dec, err := captureDecoder(c.Decoder, sc, c)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			playCapture(dec, c, time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC), nil, func(evs []devices.Event) bool {
				for _, ev := range evs {
					line := devtest.DescribeEvent(ev)
					if ev.Kind == devices.KindBad {
						line += ": " + devtest.ErrString(ev.Err)
					}
					fmt.Fprintln(&b, line)
					if ev.Kind == devices.KindScan {
						devtest.AssertSafeScan(t, ev, decode.DefaultMaxLength+6) // +6: two AIM identifiers kept
					}
					if ev.Kind == devices.KindBad && ev.Err == nil {
						t.Errorf("bad event without a reason: %+v", ev)
					}
				}
				return true
			})
			golden.Check(t, filepath.Join(dir, "expected.txt"), []byte(caseHeader+b.String()))
		})
	}
	// Every transport with a decoder has cases; a glob gone wrong finds none.
	for _, d := range decode.Names() {
		if decoders[d] == 0 {
			t.Errorf("no test case for decoder %q", d)
		}
	}
}

// caseHeader opens every expected.txt.
const caseHeader = "# kind symbology data (Go-quoted); '-' = no symbology; bad lines end with the reason\n"

// loadCase reads a case's capture and the one [[scanner]] table of its
// config.toml (strictly: an unknown key is an error).
func loadCase(t testing.TB, dir string) (*Capture, config.Scanner) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "capture.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	scs, err := config.ParseScanners(filepath.Join(dir, "config.toml"), raw)
	if err != nil || len(scs) != 1 {
		t.Fatalf("%s/config.toml: %v (%d scanners)", dir, err, len(scs))
	}
	sc := scs[0]
	o, _ := sc.Options.(*Options)
	if sc.Type != "replay" || o == nil || o.Decoder != c.Decoder || o.File != "capture.txt" {
		t.Fatalf("%s/config.toml: want type = \"replay\", decoder = %q, file = \"capture.txt\"; have %q, %+v",
			dir, c.Decoder, sc.Type, o)
	}
	return c, sc
}
