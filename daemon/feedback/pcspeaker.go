package feedback

import (
	"context"
	"sync"
	"time"
)

// toneDevice is the OS-specific part of the PC speaker: it sounds hz for d
// and returns when the tone is over (or ctx is done, with the speaker
// silenced). Only the PCSpeaker sink's goroutine calls it.
type toneDevice interface {
	tone(ctx context.Context, hz int, d time.Duration) error
	close() error
	describe() string // for logs: "evdev /dev/input/event5"
}

// PCSpeaker is the `pcspeaker` sink: the Linux evdev "PC Speaker" device or
// the console tone ioctl, or Windows Beep.
type PCSpeaker struct {
	mu    sync.Mutex
	dev   toneDevice
	open  func() (toneDevice, error) // reopens after a failed tone
	clock Clock
}

// NewPCSpeaker finds and opens the PC speaker. device overrides discovery:
// on Linux an event device path (or "evdev:PATH") or a console path (or
// "console:PATH"); ignored on Windows. The error says what to do (load
// pcspkr, udev rule, group) when the speaker is missing or not writable.
func NewPCSpeaker(device string, clk Clock) (*PCSpeaker, error) {
	if clk == nil {
		clk = RealClock{}
	}
	open := func() (toneDevice, error) { return openSpeaker(device, clk) }
	dev, err := open()
	if err != nil {
		return nil, err
	}
	return &PCSpeaker{dev: dev, open: open, clock: clk}, nil
}

// Name returns "pcspeaker".
func (s *PCSpeaker) Name() string { return TypePCSpeaker }

// Device describes the device in use, for logs and `offcircd beep`.
func (s *PCSpeaker) Device() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dev == nil {
		return "(closed)"
	}
	return s.dev.describe()
}

// Play sounds the tones in order. A write error closes the device so the
// next pattern reopens it (a module reload or a fixed permission heals).
func (s *PCSpeaker) Play(ctx context.Context, _ Pattern, tones []Tone) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dev == nil {
		dev, err := s.open()
		if err != nil {
			return err
		}
		s.dev = dev
	}
	for _, t := range tones {
		if t.Freq > 0 {
			if err := s.dev.tone(ctx, t.Freq, t.Dur); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s.dev.close()
				s.dev = nil
				return err
			}
		} else if err := Sleep(ctx, s.clock, t.Dur); err != nil {
			return err
		}
		if err := Sleep(ctx, s.clock, t.Pause); err != nil {
			return err
		}
	}
	return nil
}

// Close releases the device.
func (s *PCSpeaker) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dev == nil {
		return nil
	}
	err := s.dev.close()
	s.dev = nil
	return err
}
