package decode

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/offcircd/offcircd/encoder"

	"github.com/offcircd/offcircd/devices"
)

// Sentinel errors carried by KindBad events of the framer.
var (
	ErrFrameTooLong = errors.New("code longer than max_length")
	ErrFrameBadByte = errors.New("non-printable byte in code")
	ErrFrameEmpty   = errors.New("empty code")
	ErrFrameAddOn   = errors.New("code with an EAN/UPC add-on (addon = \"reject\")")
	ErrFramePartial = errors.New("code without its terminator")
)

// FramerConfig holds the framing options of one serial scanner (or of a
// replay of one). Build it with FramerConfigFor, which applies defaults.
type FramerConfig struct {
	Terminator   string        // cr | lf | crlf | tab | idle
	IdleGap      time.Duration // idle: the silence that ends a code
	FrameTimeout time.Duration // terminated modes: silence that drops a partial code
	MaxLength    int           // longest code (after the AIM identifier is removed)
	AIM          string        // strip | keep | none (do not recognise identifiers)
	AddOn        string        // main | keep | reject
	SSI          bool          // consume Zebra SSI ACK/NAK packets (beep = "zebra-ssi")
}

// FramerConfigFor reads the framing options of the scanner named name,
// filling zero values with the defaults, and rejects values it does not know.
func FramerConfigFor(name string, f Framing) (FramerConfig, error) {
	fc := FramerConfig{
		Terminator:   strings.ToLower(f.Terminator),
		IdleGap:      f.IdleGap.Duration,
		FrameTimeout: f.FrameTimeout.Duration,
		MaxLength:    f.MaxLength,
		AIM:          strings.ToLower(f.AIM),
		AddOn:        strings.ToLower(f.AddOn),
		SSI:          f.SSI,
	}
	fc = fc.withDefaults()
	var errs []error
	switch fc.Terminator {
	case "cr", "lf", "crlf", "tab", "idle":
	default:
		errs = append(errs, fmt.Errorf("terminator %q: want cr, lf, crlf, tab or idle", f.Terminator))
	}
	switch fc.AIM {
	case "strip", "keep", "none":
	default:
		errs = append(errs, fmt.Errorf("aim %q: want strip, keep or none", f.AIM))
	}
	switch fc.AddOn {
	case "main", "keep", "reject":
	default:
		errs = append(errs, fmt.Errorf("addon %q: want main, keep or reject", f.AddOn))
	}
	if err := errors.Join(errs...); err != nil {
		return fc, fmt.Errorf("serial: scanner %q: %w", name, err)
	}
	return fc, nil
}

// Framer is the serial decoder: it cuts the raw byte stream of a scanner
// into codes (by terminator or by idle gap), removes AIM identifiers and
// add-ons as configured, and rejects anything that could not be written
// to OffCirc.dat. A KindScan event only ever carries 1..MaxLength bytes
// in 0x21–0x7E.
//
// A partial code followed by FrameTimeout of silence is dropped with a
// warning in the log and no event: it is line noise or a scanner that was
// interrupted, not a scan the person knows they made, so a reject beep
// seconds later would only confuse. An overlong line, by contrast, is a
// scan that was made and is refused: one KindBad event, and the framer
// resynchronises at the next terminator (or idle gap, or timeout).
type Framer struct {
	cfg  FramerConfig
	log  *slog.Logger
	cap  int    // buffer limit: MaxLength plus room for AIM identifiers
	buf  []byte // the code being received, terminator excluded
	pkt  []byte // an SSI packet being consumed, nil when none
	last time.Time
	// discarding is set after an overlong line was reported: bytes are
	// dropped until the next resynchronisation point.
	discarding bool
}

// withDefaults fills what is unset with the defaults (a Framing not given
// its Defaults, as in tests).
func (fc FramerConfig) withDefaults() FramerConfig {
	if fc.Terminator == "" {
		fc.Terminator = DefaultTerminator
	}
	if fc.IdleGap <= 0 {
		fc.IdleGap = DefaultIdleGap
	}
	if fc.FrameTimeout <= 0 {
		fc.FrameTimeout = DefaultFrameTimeout
	}
	if fc.MaxLength <= 0 {
		fc.MaxLength = DefaultMaxLength
	}
	if fc.AIM == "" {
		fc.AIM = DefaultAIM
	}
	if fc.AddOn == "" {
		fc.AddOn = DefaultAddOn
	}
	return fc
}

// NewFramer returns a framer for cfg (as returned by FramerConfigFor).
// log receives the partial-code warnings; nil means slog.Default().
func NewFramer(cfg FramerConfig, log *slog.Logger) *Framer {
	if log == nil {
		log = slog.Default()
	}
	cfg = cfg.withDefaults()
	// Two identifiers (main code and add-on) may precede data.
	c := cfg.MaxLength + 2*aimLen
	return &Framer{cfg: cfg, log: log, cap: c, buf: make([]byte, 0, c)}
}

// isTerminator reports whether c ends a code. Modes that end on one
// character still accept the other line end where it is harmless: a CR or
// LF at the start of a code is skipped (the LF of a CRLF when terminator
// = "cr"), and a CR right before the LF is trimmed (CRLF with "lf").
func (f *Framer) isTerminator(c byte) bool {
	switch f.cfg.Terminator {
	case "lf":
		return c == '\n'
	case "crlf", "idle":
		return c == '\r' || c == '\n'
	case "tab":
		return c == '\t'
	default: // cr
		return c == '\r'
	}
}

// silence is the quiet time after which the stream is resynchronised.
func (f *Framer) silence() time.Duration {
	if f.cfg.Terminator == "idle" {
		return f.cfg.IdleGap
	}
	return f.cfg.FrameTimeout
}

// Feed consumes one chunk that arrived at t.
func (f *Framer) Feed(t time.Time, chunk []byte) []devices.Event {
	if len(chunk) == 0 {
		return nil
	}
	// Readers that never call Idle (a replay fed chunk by chunk) still get
	// idle framing and timeouts from the arrival times.
	evs := f.Idle(t)
	for _, c := range chunk {
		evs = f.feedByte(t, c, evs)
	}
	return evs
}

func (f *Framer) feedByte(t time.Time, c byte, evs []devices.Event) []devices.Event {
	f.last = t
	if f.pkt != nil {
		return f.feedPacket(t, c, evs)
	}
	if f.isTerminator(c) {
		switch {
		case f.discarding:
			f.discarding = false
			f.buf = f.buf[:0]
		case len(f.buf) > 0:
			evs = append(evs, f.complete(t))
		}
		return evs
	}
	if f.discarding {
		return evs
	}
	if len(f.buf) == 0 {
		if c == '\r' || c == '\n' {
			return evs // the other half of a CRLF, or an empty line
		}
		if f.cfg.SSI && (c == 0x04 || c == 0x05) {
			f.pkt = append(make([]byte, 0, 8), c)
			return evs
		}
	}
	if len(f.buf) >= f.cap {
		raw := append(append([]byte(nil), f.buf...), c)
		f.buf = f.buf[:0]
		f.discarding = true
		return append(evs, devices.Event{Kind: devices.KindBad, Time: t, Raw: raw,
			Err: fmt.Errorf("serial: more than %d bytes without a terminator: %w", f.cfg.MaxLength, ErrFrameTooLong)})
	}
	f.buf = append(f.buf, c)
	return evs
}

// feedPacket consumes a Zebra SSI packet (the ACK or NAK a scanner sends
// back for a BEEP command) so it never becomes a scan. A packet is
// length, opcode, source, status, [data], checksum hi, checksum lo, where
// length counts everything but the checksum.
func (f *Framer) feedPacket(t time.Time, c byte, evs []devices.Event) []devices.Event {
	f.pkt = append(f.pkt, c)
	if len(f.pkt) == 2 && c != ssiCmdAck && c != ssiCmdNak {
		// Not a packet: the bytes are ordinary (bad) input.
		first := f.pkt[0]
		f.pkt = nil
		f.buf = append(f.buf, first)
		return f.feedByte(t, c, evs)
	}
	if len(f.pkt) < int(f.pkt[0])+2 {
		return evs
	}
	if ssiChecksumOK(f.pkt) {
		f.log.Debug("serial: ssi packet consumed", "opcode", fmt.Sprintf("%02X", f.pkt[1]))
	} else {
		f.log.Warn("serial: ssi packet with a bad checksum dropped", "bytes", fmt.Sprintf("% X", f.pkt))
	}
	f.pkt = nil
	return evs
}

// Idle is called when a read returned no data at t: it ends an
// idle-framed code and drops stale partial input.
func (f *Framer) Idle(t time.Time) []devices.Event {
	quiet := t.Sub(f.last)
	if f.pkt != nil && quiet >= f.cfg.FrameTimeout {
		f.log.Warn("serial: incomplete ssi packet dropped", "bytes", len(f.pkt))
		f.pkt = nil
	}
	if quiet < f.silence() {
		return nil
	}
	f.discarding = false
	if len(f.buf) == 0 {
		return nil
	}
	if f.cfg.Terminator == "idle" {
		return []devices.Event{f.complete(f.last)}
	}
	return []devices.Event{f.partial()}
}

// partial drops the code that silence cut off and reports it as a bad read:
// a scan was made and is not recorded, so the desk must hear the reject
// beep. The usual cause is a scanner whose suffix is not the configured
// terminator; the error names the suffix it did send when it can.
func (f *Framer) partial() devices.Event {
	raw := append([]byte(nil), f.buf...)
	hint := ""
	if sent := suffixName(raw); sent != "" && sent != f.cfg.Terminator {
		hint = fmt.Sprintf("; it ended in %s: set terminator = %q, or the scanner's suffix to %s", strings.ToUpper(sent), sent, strings.ToUpper(f.cfg.Terminator))
	}
	f.dropPartial("partial code dropped after silence")
	return devices.Event{Kind: devices.KindBad, Time: f.last, Raw: raw,
		Err: fmt.Errorf("serial: %d bytes, then %v of silence without the %s terminator%s: %w",
			len(raw), f.cfg.FrameTimeout, strings.ToUpper(f.cfg.Terminator), hint, ErrFramePartial)}
}

// suffixName names the terminator a code ends in, "" for none.
func suffixName(b []byte) string {
	switch {
	case len(b) >= 2 && b[len(b)-2] == '\r' && b[len(b)-1] == '\n':
		return "crlf"
	case len(b) > 0 && b[len(b)-1] == '\r':
		return "cr"
	case len(b) > 0 && b[len(b)-1] == '\n':
		return "lf"
	case len(b) > 0 && b[len(b)-1] == '\t':
		return "tab"
	}
	return ""
}

// Reset forgets partial input, as when the port was closed mid-code.
func (f *Framer) Reset() {
	if len(f.buf) > 0 || f.pkt != nil {
		f.dropPartial("partial code dropped: port closed")
	}
	f.pkt = nil
	f.discarding = false
}

// Resume tells the framer that its reader was busy until t handing the
// events of the last chunk on (a station slow to take a scan): the time
// until t is not silence on the line, because bytes that arrived meanwhile
// were waiting in the driver. Without it a code split over two reads lost
// its first part when the station took longer than frame_timeout, and the
// rest became a scan of its own.
func (f *Framer) Resume(t time.Time) {
	if t.After(f.last) {
		f.last = t
	}
}

// Waiting reports whether nothing is buffered that a timer must end (no
// partial code, SSI packet or overlong line being skipped), so the reader
// may block until the next byte instead of polling.
func (f *Framer) Waiting() bool { return len(f.buf) == 0 && f.pkt == nil && !f.discarding }

func (f *Framer) dropPartial(msg string) {
	// Only the length: the bytes may be the start of a patron ID.
	f.log.Warn("serial: "+msg, "bytes", len(f.buf), "terminator", f.cfg.Terminator)
	f.buf = f.buf[:0]
}

// complete turns the buffered frame into an event and empties the buffer.
func (f *Framer) complete(t time.Time) devices.Event {
	frame := f.buf
	if n := len(frame); n > 0 && frame[n-1] == '\r' {
		frame = frame[:n-1] // CRLF with terminator = "lf"
	}
	raw := append([]byte(nil), f.buf...)
	f.buf = f.buf[:0]
	ev := devices.Event{Kind: devices.KindScan, Time: t, Raw: raw}

	var code aimCode
	if f.cfg.AIM == "none" {
		code = aimCode{main: frame}
	} else {
		code = splitAIM(frame)
	}
	ev.Symbology = code.sym
	data := code.main
	if code.addon != nil {
		switch f.cfg.AddOn {
		case "reject":
			return badEvent(ev, fmt.Errorf("serial: add-on %q: %w", code.addon, ErrFrameAddOn))
		case "keep":
			data = append(append([]byte(nil), code.main...), code.addon...)
		}
	}
	if f.cfg.AIM == "keep" && code.sym != "" {
		data = append([]byte(code.sym), data...)
	}
	switch {
	case len(data) == 0:
		return badEvent(ev, fmt.Errorf("serial: %w", ErrFrameEmpty))
	case len(data) > f.cfg.MaxLength:
		return badEvent(ev, fmt.Errorf("serial: %d bytes, max_length %d: %w", len(data), f.cfg.MaxLength, ErrFrameTooLong))
	}
	for i, c := range data {
		if c < 0x21 || c > 0x7E {
			return badEvent(ev, fmt.Errorf("serial: byte 0x%02X at position %d: %w (%w)", c, i+1, ErrFrameBadByte, encoder.ErrCharset))
		}
	}
	ev.Data = string(data)
	return ev
}

func badEvent(ev devices.Event, err error) devices.Event {
	ev.Kind = devices.KindBad
	ev.Data = ""
	ev.Err = err
	return ev
}
