package capture

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
	"github.com/offcircd/offcircd/devices/internal/devtest"
)

func TestReplay(t *testing.T) {
	dir := t.TempDir()
	capture := "# offcircd capture 1\n# decoder: serial\n# start: 2022-05-10T11:45:00Z\n" +
		"0 50 31 0d\n" + // "P1\r"
		"20 49 31\n" + // "I1" split across two reads
		"25 0d\n" +
		"40 ff 0d\n" + // garbage
		"1500 49 32 0d\n"
	path := filepath.Join(dir, "c.cap")
	if err := os.WriteFile(path, []byte(capture), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := config.Scanner{Name: "r", Type: "replay", Options: &Options{File: path, RecordedTime: true, Speed: 10, Config: decode.Config{Framing: decode.Framing{Terminator: "cr"}}}}
	src, err := newReplay(sc, devices.Env{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	evs := devtest.Collect(t, src)
	if got, want := devtest.Summary(evs), "state:connected scan:P1 scan:I1 bad scan:I2 state:stopped"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	base := time.Date(2022, 5, 10, 11, 45, 0, 0, time.UTC)
	if !evs[1].Time.Equal(base) || !evs[4].Time.Equal(base.Add(1500*time.Millisecond)) {
		t.Errorf("recorded times not kept: %v %v", evs[1].Time, evs[4].Time)
	}
	// 1.5 s of capture at speed 10 takes ~150 ms: timing is replayed, scaled.
	if el := time.Since(start); el < 140*time.Millisecond || el > 5*time.Second {
		t.Errorf("replay took %v, want about 150ms", el)
	}
}

func TestReplayErrors(t *testing.T) {
	dir := t.TempDir()
	noHeader := filepath.Join(dir, "n.cap")
	os.WriteFile(noHeader, []byte("0 41 0d\n"), 0o644)
	bad := filepath.Join(dir, "b.cap")
	os.WriteFile(bad, []byte("0 zz\n"), 0o644)
	tests := []struct {
		name string
		sc   config.Scanner
		want string
	}{
		{"missing file", config.Scanner{Options: &Options{File: filepath.Join(dir, "none.cap"), Decoder: "serial"}}, "no such file"},
		{"bad capture", config.Scanner{Options: &Options{File: bad, Decoder: "serial"}}, "line 1"},
		{"no decoder anywhere", config.Scanner{Options: &Options{File: noHeader}}, "no decoder"},
		{"unknown decoder", config.Scanner{Options: &Options{File: noHeader, Decoder: "morse"}}, "unknown decoder"},
		{"recorded time without start", config.Scanner{Options: &Options{File: noHeader, Decoder: "serial", RecordedTime: true}}, "start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sc.Name, tt.sc.Type = "r", "replay"
			_, err := newReplay(tt.sc, devices.Env{}, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// The replay type is registered as devices/all registers it.
func init() { Register() }
