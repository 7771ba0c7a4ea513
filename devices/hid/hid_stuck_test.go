package hid

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"

	"github.com/offcircd/offcircd/devices/internal/devtest"

	"github.com/offcircd/offcircd/devices"
)

// stuckHID is a fake HID device whose output report writes never return
// until the test releases them (a scanner that stopped taking output
// reports; hidapi's Windows write waits without a timeout). It flags a
// Close during a write: hidapi frees the device under the writer.
type stuckHID struct {
	*fakeHID
	writing   chan struct{} // closed when the first write starts
	once      sync.Once
	release   chan struct{}
	inWrite   atomic.Int32
	closed    atomic.Bool
	badClose  atomic.Int32
	closeSeen chan struct{}
}

func newStuckHID(f *fakeHID) *stuckHID {
	return &stuckHID{fakeHID: f, writing: make(chan struct{}), release: make(chan struct{}), closeSeen: make(chan struct{}, 1)}
}

func (d *stuckHID) Write(b []byte) (int, error) {
	d.inWrite.Add(1)
	defer d.inWrite.Add(-1)
	d.once.Do(func() { close(d.writing) })
	<-d.release
	return 0, errors.New("write ended")
}

func (d *stuckHID) Close() error {
	if d.inWrite.Load() != 0 {
		d.badClose.Add(1)
	}
	d.closed.Store(true)
	select {
	case d.closeSeen <- struct{}{}:
	default:
	}
	return d.fakeHID.Close()
}

// stuckBackend opens the stuck device at its path, fakes elsewhere.
type stuckBackend struct {
	*fakeHIDBackend
	path  string
	stuck *stuckHID
}

func (b *stuckBackend) Open(i hidInfo) (hidDevice, error) {
	d, err := b.fakeHIDBackend.Open(i)
	if err != nil || i.Path != b.path {
		return d, err
	}
	return b.stuck, nil
}

// TestHIDStuckBeep: a beep whose output report write never returns does
// not keep Run from reconnecting after an unplug or from stopping; the
// device is never closed under the write, and is closed once it returns.
func TestHIDStuckBeep(t *testing.T) {
	fb := newFakeHIDBackend()
	first := fb.plug("1-1:1.0", "")
	b := &stuckBackend{fakeHIDBackend: fb, path: "1-1:1.0"}
	b.stuck = newStuckHID(first)
	t.Cleanup(func() {
		select {
		case <-b.stuck.release:
		default:
			close(b.stuck.release)
		}
	})
	s := testHIDSource(t, b, config.Scanner{Name: "desk", Beep: "hid-pos"})
	out, stop := hidRunSource(t, s)
	if ev := hidNext(t, out, devices.KindState); ev.State != devices.StateConnected {
		t.Fatalf("state %+v", ev)
	}
	beepDone := make(chan error, 1)
	go func() { beepDone <- s.Beep("good") }()
	select {
	case <-b.stuck.writing:
	case <-time.After(2 * time.Second):
		t.Fatal("beep never wrote")
	}
	// A second beep meanwhile does not queue behind the stuck one.
	second := make(chan error, 1)
	go func() { second <- s.Beep("reject") }()
	select {
	case err := <-second:
		if !errors.Is(err, ErrHIDBeepBusy) {
			t.Errorf("second beep: %v, want ErrHIDBeepBusy", err)
		}
	case <-time.After(2 * time.Second):
		t.Error("a second beep blocked behind the stuck write")
	}

	// Reconnect: the scanner is unplugged and comes back elsewhere.
	fb.unplug("1-1:1.0")
	if ev := hidNext(t, out, devices.KindState); ev.State != devices.StateWaiting {
		t.Fatalf("after unplug: %+v", ev)
	}
	again := fb.plug("1-2:1.0", "")
	if ev := hidNext(t, out, devices.KindState); ev.State != devices.StateConnected {
		t.Fatalf("after replug with a beep write stuck: %+v", ev)
	}
	again.reports <- devtest.HonReport("]C0", "AFTER", false)
	if ev := hidNext(t, out, devices.KindScan); ev.Data != "AFTER" {
		t.Fatalf("after replug: %+v", ev)
	}
	if err := s.Beep("good"); err != nil {
		t.Errorf("beep on the new device: %v", err)
	}
	// Stop: cancel + wait returns although the old write is still stuck.
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if b.stuck.closed.Load() {
		t.Error("device closed while its write was in progress")
	}
	close(b.stuck.release)
	select {
	case <-beepDone:
	case <-time.After(2 * time.Second):
		t.Fatal("stuck beep did not return after release")
	}
	select {
	case <-b.stuck.closeSeen:
	case <-time.After(2 * time.Second):
		t.Fatal("the device was never closed after its write returned")
	}
	if n := b.stuck.badClose.Load(); n != 0 {
		t.Errorf("%d closes overlapped the write", n)
	}
}
