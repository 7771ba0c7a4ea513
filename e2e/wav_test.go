package e2e

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

// The PC speaker capture: QEMU's wav audiodev writes only the time the
// speaker is on (no silence between beeps), so tones are told apart by
// frequency alone, measured by counting zero crossings in short windows
// (the speaker is a square wave; spectral "rough frequency" estimates
// are wrong for it).

// pcm is one channel of a WAV file, samples scaled to [-1, 1].
type pcm struct {
	rate    int
	samples []float64
}

var errNotWAV = errors.New("wav: not a RIFF/WAVE PCM file")

// readWAV decodes 8-, 16- or 32-bit integer PCM and keeps the first channel.
// A data chunk whose size was never patched (QEMU killed before its clean
// exit wrote the header) is read to the end of the file.
func readWAV(b []byte) (pcm, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return pcm{}, errNotWAV
	}
	var channels, bits int
	var out pcm
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		p += 8
		end := p + size
		if size < 0 || end > len(b) || end < p {
			end = len(b)
		}
		switch id {
		case "fmt ":
			if end-p < 16 {
				return pcm{}, fmt.Errorf("wav: short fmt chunk: %w", errNotWAV)
			}
			format := binary.LittleEndian.Uint16(b[p:])
			channels = int(binary.LittleEndian.Uint16(b[p+2:]))
			out.rate = int(binary.LittleEndian.Uint32(b[p+4:]))
			bits = int(binary.LittleEndian.Uint16(b[p+14:]))
			if format != 1 || channels < 1 || out.rate < 1000 || out.rate > 1_000_000 || (bits != 8 && bits != 16 && bits != 32) {
				return pcm{}, fmt.Errorf("wav: format %d, %d channels, %d Hz, %d bits: %w", format, channels, out.rate, bits, errNotWAV)
			}
		case "data":
			if channels == 0 {
				return pcm{}, fmt.Errorf("wav: data before fmt: %w", errNotWAV)
			}
			if size == 0 {
				end = len(b)
			}
			frame := channels * bits / 8
			for q := p; q+frame <= end; q += frame {
				var v float64
				switch bits {
				case 8:
					v = (float64(b[q]) - 128) / 128
				case 16:
					v = float64(int16(binary.LittleEndian.Uint16(b[q:]))) / 32768
				case 32:
					v = float64(int32(binary.LittleEndian.Uint32(b[q:]))) / 2147483648
				}
				out.samples = append(out.samples, v)
			}
			return out, nil
		}
		p = end
		if size%2 == 1 { // chunks are word aligned
			p++
		}
	}
	return pcm{}, fmt.Errorf("wav: no data chunk: %w", errNotWAV)
}

// tone is one stretch of constant frequency in the capture.
type tone struct {
	Freq float64       // Hz
	Dur  time.Duration // time the speaker played it
}

func (t tone) String() string { return fmt.Sprintf("%.0fHz/%dms", t.Freq, t.Dur.Milliseconds()) }

// splitTones cuts the capture into tones: windows of 5 ms get a frequency
// from their zero crossings; neighbours within 12 % belong to the same tone.
// Tones shorter than minDur (window edges between two tones) are dropped.
func splitTones(p pcm, minDur time.Duration) []tone {
	if p.rate == 0 {
		return nil
	}
	win := p.rate / 200
	var tones []tone
	var cross, n int // of the open tone
	sign := 0
	flush := func() {
		if n > 0 && cross > 0 {
			d := time.Duration(float64(n) / float64(p.rate) * float64(time.Second))
			if d >= minDur {
				tones = append(tones, tone{Freq: float64(cross) / 2 / d.Seconds(), Dur: d})
			}
		}
		cross, n = 0, 0
	}
	for w := 0; w+win <= len(p.samples); w += win {
		c := 0
		for _, v := range p.samples[w : w+win] {
			s := 0
			if v > 0.02 {
				s = 1
			} else if v < -0.02 {
				s = -1
			}
			if s != 0 {
				if sign != 0 && s != sign {
					c++
				}
				sign = s
			}
		}
		f := float64(c) / 2 / (float64(win) / float64(p.rate))
		if f < 50 { // silence or DC: ends a tone
			flush()
			continue
		}
		if n > 0 {
			open := float64(cross) / 2 / (float64(n) / float64(p.rate))
			if f > open*1.12 || f < open*0.88 {
				flush()
			}
		}
		cross += c
		n += win
	}
	flush()
	// Merge neighbours of the same pitch that a boundary window split.
	var out []tone
	for _, t := range tones {
		if k := len(out) - 1; k >= 0 && math.Abs(out[k].Freq-t.Freq) < 0.06*t.Freq {
			d := out[k].Dur + t.Dur
			out[k].Freq = (out[k].Freq*out[k].Dur.Seconds() + t.Freq*t.Dur.Seconds()) / d.Seconds()
			out[k].Dur = d
			continue
		}
		out = append(out, t)
	}
	return out
}

// square synthesises a square wave as the PC speaker produces it.
func square(rate int, hz float64, d time.Duration) []float64 {
	n := int(d.Seconds() * float64(rate))
	s := make([]float64, n)
	for i := range s {
		if math.Mod(float64(i)*hz/float64(rate), 1) < 0.5 {
			s[i] = 0.5
		} else {
			s[i] = -0.5
		}
	}
	return s
}

func wavBytes(rate, channels int, s []float64) []byte {
	var b bytes.Buffer
	data := len(s) * 2 * channels
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(channels), uint32(rate),
		uint32(rate * 2 * channels), uint16(2 * channels), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(data))
	for _, v := range s {
		for c := 0; c < channels; c++ {
			binary.Write(&b, binary.LittleEndian, int16(v*32767))
		}
	}
	return b.Bytes()
}

func TestSplitTones(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	type seg struct {
		hz float64
		d  time.Duration
	}
	tests := []struct {
		name string
		segs []seg
		want []tone
	}{
		{"one tone", []seg{{2000, ms(120)}}, []tone{{2000, ms(120)}}},
		{"pattern pairs back to back",
			[]seg{{800, ms(120)}, {2800, ms(60)}, {600, ms(120)}, {2800, ms(60)}, {1300, ms(120)}, {2800, ms(60)}},
			[]tone{{800, ms(120)}, {2800, ms(60)}, {600, ms(120)}, {2800, ms(60)}, {1300, ms(120)}, {2800, ms(60)}}},
		{"same pitch twice merges", []seg{{1300, ms(100)}, {1300, ms(100)}}, []tone{{1300, ms(200)}}},
		{"silence", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s []float64
			for _, g := range tc.segs {
				s = append(s, square(44100, g.hz, g.d)...)
			}
			p, err := readWAV(wavBytes(44100, 2, s))
			if err != nil {
				t.Fatal(err)
			}
			got := splitTones(p, ms(20))
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if math.Abs(got[i].Freq-tc.want[i].Freq) > 0.03*tc.want[i].Freq ||
					(got[i].Dur-tc.want[i].Dur).Abs() > ms(12) {
					t.Errorf("tone %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestReadWAVRejects(t *testing.T) {
	good := wavBytes(8000, 1, square(8000, 1000, 10*time.Millisecond))
	bad8k := bytes.Clone(good)
	binary.LittleEndian.PutUint16(bad8k[20:], 3) // IEEE float: not handled
	for name, b := range map[string][]byte{
		"empty": nil, "not riff": []byte("RIFX....WAVE"), "float": bad8k, "no data": good[:36],
	} {
		if _, err := readWAV(b); !errors.Is(err, errNotWAV) {
			t.Errorf("%s: err = %v, want errNotWAV", name, err)
		}
	}
	p, err := readWAV(good)
	if err != nil || p.rate != 8000 || len(p.samples) != 80 {
		t.Errorf("good file: rate %d, %d samples, err %v", p.rate, len(p.samples), err)
	}
}

func FuzzReadWAV(f *testing.F) {
	f.Add(wavBytes(44100, 2, square(44100, 1000, 20*time.Millisecond)))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := readWAV(b)
		if err != nil {
			return
		}
		for _, tn := range splitTones(p, 0) {
			if tn.Freq <= 0 || tn.Dur <= 0 || math.IsNaN(tn.Freq) {
				t.Fatalf("bad tone %v", tn)
			}
		}
	})
}
