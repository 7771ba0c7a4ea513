package devices

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Capture is a recorded stream of raw device input (SPEC §7): what a
// scanner sent, chunk by chunk, with the time since the start of recording.
type Capture struct {
	Decoder string    // from the "# decoder: NAME" header line, "" when absent
	Start   time.Time // from the "# start: RFC3339" header line, zero when absent
	Chunks  []Chunk
}

// Chunk is one raw read (serial) or one input report (HID).
type Chunk struct {
	At   time.Duration
	Data []byte
}

// maxCaptureLine bounds one capture line: a HID report is at most a few
// hundred bytes, a serial read a few KB; anything larger is not a capture.
const maxCaptureLine = 1 << 20

// ReadCapture parses a capture file. Errors name the 1-based line.
func ReadCapture(r io.Reader) (*Capture, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxCaptureLine)
	c := &Capture{}
	var last time.Duration
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line[1:]), "decoder:"); ok && c.Decoder == "" {
				if f := strings.Fields(v); len(f) > 0 {
					c.Decoder = f[0]
				}
			}
			if v, ok := strings.CutPrefix(strings.TrimSpace(line[1:]), "start:"); ok {
				if t, err := time.Parse(time.RFC3339, strings.TrimSpace(v)); err == nil {
					c.Start = t
				}
			}
			continue
		}
		ch, err := parseCaptureLine(line)
		if err != nil {
			return nil, fmt.Errorf("capture: line %d: %w", n, err)
		}
		if ch.At < last {
			return nil, fmt.Errorf("capture: line %d: time %d ms goes backwards", n, ch.At.Milliseconds())
		}
		last = ch.At
		c.Chunks = append(c.Chunks, ch)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	return c, nil
}

func parseCaptureLine(line string) (Chunk, error) {
	f := strings.Fields(line)
	ms, err := strconv.ParseUint(f[0], 10, 32)
	if err != nil {
		return Chunk{}, fmt.Errorf("bad time %q: want milliseconds", f[0])
	}
	hexs := strings.Join(f[1:], "")
	if hexs == "" {
		return Chunk{}, errors.New("no data bytes")
	}
	data, err := hex.DecodeString(hexs)
	if err != nil {
		return Chunk{}, fmt.Errorf("bad hex data: %w", err)
	}
	return Chunk{At: time.Duration(ms) * time.Millisecond, Data: data}, nil
}

// CaptureWriter writes a capture file line by line, so a capture cut short
// (Ctrl-C, unplug) is still a valid file.
type CaptureWriter struct {
	w io.Writer
}

// NewCaptureWriter writes the header for a capture of decoder's input,
// stamped with the current time so a replay can reproduce the original
// record times (`recorded_time = true`).
func NewCaptureWriter(w io.Writer, decoder string) (*CaptureWriter, error) {
	start := time.Now().Format(time.RFC3339)
	if _, err := fmt.Fprintf(w, "# offcircd capture 1\n# decoder: %s\n# start: %s\n", decoder, start); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	return &CaptureWriter{w: w}, nil
}

// Write appends one chunk received at offset at from the start.
func (cw *CaptureWriter) Write(at time.Duration, data []byte) error {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(at.Milliseconds(), 10))
	b.WriteByte('\t')
	for i, c := range data {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(hex.EncodeToString([]byte{c}))
	}
	b.WriteByte('\n')
	if _, err := io.WriteString(cw.w, b.String()); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	return nil
}
