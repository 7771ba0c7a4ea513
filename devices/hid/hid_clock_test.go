package hid

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices/decode"
	"github.com/offcircd/offcircd/devices/internal/devtest"

	"github.com/offcircd/offcircd/devices"
)

// wallClockHID reads like hidapi's hid_read_timeout on Linux and macOS: a
// timed read waits until a deadline on the wall clock (CLOCK_REALTIME), so
// a clock set back during the wait stretches it by the step; timeout 0
// only looks at the queue. The wall clock is the test's: monotonic time
// plus an offset the test can step.
type wallClockHID struct {
	*fakeHID
	offset *atomic.Int64 // nanoseconds added to time.Now
}

func (d *wallClockHID) wall() time.Time {
	return time.Now().Add(time.Duration(d.offset.Load()))
}

func (d *wallClockHID) ReadTimeout(b []byte, ms int) (int, error) {
	if ms == 0 {
		return d.fakeHID.ReadTimeout(b, 0)
	}
	d.inRead.Add(1)
	defer d.inRead.Add(-1)
	deadline := d.wall().Add(time.Duration(ms) * time.Millisecond)
	for {
		select {
		case r := <-d.reports:
			return copy(b, r), nil
		case <-d.gone:
			return 0, errors.New("hidapi: device disconnected")
		case <-time.After(time.Millisecond):
			if !d.wall().Before(deadline) {
				return 0, nil
			}
		}
	}
}

type wallClockBackend struct {
	*fakeHIDBackend
	dev *wallClockHID
}

func (b *wallClockBackend) Open(i hidInfo) (hidDevice, error) {
	if _, err := b.fakeHIDBackend.Open(i); err != nil {
		return nil, err
	}
	return b.dev, nil
}

// clockSource runs a hid-pos source on a wallClockHID, connected, with a
// 200 ms frame timeout and 20 ms reads.
func clockSource(t *testing.T) (*wallClockHID, *hidSource, chan devices.Event, func() error) {
	t.Helper()
	fb := newFakeHIDBackend()
	b := &wallClockBackend{fakeHIDBackend: fb}
	b.dev = &wallClockHID{fakeHID: fb.plug("1-1:1.0", ""), offset: new(atomic.Int64)}
	sc := config.Scanner{Name: "desk", Options: &Options{Config: decode.Config{POSLayout: "honeywell",
		Framing: decode.Framing{FrameTimeout: config.Duration{Duration: 200 * time.Millisecond}}}}}
	s := testHIDSource(t, b, sc)
	s.readTimeout = 20 * time.Millisecond
	out, stop := hidRunSource(t, s)
	if ev := hidNext(t, out, devices.KindState); ev.State != devices.StateConnected {
		t.Fatalf("state %+v", ev)
	}
	b.dev.reports <- devtest.HonReport("]C0", "BEFORE", false)
	if ev := hidNext(t, out, devices.KindScan); ev.Data != "BEFORE" {
		t.Fatalf("got %+v", ev)
	}
	t.Cleanup(func() {
		b.dev.unplug() // ends a read still waiting for the wall clock
		deadline := time.Now().Add(2 * time.Second)
		for !b.dev.closed.Load() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if !b.dev.closed.Load() {
			t.Error("the device was never closed")
		}
		if n := fb.badClose.Load(); n != 0 {
			t.Errorf("%d closes overlapped a read", n)
		}
	})
	return b.dev, s, out, stop
}

// TestHIDClockSetBackStop: the wall clock set back an hour while a HID
// source waits for reports does not keep it from stopping: Run waits for
// the stretched read no longer than readTimeout + hidReadGrace, and the
// reader closes the device once the read returns (here: the unplug in
// clockSource's cleanup). Before, Run waited out the hour: the daemon
// missed its 5 s stop on the installed station.
func TestHIDClockSetBackStop(t *testing.T) {
	dev, s, _, stop := clockSource(t)
	time.Sleep(3 * s.readTimeout)
	dev.offset.Add(int64(-time.Hour))
	time.Sleep(3 * s.readTimeout)
	start := time.Now()
	if err := stop(); err != nil { // fails the test after 2 s
		t.Fatal(err)
	}
	if d, bound := time.Since(start), s.readTimeout+hidReadGrace; d > bound+300*time.Millisecond {
		t.Errorf("stop took %v, want at most about %v", d, bound)
	}
	if dev.closed.Load() {
		t.Error("the device was closed during the read")
	}
}

// TestHIDClockSetBackFrameTimeout: a continued message whose end never
// comes is rejected after its frame timeout although the wall clock was set
// back an hour meanwhile: the timeout runs on the monotonic clock.
func TestHIDClockSetBackFrameTimeout(t *testing.T) {
	dev, s, out, stop := clockSource(t)
	dev.reports <- devtest.HonReport("]C0", "partial", true)
	time.Sleep(3 * s.readTimeout)
	dev.offset.Add(int64(-time.Hour))
	if ev := hidNext(t, out, devices.KindScan, devices.KindBad); ev.Kind != devices.KindBad || !errors.Is(ev.Err, decode.ErrPOSTimeout) {
		t.Fatalf("got %+v, want the frame timeout's reject", ev)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
