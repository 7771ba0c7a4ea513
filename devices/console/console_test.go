package console

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/devices/internal/devtest"
	"github.com/offcircd/offcircd/encoder"

	"github.com/offcircd/offcircd/devices"
)

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
			evs := devtest.Collect(t, New("c", strings.NewReader(tt.in), slog.New(slog.DiscardHandler)))
			if got := devtest.Summary(evs); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			for _, ev := range evs {
				if ev.Source != "c" {
					t.Errorf("event without source: %+v", ev)
				}
				if ev.Kind == devices.KindScan && encoder.CheckChars("scan", ev.Data) != nil {
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
	go func() {
		done <- New("c", r, slog.New(slog.DiscardHandler)).Run(ctx, make(chan devices.Event, 10))
	}()
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

// TestConsoleBadLineHidesInput: the station logs a bad event's error at
// warn level, and a rejected line may be a patron ID (a wedge scanner that
// sends a space or a control byte inside it), so the error must not quote it.
func TestConsoleBadLineHidesInput(t *testing.T) {
	evs := devtest.Collect(t, New("c", strings.NewReader("P 2103456789\nP\x012103456789\n"), slog.New(slog.DiscardHandler)))
	n := 0
	for _, ev := range evs {
		if ev.Kind != devices.KindBad {
			continue
		}
		n++
		if ev.Err == nil || strings.Contains(ev.Err.Error(), "2103456789") {
			t.Errorf("bad event error %v shows the input", ev.Err)
		}
	}
	if n != 2 {
		t.Fatalf("%d bad events, want 2: %s", n, devtest.Summary(evs))
	}
}
