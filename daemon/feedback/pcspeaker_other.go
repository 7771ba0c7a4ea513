//go:build !linux && !windows

package feedback

import (
	"fmt"
	"runtime"
)

func openSpeaker(string, Clock) (toneDevice, error) {
	return nil, fmt.Errorf("pcspeaker: %s: %w (use a command beeper or the scanner's own beeper)", runtime.GOOS, ErrUnsupported)
}
