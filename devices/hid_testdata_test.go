package devices

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/offcircd/offcircd/config"
)

// loadCase reads one testdata/<vendor-model>/ case: its capture, the
// [[scanner]] table of its config and the expected events.
func hidLoadCase(t testing.TB, dir string) (*Capture, config.Scanner, []string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "capture.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := ReadCapture(f)
	if err != nil {
		t.Fatal(err)
	}
	if c.Decoder != "hid-pos" && c.Decoder != "hid-keyboard" {
		return c, config.Scanner{}, nil // another transport's case
	}
	raw, err := os.ReadFile(filepath.Join(dir, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Scanner []config.Scanner `toml:"scanner"`
	}
	if err := toml.Unmarshal(raw, &cfg); err != nil || len(cfg.Scanner) != 1 {
		t.Fatalf("%s/config.toml: %v (%d scanners)", dir, err, len(cfg.Scanner))
	}
	ef, err := os.Open(filepath.Join(dir, "expected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	var want []string
	sc := bufio.NewScanner(ef)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			want = append(want, l)
		}
	}
	return c, cfg.Scanner[0], want
}

// describe renders an event as an expected.txt line.
func hidDescribe(ev Event) string {
	kind := map[Kind]string{KindScan: "scan", KindBad: "bad", KindCommand: "command", KindState: "state"}[ev.Kind]
	if ev.Kind == KindCommand {
		return "command " + string(ev.Command)
	}
	sym := ev.Symbology
	if sym == "" {
		sym = "-"
	}
	s := fmt.Sprintf("%s %s %q", kind, sym, ev.Data)
	if ev.Patron {
		s += " patron"
	}
	return s
}

// hidPlayCapture feeds a capture through dec the way the read loop does.
func hidPlayCapture(dec Decoder, c *Capture) []Event {
	var out []Event
	playCapture(dec, c, time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC), nil, func(evs []Event) bool {
		out = append(out, evs...)
		return true
	})
	return out
}

func TestHIDTestdataCases(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/*/capture.txt")
	n := 0
	for _, p := range dirs {
		dir := filepath.Dir(p)
		c, sc, want := hidLoadCase(t, dir)
		if c.Decoder != "hid-pos" && c.Decoder != "hid-keyboard" {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			dec, err := captureDecoder(c.Decoder, sc, c)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range hidPlayCapture(dec, c) {
				got = append(got, hidDescribe(ev))
				if ev.Kind == KindScan {
					for i := 0; i < len(ev.Data); i++ {
						if ev.Data[i] < 0x21 || ev.Data[i] > 0x7E {
							t.Errorf("scan %q has byte 0x%02X", ev.Data, ev.Data[i])
						}
					}
				}
				if ev.Kind == KindBad && ev.Err == nil {
					t.Errorf("bad event without a reason: %+v", ev)
				}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("decoded:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
	if n < 9 {
		t.Errorf("only %d HID testdata cases found", n)
	}
}
