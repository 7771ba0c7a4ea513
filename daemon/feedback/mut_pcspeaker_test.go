package feedback

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeTone is a tone device whose tones fail while err is set.
type fakeTone struct {
	err    error
	tones  []int
	closed int
}

func (f *fakeTone) tone(_ context.Context, hz int, _ time.Duration) error {
	f.tones = append(f.tones, hz)
	return f.err
}
func (f *fakeTone) close() error     { f.closed++; return nil }
func (f *fakeTone) describe() string { return "fake" }

// A tone that fails (the module was unloaded, the permission changed) is a
// sink failure the dispatcher counts and logs; the device is closed and
// the next pattern opens it again, so the speaker heals by itself.
func TestPCSpeakerToneFailureReopens(t *testing.T) {
	errGone := errors.New("speaker gone")
	first := &fakeTone{err: errGone}
	second := &fakeTone{}
	opened := 0
	sp := &PCSpeaker{dev: first, clock: RealClock{}, open: func() (toneDevice, error) {
		opened++
		return second, nil
	}}
	tones := []Tone{{Freq: 440, Dur: time.Millisecond}, {Freq: 880, Dur: time.Millisecond}}
	if err := sp.Play(context.Background(), Good, tones); !errors.Is(err, errGone) {
		t.Fatalf("Play = %v, want the tone's error", err)
	}
	if first.closed != 1 || len(first.tones) != 1 || sp.Device() != "(closed)" {
		t.Fatalf("after the failure: closed %d, tones %v, device %q", first.closed, first.tones, sp.Device())
	}
	if err := sp.Play(context.Background(), Good, tones); err != nil || opened != 1 || len(second.tones) != 2 {
		t.Fatalf("next Play = %v, opened %d, tones %v", err, opened, second.tones)
	}
	if err := sp.Close(); err != nil || second.closed != 1 || sp.Device() != "(closed)" {
		t.Fatalf("Close = %v, closed %d, device %q", err, second.closed, sp.Device())
	}
	if err := sp.Close(); err != nil || second.closed != 1 {
		t.Fatalf("second Close = %v, closed %d", err, second.closed)
	}
}
