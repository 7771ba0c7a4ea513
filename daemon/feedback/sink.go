package feedback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/offcircd/offcircd/config"
)

// Sentinel errors for expected states, tested with errors.Is.
var (
	// ErrNoSpeaker: no PC speaker device on this machine (or none usable).
	ErrNoSpeaker = errors.New("no PC speaker found")
	// ErrUnsupported: the sink cannot work on this operating system.
	ErrUnsupported = errors.New("not supported on this operating system")
)

// Sink plays patterns. Play may block for the pattern's duration; the
// dispatcher calls each sink from its own goroutine, never the station's.
// A sink that holds a device may also implement io.Closer; the dispatcher
// closes it when Run ends.
type Sink interface {
	Name() string
	Play(ctx context.Context, p Pattern, tones []Tone) error
}

// Beeper types of the [[beeper]] table.
const (
	TypeBell      = "bell"
	TypeCommand   = "command"
	TypePCSpeaker = "pcspeaker"
	TypeNone      = "none"
)

// CommandTimeout bounds one run of a command sink: a hung sound player must
// not hold up every later beep.
const CommandTimeout = 5 * time.Second

// NewSinks builds the PC-side sinks of cfg.Beepers. A beeper that cannot
// work here (no speaker, no permission, unsupported OS, bad table) is left
// out and reported as a warning naming what to do; the warnings are logged
// once here at warn level and returned for `offcircd beep` and status, so
// callers need not log them again. A nil cfg yields no sinks.
func NewSinks(cfg *config.Config, log *slog.Logger) ([]Sink, []error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg == nil {
		return nil, nil
	}
	var sinks []Sink
	var warns []error
	seen := map[string]int{}
	for i, b := range cfg.Beepers {
		s, err := newSink(b)
		if err != nil {
			err = fmt.Errorf("feedback: beeper %d (%s): %w", i+1, b.Type, err)
			log.Warn("beeper disabled", "beeper", i+1, "type", b.Type, "err", err)
			warns = append(warns, err)
			continue
		}
		if s == nil {
			continue
		}
		// Names key the stats and logs; two beepers of one type stay apart.
		if n := seen[s.Name()]; n > 0 {
			s = renamed{Sink: s, name: fmt.Sprintf("%s#%d", s.Name(), n+1)}
		}
		seen[s.Name()]++
		log.Info("beeper ready", "beeper", s.Name())
		sinks = append(sinks, s)
	}
	return sinks, warns
}

func newSink(b config.Beeper) (Sink, error) {
	switch b.Type {
	case TypeBell:
		return newBellSink(b.Device)
	case TypeCommand:
		c, err := NewCommandSink(b.Command, CommandTimeout)
		if err != nil {
			return nil, err
		}
		return c, nil
	case TypePCSpeaker:
		sp, err := NewPCSpeaker(b.Device, RealClock{})
		if err != nil {
			return nil, err
		}
		return sp, nil
	case TypeNone, "":
		return nil, nil
	}
	return nil, fmt.Errorf("unknown beeper type %q (known: bell, command, pcspeaker, none)", b.Type)
}

// renamed gives a second sink of the same type its own name.
type renamed struct {
	Sink
	name string
}

func (r renamed) Name() string { return r.name }

func (r renamed) Close() error {
	if c, ok := r.Sink.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// BellSink writes BEL (0x07) to a terminal. A terminal can only ring, so it
// sounds each pattern by its Rhythm (count and spacing), not by its tones.
type BellSink struct {
	W     io.Writer
	Clock Clock
	name  string
}

// NewBellSink rings on w; clk paces the bells (nil = real time).
func NewBellSink(w io.Writer, clk Clock) *BellSink {
	if clk == nil {
		clk = RealClock{}
	}
	return &BellSink{W: w, Clock: clk, name: TypeBell}
}

// newBellSink picks the writer from the beeper's device field: "" or
// "stdout" (the terminal of `make run`, kept apart from the logs on
// stderr), "stderr", or a terminal device path such as /dev/tty1.
func newBellSink(device string) (Sink, error) {
	switch device {
	case "", "stdout":
		return NewBellSink(os.Stdout, nil), nil
	case "stderr":
		return NewBellSink(os.Stderr, nil), nil
	}
	f, err := os.OpenFile(device, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("bell: %w", err)
	}
	s := NewBellSink(f, nil)
	return &closingBell{BellSink: s, f: f}, nil
}

type closingBell struct {
	*BellSink
	f *os.File
}

func (c *closingBell) Close() error { return c.f.Close() }

// Name returns "bell".
func (b *BellSink) Name() string { return b.name }

// Play rings p's Rhythm; a pattern configured silent (no sounding tone)
// stays silent.
func (b *BellSink) Play(ctx context.Context, p Pattern, tones []Tone) error {
	if !slices.ContainsFunc(tones, func(t Tone) bool { return t.Freq > 0 }) {
		return nil
	}
	return PlayRhythm(ctx, b.Clock, p, func() error {
		if _, err := b.W.Write([]byte{0x07}); err != nil {
			return fmt.Errorf("bell: %w", err)
		}
		return nil
	})
}

// CommandSink runs a program with the pattern name appended as its last
// argument (no shell), for sound files or for tests that record patterns.
type CommandSink struct {
	argv    []string
	timeout time.Duration
}

// NewCommandSink runs argv[0] with argv[1:] and the pattern name; each run
// is killed after timeout (0 = CommandTimeout).
func NewCommandSink(argv []string, timeout time.Duration) (*CommandSink, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("command: empty command (set command = [\"program\", \"arg\", ...])")
	}
	if timeout <= 0 {
		timeout = CommandTimeout
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		return nil, fmt.Errorf("command: %w", err)
	}
	return &CommandSink{argv: append([]string(nil), argv...), timeout: timeout}, nil
}

// Name returns "command".
func (c *CommandSink) Name() string { return TypeCommand }

// Play runs the command and waits for it; a non-zero exit is an error that
// carries the start of its stderr.
func (c *CommandSink) Play(ctx context.Context, p Pattern, _ []Tone) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	args := append(append([]string(nil), c.argv[1:]...), string(p))
	cmd := exec.CommandContext(ctx, c.argv[0], args...)
	var stderr bytes.Buffer
	cmd.Stderr = &limited{w: &stderr, n: 512}
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("timed out after %v: %w", c.timeout, err)
		}
		if msg != "" {
			return fmt.Errorf("command: %s %s: %w: %s", c.argv[0], p, err, msg)
		}
		return fmt.Errorf("command: %s %s: %w", c.argv[0], p, err)
	}
	return nil
}

// limited keeps the first n bytes written and discards the rest.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(b []byte) (int, error) {
	if l.n > 0 {
		k := min(len(b), l.n)
		l.w.Write(b[:k])
		l.n -= k
	}
	return len(b), nil
}

// Beeper is a device that can sound feedback itself; it has the method set
// of devices.Beeper, so any scanner source that implements that satisfies
// it, without this package depending on the device transports.
type Beeper interface {
	Beep(pattern string) error
}

// OneSoundBeeper is a Beeper that has a single sound for some patterns (a
// serial scanner whose profile is one beep command): its sink sounds those
// patterns by their Rhythm, one Beep call per beep.
type OneSoundBeeper interface {
	Beeper
	OneSound(pattern string) bool
}

// ScannerSink makes a scanner's own beeper a sink: it sends the pattern
// name to b.Beep, which maps it to the scanner profile's command bytes.
// name must be the scanner's config name so the dispatcher can route a
// scan's feedback back to the scanner that read it.
func ScannerSink(name string, b Beeper) Sink {
	return &scannerSink{name: name, b: b, clock: RealClock{}}
}

type scannerSink struct {
	name  string
	mu    sync.Mutex // Beep implementations need not be safe for concurrent use
	b     Beeper
	clock Clock // paces a one-sound scanner's rhythm
}

func (s *scannerSink) Name() string { return s.name }

func (s *scannerSink) Play(ctx context.Context, p Pattern, _ []Tone) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	beep := func() error {
		if err := s.b.Beep(string(p)); err != nil {
			return fmt.Errorf("scanner %s: %w", s.name, err)
		}
		return nil
	}
	if ob, ok := s.b.(OneSoundBeeper); ok && ob.OneSound(string(p)) {
		return PlayRhythm(ctx, s.clock, p, beep)
	}
	return beep()
}
