package feedback

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sys/windows"
)

// kernel32 Beep plays on the PC speaker or, since Windows 7, the default
// sound device. It is synchronous, which is why every sink has its own
// goroutine.
var procBeep = windows.NewLazySystemDLL("kernel32.dll").NewProc("Beep")

// Beep's accepted frequency range.
const (
	winMinFreq = 37
	winMaxFreq = 32767
)

type winSpeaker struct{ clock Clock }

func openSpeaker(_ string, clk Clock) (toneDevice, error) {
	if err := procBeep.Find(); err != nil {
		return nil, fmt.Errorf("pcspeaker: kernel32 Beep: %w: %w", ErrNoSpeaker, err)
	}
	return &winSpeaker{clock: clk}, nil
}

func (w *winSpeaker) tone(ctx context.Context, hz int, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	hz = min(max(hz, winMinFreq), winMaxFreq)
	ms := d.Milliseconds()
	if ms <= 0 {
		return nil
	}
	r, _, err := procBeep.Call(uintptr(hz), uintptr(ms))
	if r == 0 {
		return fmt.Errorf("pcspeaker: Beep(%d, %d): %w", hz, ms, err)
	}
	return nil
}

func (w *winSpeaker) close() error     { return nil }
func (w *winSpeaker) describe() string { return "kernel32 Beep" }
