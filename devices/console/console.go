package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/encoder"

	"github.com/offcircd/offcircd/devices"
)

// Options are the [[scanner]] keys of a console scanner: none of its own.
type Options struct{}

// Check reports nothing: a console has no options.
func (*Options) Check(*config.Report) {}

// Defaults sets nothing.
func (*Options) Defaults() {}

// Register makes the "console" scanner type available (devices/all calls it).
func Register() {
	devices.Register(config.ScannerType{Name: "console", Options: func() config.ScannerOptions { return new(Options) }},
		func(sc config.Scanner, _ devices.Env, log *slog.Logger) (devices.Source, error) {
			return New(sc.Name, os.Stdin, log), nil
		})
}

// maxConsoleLine bounds one console line; longer lines are rejected whole.
const maxConsoleLine = 4096

// ErrNotPrintable is the reason for rejecting input with bytes outside
// printable ASCII: it could never be written to OffCirc.dat.
var ErrNotPrintable = encoder.ErrCharset

// Console is a source that reads one scan per line from a reader:
// standard input typed by a person or by a keyboard-wedge scanner.
type Console struct {
	name string
	r    io.Reader
	log  *slog.Logger
	now  func() time.Time
}

// New returns a console source reading r.
func New(name string, r io.Reader, log *slog.Logger) *Console {
	return &Console{name: name, r: r, log: log, now: time.Now}
}

// Name returns the scanner name.
func (c *Console) Name() string { return c.name }

// Run delivers each non-empty line as a scan. A read from a terminal cannot
// be interrupted, so the reading goroutine may outlive Run by one line after
// cancellation; it never sends after Run returned.
func (c *Console) Run(ctx context.Context, out chan<- devices.Event) error {
	lines := make(chan devices.Event)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(lines)
		br := bufio.NewReaderSize(c.r, maxConsoleLine)
		for {
			ev, err := c.readLine(br)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					c.log.Warn("console read failed", "err", err)
				}
				return
			}
			if ev.Kind == 0 {
				continue
			}
			select {
			case lines <- ev:
			case <-done:
				return
			}
		}
	}()
	if !devices.Send(ctx, out, devices.Event{Kind: devices.KindState, Source: c.name, Time: c.now(), State: devices.StateConnected}) {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-lines:
			if !ok {
				// End of input (Ctrl-D, or a pipe that closed): nothing more will come.
				devices.Send(ctx, out, devices.Event{Kind: devices.KindState, Source: c.name, Time: c.now(), State: devices.StateStopped})
				return nil
			}
			if !devices.Send(ctx, out, ev) {
				return nil
			}
		}
	}
}

// readLine reads one line and classifies it; a zero Kind means "skip".
func (c *Console) readLine(br *bufio.Reader) (devices.Event, error) {
	line, err := br.ReadSlice('\n')
	overlong := false
	for errors.Is(err, bufio.ErrBufferFull) {
		// Swallow the rest of an overlong line so the next line starts clean.
		overlong = true
		_, err = br.ReadSlice('\n')
	}
	if err != nil && (len(line) == 0 || !errors.Is(err, io.EOF)) {
		return devices.Event{}, err
	}
	raw := append([]byte(nil), line...)
	text := strings.TrimRight(string(line), "\r\n")
	text = strings.TrimSpace(text)
	ev := devices.Event{Source: c.name, Time: c.now(), Raw: raw}
	if overlong {
		ev.Kind, ev.Err = devices.KindBad, fmt.Errorf("console: line longer than %d bytes", maxConsoleLine)
		return ev, nil
	}
	if text == "" {
		return devices.Event{}, nil
	}
	// The error names the offending byte, not the line: it may be a patron ID.
	if err := encoder.CheckChars("line", text); err != nil {
		ev.Kind, ev.Err = devices.KindBad, fmt.Errorf("console: %w", err)
		return ev, nil
	}
	ev.Kind, ev.Data = devices.KindScan, text
	return ev, nil
}
