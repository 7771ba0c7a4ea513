package devices

import (
	"bytes"
	"strings"
	"testing"
	"time"
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
			c, err := ReadCapture(strings.NewReader(tt.in))
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
	w, err := NewCaptureWriter(&buf, "serial")
	if err != nil {
		t.Fatal(err)
	}
	in := []Chunk{{0, []byte("]E0978")}, {1500 * time.Millisecond, []byte{0xff, 0x00, '\r'}}}
	for _, c := range in {
		if err := w.Write(c.At, c.Data); err != nil {
			t.Fatal(err)
		}
	}
	c, err := ReadCapture(&buf)
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
		c, err := ReadCapture(strings.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		w, _ := NewCaptureWriter(&buf, c.Decoder)
		if c.Device != nil {
			w.Device(*c.Device)
		}
		for _, ch := range c.Chunks {
			w.Write(ch.At, ch.Data)
		}
		c2, err := ReadCapture(&buf)
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
