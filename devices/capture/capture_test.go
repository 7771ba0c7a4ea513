package capture

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices/internal/devtest"

	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
)

func TestReadCapture(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		decoder string
		chunks  []Chunk
		wantErr string
	}{
		{name: "spec example", in: "# offcircd capture 1\n# decoder: hid-pos            (informational)\n0     02 0d 5d\n16    00 00\n",
			decoder: "hid-pos", chunks: []Chunk{{0, []byte{2, 0x0d, 0x5d}}, {16 * time.Millisecond, []byte{0, 0}}}},
		{name: "no spaces between hex, blank lines", in: "\n5 4142430d\n\n", chunks: []Chunk{{5 * time.Millisecond, []byte("ABC\r")}}},
		{name: "empty decoder header", in: "# decoder:\n# decoder:   \n0 41\n", chunks: []Chunk{{0, []byte("A")}}},
		{name: "bad hex", in: "0 zz\n", wantErr: "line 1: bad hex"},
		{name: "odd hex", in: "# x\n0 abc\n", wantErr: "line 2: bad hex"},
		{name: "bad time", in: "x 00\n", wantErr: "bad time"},
		{name: "no data", in: "7\n", wantErr: "no data"},
		{name: "backwards", in: "10 00\n5 00\n", wantErr: "backwards"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Read(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Decoder != tt.decoder {
				t.Errorf("decoder = %q, want %q", c.Decoder, tt.decoder)
			}
			if len(c.Chunks) != len(tt.chunks) {
				t.Fatalf("chunks = %v, want %v", c.Chunks, tt.chunks)
			}
			for i := range c.Chunks {
				if c.Chunks[i].At != tt.chunks[i].At || !bytes.Equal(c.Chunks[i].Data, tt.chunks[i].Data) {
					t.Errorf("chunk %d = %v, want %v", i, c.Chunks[i], tt.chunks[i])
				}
			}
		})
	}
}

func TestCaptureRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "serial")
	if err != nil {
		t.Fatal(err)
	}
	in := []Chunk{{0, []byte("]E0978")}, {1500 * time.Millisecond, []byte{0xff, 0x00, '\r'}}}
	for _, c := range in {
		if err := w.Write(c.At, c.Data); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if c.Decoder != "serial" || len(c.Chunks) != 2 || c.Chunks[1].At != 1500*time.Millisecond || !bytes.Equal(c.Chunks[1].Data, in[1].Data) {
		t.Fatalf("round trip = %+v", c)
	}
}

func FuzzReadCapture(f *testing.F) {
	f.Add("# decoder: serial\n0 41 42 0d\n10 0a\n")
	f.Add("0 0\n")
	f.Add("# decoder: hid-pos\n# device: 0c2e:0b87\n# usage-page: 8c\n# report-descriptor: 05 8c 09 02 a1 01 c0\n0 02 01 41\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := Read(strings.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		w, _ := NewWriter(&buf, c.Decoder)
		if c.Device != nil {
			w.Device(*c.Device)
		}
		for _, ch := range c.Chunks {
			w.Write(ch.At, ch.Data)
		}
		c2, err := Read(&buf)
		if err != nil {
			t.Fatalf("rewritten capture does not parse: %v", err)
		}
		if len(c2.Chunks) != len(c.Chunks) {
			t.Fatalf("chunk count %d != %d", len(c2.Chunks), len(c.Chunks))
		}
		if (c.Device == nil) != (c2.Device == nil) || (c.Device != nil && !c.Device.Equal(*c2.Device)) {
			t.Fatalf("device %+v rewritten as %+v", c.Device, c2.Device)
		}
	})
}

func TestCaptureDeviceHeader(t *testing.T) {
	var buf bytes.Buffer
	cw, err := NewWriter(&buf, "hid-pos")
	if err != nil {
		t.Fatal(err)
	}
	id := devices.DeviceID{VID: 0x0c2e, PID: 0x0b87, UsagePage: 0x8C, Descriptor: devtest.HoneywellDescriptor}
	for _, step := range []func() error{
		func() error { return cw.Device(id) },
		func() error { return cw.Write(0, devtest.HonReport("]C0", "A1", false)) },
		func() error { return cw.Device(id) }, // reconnected: announced again
		func() error { return cw.Write(time.Second, devtest.HonReport("]C0", "A2", false)) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if c.Device == nil || !c.Device.Equal(id) || len(c.Chunks) != 2 {
		t.Fatalf("device %+v, %d chunks", c.Device, len(c.Chunks))
	}
	dec, err := captureDecoder("hid-pos", config.Scanner{}, c)
	if err != nil {
		t.Fatal(err)
	}
	if evs := dec.Feed(time.Now(), c.Chunks[0].Data); len(evs) != 1 || evs[0].Data != "A1" {
		t.Errorf("decoded %+v", evs)
	}

	bad := []struct{ name, text, why string }{
		{"two devices", "# device: 0c2e:0b87\n0\t02\n# device: 1eab:1d10\n", "device changed"},
		{"bad ids", "# device: 0c2e\n", "vvvv:pppp"},
		{"bad descriptor", "# device: 0c2e:0b87\n# report-descriptor: 0g\n", "bad hex"},
		{"descriptor first", "# report-descriptor: 05 8c\n", "before a device"},
	}
	for _, b := range bad {
		if _, err := Read(strings.NewReader(b.text)); err == nil || !strings.Contains(err.Error(), b.why) {
			t.Errorf("%s: %v, want an error saying %q", b.name, err, b.why)
		}
	}
	// A capture made before device headers existed still reads, and
	// replays with a pos_layout; without one it is refused, not guessed.
	old, err := Read(strings.NewReader("# offcircd capture 1\n# decoder: hid-pos\n0\t02 02 5d 43 30 41 31\n"))
	if err != nil || old.Device != nil {
		t.Fatalf("old capture: %v %+v", err, old)
	}
	if _, err := captureDecoder("hid-pos", config.Scanner{}, old); !errors.Is(err, decode.ErrPOSLayoutUnknown) {
		t.Errorf("old capture without pos_layout: %v, want ErrPOSLayoutUnknown", err)
	}
	if _, err := captureDecoder("hid-pos", config.Scanner{Options: &Options{Config: decode.Config{POSLayout: "honeywell"}}}, old); err != nil {
		t.Errorf("old capture with pos_layout: %v", err)
	}
}
