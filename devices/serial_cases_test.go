package devices

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/offcircd/offcircd/config"
)

// TestSerialCaptureCases replays testdata/serial/cases/<case>/capture
// through the serial decoder configured by scanner.toml, the way a read
// loop would (Idle every 10 ms between chunks), and compares the events
// with expected.
func TestSerialCaptureCases(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "serial", "cases", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var sc config.Scanner
			raw, err := os.ReadFile(filepath.Join(dir, "scanner.toml"))
			if err != nil {
				t.Fatal(err)
			}
			dec := toml.NewDecoder(strings.NewReader(string(raw)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&sc); err != nil {
				t.Fatalf("scanner.toml: %v", err)
			}
			f, err := os.Open(filepath.Join(dir, "capture"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			capt, err := ReadCapture(f)
			if err != nil {
				t.Fatal(err)
			}
			if capt.Decoder != "serial" {
				t.Fatalf("capture decoder %q", capt.Decoder)
			}
			d, err := NewDecoder("serial", sc)
			if err != nil {
				t.Fatal(err)
			}
			var evs []Event
			playCapture(d, capt, serialT0, nil, func(e []Event) bool {
				evs = append(evs, e...)
				return true
			})
			want, err := os.ReadFile(filepath.Join(dir, "expected"))
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(renderSerial(evs), "\n") + "\n"
			if got != string(want) {
				t.Errorf("events:\n%s\nwant:\n%s", got, want)
			}
			for _, ev := range evs {
				assertSafeScan(t, ev)
			}
		})
	}
}
