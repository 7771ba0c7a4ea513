package capture

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
)

// Capture is a recorded stream of raw device input (SPEC §7): what a
// scanner sent, chunk by chunk, with the time since the start of recording.
type Capture struct {
	Decoder string    // from the "# decoder: NAME" header line, "" when absent
	Start   time.Time // from the "# start: RFC3339" header line, zero when absent
	// Device is the HID device the reports came from ("# device: vvvv:pppp",
	// "# usage-page: xx" and "# report-descriptor: hex" header lines), nil
	// in captures of serial scanners and in captures made before offcircd
	// recorded it.
	Device *devices.DeviceID
	Chunks []Chunk
}

// Chunk is one raw read (serial) or one input report (HID).
type Chunk struct {
	At   time.Duration
	Data []byte
}

// maxCaptureLine bounds one capture line: a HID report is at most a few
// hundred bytes, a serial read a few KB; anything larger is not a capture.
const maxCaptureLine = 1 << 20

// Read parses a capture file. Errors name the 1-based line.
func Read(r io.Reader) (*Capture, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxCaptureLine)
	c := &Capture{}
	var last time.Duration
	dh := &deviceHeader{c: c}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if err := dh.header(strings.TrimSpace(line[1:])); err != nil {
				return nil, fmt.Errorf("capture: line %d: %w", n, err)
			}
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
	if err := dh.done(); err != nil {
		return nil, err
	}
	return c, nil
}

// deviceHeader collects the device header lines. A capture may repeat
// them (a device is announced at every connect); a capture whose device
// changes format midway cannot be replayed as one device and is refused.
type deviceHeader struct {
	c   *Capture
	cur *devices.DeviceID // the block being read
}

func (h *deviceHeader) header(line string) error {
	key, v, ok := strings.Cut(line, ":")
	if !ok {
		return nil
	}
	v = strings.TrimSpace(v)
	switch strings.TrimSpace(key) {
	case "device":
		if err := h.flush(); err != nil {
			return err
		}
		vid, pid, ok := strings.Cut(v, ":")
		if !ok {
			return fmt.Errorf("device %q: want vvvv:pppp", v)
		}
		id := &devices.DeviceID{}
		var err error
		if id.VID, err = devices.ParseUSBID("vid", vid); err != nil {
			return fmt.Errorf("device: %w", err)
		}
		if id.PID, err = devices.ParseUSBID("pid", pid); err != nil {
			return fmt.Errorf("device: %w", err)
		}
		h.cur = id
	case "usage-page":
		if h.cur == nil {
			return errors.New("usage-page before a device line")
		}
		p, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(v), "0x"), 16, 16)
		if err != nil {
			return fmt.Errorf("usage-page %q: want hex", v)
		}
		h.cur.UsagePage = uint16(p)
	case "report-descriptor":
		if h.cur == nil {
			return errors.New("report-descriptor before a device line")
		}
		b, err := hex.DecodeString(strings.Join(strings.Fields(v), ""))
		if err != nil || len(b) == 0 {
			return fmt.Errorf("report-descriptor: bad hex data")
		}
		if len(b) > decode.MaxDescriptor {
			return fmt.Errorf("report-descriptor: %d bytes, more than %d", len(b), decode.MaxDescriptor)
		}
		h.cur.Descriptor = b
	}
	return nil
}

// flush ends the current device block and checks it against the first.
func (h *deviceHeader) flush() error {
	if h.cur == nil {
		return nil
	}
	id := h.cur
	h.cur = nil
	if h.c.Device == nil {
		h.c.Device = id
		return nil
	}
	if !h.c.Device.Equal(*id) {
		return fmt.Errorf("capture: the device changed from %s to %s (another report format) within one capture", h.c.Device, id)
	}
	return nil
}

func (h *deviceHeader) done() error { return h.flush() }

func parseCaptureLine(line string) (Chunk, error) {
	f := strings.Fields(line)
	ms, err := strconv.ParseUint(f[0], 10, 32)
	if err != nil {
		// The text is not repeated: a file named by mistake may hold
		// anything, patron IDs or passwords, and this goes to the log.
		return Chunk{}, errors.New("bad time: want milliseconds (is this a capture file?)")
	}
	hexs := strings.Join(f[1:], "")
	if hexs == "" {
		return Chunk{}, errors.New("no data bytes")
	}
	data, err := hex.DecodeString(hexs)
	if err != nil {
		return Chunk{}, errors.New("bad hex data (is this a capture file?)")
	}
	return Chunk{At: time.Duration(ms) * time.Millisecond, Data: data}, nil
}

// Writer writes a capture file line by line, so a capture cut short
// (Ctrl-C, unplug) is still a valid file.
type Writer struct {
	w io.Writer
}

// NewWriter writes the header for a capture of decoder's input,
// stamped with the current time so a replay can reproduce the original
// record times (`recorded_time = true`).
func NewWriter(w io.Writer, decoder string) (*Writer, error) {
	start := time.Now().Format(time.RFC3339)
	if _, err := fmt.Fprintf(w, "# offcircd capture 1\n# decoder: %s\n# start: %s\n", decoder, start); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	return &Writer{w: w}, nil
}

// Device records the device the following chunks come from, so a replay
// decodes them as that device was decoded (the hid-pos layout).
func (cw *Writer) Device(id devices.DeviceID) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# device: %s\n", id)
	if id.UsagePage != 0 {
		fmt.Fprintf(&b, "# usage-page: %02x\n", id.UsagePage)
	}
	if len(id.Descriptor) > 0 {
		b.WriteString("# report-descriptor: ")
		spacedHex(&b, id.Descriptor)
		b.WriteByte('\n')
	}
	return cw.put(b.String())
}

// Write appends one chunk received at offset at from the start.
func (cw *Writer) Write(at time.Duration, data []byte) error {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(at.Milliseconds(), 10))
	b.WriteByte('\t')
	spacedHex(&b, data)
	b.WriteByte('\n')
	return cw.put(b.String())
}

// put writes whole lines in one call, so a capture cut short ends on a line.
func (cw *Writer) put(lines string) error {
	if _, err := io.WriteString(cw.w, lines); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	return nil
}

// spacedHex writes data as two-digit hex bytes separated by spaces.
func spacedHex(b *strings.Builder, data []byte) {
	for i, c := range data {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(hex.EncodeToString([]byte{c}))
	}
}
