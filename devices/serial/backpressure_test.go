package serial

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
)

// scriptPort is a serial port whose reads return the given chunks, one per
// Read and at once (the bytes were already waiting in the driver), then
// block until Close.
type scriptPort struct {
	mu        sync.Mutex
	chunks    [][]byte
	closeOnce sync.Once
	closed    chan struct{}
}

func (p *scriptPort) Read(b []byte) (int, error) {
	p.mu.Lock()
	if len(p.chunks) > 0 {
		n := copy(b, p.chunks[0])
		p.chunks = p.chunks[1:]
		p.mu.Unlock()
		return n, nil
	}
	p.mu.Unlock()
	<-p.closed
	return 0, errors.New("port closed")
}

func (p *scriptPort) Write(b []byte) (int, error)        { return len(b), nil }
func (p *scriptPort) ResetOutputBuffer() error           { return nil }
func (p *scriptPort) SetReadTimeout(time.Duration) error { return nil }
func (p *scriptPort) Close() error                       { p.closeOnce.Do(func() { close(p.closed) }); return nil }

// TestSerialSlowStationKeepsCodeWhole: a code whose bytes arrive in two
// reads must stay whole when the station takes longer than frame_timeout
// to accept the scan before it. The time the source spent handing events
// on is not silence on the line: the rest of the code was already waiting
// in the driver. Counting it as silence dropped the code's first bytes and
// made the rest a scan of its own, a wrong record with a good beep (make
// bench's burst lost one record per scanner this way on a loaded machine).
func TestSerialSlowStationKeepsCodeWhole(t *testing.T) {
	port := &scriptPort{chunks: [][]byte{[]byte("X1\rB0"), []byte("-000051\r")}, closed: make(chan struct{})}
	sc := config.Scanner{Name: "s", Options: &Options{Port: "/dev/fake", Framing: decode.Framing{Terminator: "cr", FrameTimeout: config.Duration{Duration: 50 * time.Millisecond}}}}
	src, err := newSerial(sc, serialQuietLog, fakePorts{open: port})
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan devices.Event) // unbuffered: the source waits for the station
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, out) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	}()
	waitState(t, out, devices.StateConnected)
	// The station is busy (a slow fsync, a share that answers late) for
	// six frame timeouts while the source holds the first scan.
	time.Sleep(300 * time.Millisecond)
	var got []string
	for len(got) < 2 {
		ev := next(t, out, notState)
		if ev.Kind != devices.KindScan {
			t.Fatalf("event %+v, want scans", ev)
		}
		got = append(got, ev.Data)
	}
	if got[0] != "X1" || got[1] != "B0-000051" {
		t.Fatalf("scans %q, want [X1 B0-000051]", got)
	}
}
