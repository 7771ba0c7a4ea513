package devices

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/encoder"
)

// collect runs src until it stops by itself and returns its events.
func collect(t *testing.T, src Source) []Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := make(chan Event, 1000)
	if err := src.Run(ctx, out); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("source did not stop by itself")
	}
	close(out)
	var evs []Event
	for ev := range out {
		evs = append(evs, ev)
	}
	return evs
}

// summary renders events compactly: "scan:X", "bad", "state:connected".
func summary(evs []Event) string {
	var b []string
	for _, ev := range evs {
		switch ev.Kind {
		case KindScan:
			b = append(b, "scan:"+ev.Data)
		case KindBad:
			b = append(b, "bad")
		case KindState:
			b = append(b, "state:"+string(ev.State))
		case KindCommand:
			b = append(b, "cmd:"+string(ev.Command))
		}
	}
	return strings.Join(b, " ")
}

func TestConsole(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"lines", "P1\nI1\n", "state:connected scan:P1 scan:I1 state:stopped"},
		{"crlf and blanks and spaces", "P1\r\n\r\n  \n I1 \r\n", "state:connected scan:P1 scan:I1 state:stopped"},
		{"last line without newline", "P1\nI1", "state:connected scan:P1 scan:I1 state:stopped"},
		{"non-ascii and control bytes rejected", "caf\xc3\xa9\nA\x01B\nA B\nOK\n", "state:connected bad bad bad scan:OK state:stopped"},
		{"overlong line rejected whole, next line fine", strings.Repeat("9", 10000) + "\nI1\n", "state:connected bad scan:I1 state:stopped"},
		{"empty input", "", "state:connected state:stopped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := collect(t, NewConsole("c", strings.NewReader(tt.in), slog.New(slog.DiscardHandler)))
			if got := summary(evs); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			for _, ev := range evs {
				if ev.Source != "c" {
					t.Errorf("event without source: %+v", ev)
				}
				if ev.Kind == KindScan && encoder.CheckChars("scan", ev.Data) != nil {
					t.Errorf("non-printable scan %q", ev.Data)
				}
			}
		})
	}
}

func TestConsoleStopsOnCancel(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- NewConsole("c", r, slog.New(slog.DiscardHandler)).Run(ctx, make(chan Event, 10)) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("console did not stop on cancel while a read was blocked")
	}
}

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
	sc := config.Scanner{Name: "r", Type: "replay", File: path, Terminator: "cr", RecordedTime: true, Speed: 10}
	src, err := NewSource(sc, Env{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	evs := collect(t, src)
	if got, want := summary(evs), "state:connected scan:P1 scan:I1 bad scan:I2 state:stopped"; got != want {
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
		{"missing file", config.Scanner{File: filepath.Join(dir, "none.cap"), Decoder: "serial"}, "no such file"},
		{"bad capture", config.Scanner{File: bad, Decoder: "serial"}, "line 1"},
		{"no decoder anywhere", config.Scanner{File: noHeader}, "no decoder"},
		{"unknown decoder", config.Scanner{File: noHeader, Decoder: "morse"}, "unknown decoder"},
		{"recorded time without start", config.Scanner{File: noHeader, Decoder: "serial", RecordedTime: true}, "start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sc.Name, tt.sc.Type = "r", "replay"
			_, err := NewSource(tt.sc, Env{}, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestConsoleBadLineHidesInput: the station logs a bad event's error at
// warn level, and a rejected line may be a patron ID (a wedge scanner that
// sends a space or a control byte inside it), so the error must not quote it.
func TestConsoleBadLineHidesInput(t *testing.T) {
	evs := collect(t, NewConsole("c", strings.NewReader("P 2103456789\nP\x012103456789\n"), slog.New(slog.DiscardHandler)))
	n := 0
	for _, ev := range evs {
		if ev.Kind != KindBad {
			continue
		}
		n++
		if ev.Err == nil || strings.Contains(ev.Err.Error(), "2103456789") {
			t.Errorf("bad event error %v shows the input", ev.Err)
		}
	}
	if n != 2 {
		t.Fatalf("%d bad events, want 2: %s", n, summary(evs))
	}
}
