package serial

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"

	"github.com/offcircd/offcircd/devices"
)

// stuckPort is a serial port whose writes never complete (a scanner that
// holds CTS low, a USB CDC device that stopped taking data) and whose reads
// block until Close, like go.bug.st/serial with serial.NoTimeout.
type stuckPort struct {
	t         *testing.T
	closeOnce sync.Once
	resetOnce sync.Once
	closed    chan struct{}
	reset     chan struct{} // ResetOutputBuffer was called: the write ends
	writing   chan struct{}
	inWrite   atomic.Bool
}

func (p *stuckPort) Read(b []byte) (int, error) {
	<-p.closed
	return 0, errors.New("port closed")
}

func (p *stuckPort) Write(b []byte) (int, error) {
	p.inWrite.Store(true)
	defer p.inWrite.Store(false)
	close(p.writing)
	<-p.reset // never returns on its own: only discarding the output queue ends it
	return 0, errors.New("output purged")
}

func (p *stuckPort) ResetOutputBuffer() error {
	p.resetOnce.Do(func() { close(p.reset) })
	return nil
}

func (p *stuckPort) SetReadTimeout(time.Duration) error { return nil }

func (p *stuckPort) Close() error {
	if p.inWrite.Load() {
		// Closing under a write in progress lets the descriptor be reused
		// while the write may still be about to use it.
		p.t.Error("port closed while a write was in progress")
	}
	p.closeOnce.Do(func() { close(p.closed) })
	return nil
}

// TestSerialStopWithStuckBeep: a beep write that never completes must not
// keep Run from returning after cancel (stop = cancel + wait).
func TestSerialStopWithStuckBeep(t *testing.T) {
	port := &stuckPort{t: t, closed: make(chan struct{}), reset: make(chan struct{}), writing: make(chan struct{})}
	t.Cleanup(func() { port.ResetOutputBuffer() })

	src, err := newSerial(config.Scanner{Name: "s", Beep: "bel", Options: &Options{Port: "/dev/fake"}}, serialQuietLog, fakePorts{open: port})
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan devices.Event, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, out) }()
	waitState(t, out, devices.StateConnected)
	go src.Beep("good")
	select {
	case <-port.writing:
	case <-time.After(2 * time.Second):
		t.Fatal("beep never wrote")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after cancel while a beep write was stuck")
	}
}
