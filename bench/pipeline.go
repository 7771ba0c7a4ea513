//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon"
	"github.com/offcircd/offcircd/daemon/feedback"
)

// msgDevice is the station's log message for a device state change; with
// state=connected the scanner's port is open.
const msgDevice = "device"

// logWatch is a slog handler that counts serial connections and keeps
// warnings and errors, so the harness knows when every scanner is open
// (writing to a pty before its slave is in raw mode would echo) and can
// report what the daemon complained about.
type logWatch struct {
	mu        sync.Mutex
	connected int
	problems  []string
	changed   chan struct{} // poked (non-blocking) on every counted message
}

func newLogWatch() *logWatch { return &logWatch{changed: make(chan struct{}, 1)} }

func (l *logWatch) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelInfo }

func (l *logWatch) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case r.Message == msgDevice && connectedAttr(r):
		l.connected++
	case r.Level >= slog.LevelWarn && len(l.problems) < 20:
		l.problems = append(l.problems, r.Level.String()+" "+r.Message)
	default:
		return nil
	}
	select {
	case l.changed <- struct{}{}:
	default:
	}
	return nil
}

func (l *logWatch) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logWatch) WithGroup(string) slog.Handler      { return l }

// waitConnected waits until n serial ports were opened.
func (l *logWatch) waitConnected(n int, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		c, p := l.connected, l.problems
		l.mu.Unlock()
		if c >= n {
			return nil
		}
		select {
		case <-l.changed:
		case <-deadline:
			return fmt.Errorf("bench: %d of %d scanners connected after %s (daemon said: %s)", c, n, timeout, strings.Join(p, "; "))
		}
	}
}

// beep is one pattern the fake sink was asked to play, and when.
type beep struct {
	p  feedback.Pattern
	at time.Time
}

// recSink is an in-process feedback sink that timestamps every Play: the
// moment the dispatcher hands the pattern to a sink, i.e. the start of the
// beep a person would hear.
type recSink struct{ ch chan beep }

func (s *recSink) Name() string { return "bench" }

func (s *recSink) Play(_ context.Context, p feedback.Pattern, _ []feedback.Tone) error {
	select {
	case s.ch <- beep{p, time.Now()}:
	default: // the harness is not listening (burst): never hold up the dispatcher
	}
	return nil
}

// pipeline is one in-process daemon with n pty serial scanners.
type pipeline struct {
	dir, dataPath string
	masters       []*os.File
	sink          *recSink
	logs          *logWatch
	cancel        context.CancelFunc
	done          chan error
	stopOnce      sync.Once
	stopErr       error
}

// startPipeline runs the daemon (the code `offcircd run` runs) with n
// serial scanners on pseudo-terminals, in return mode so every item scan is
// a record, and waits until every port is open.
func startPipeline(dir string, n int) (*pipeline, error) {
	p := &pipeline{dir: dir, sink: &recSink{ch: make(chan beep, 64)}, logs: newLogWatch(), done: make(chan error, 1)}
	var cfg strings.Builder
	// The longest write_timeout: the bench times the good path, and a disk
	// busy with other work must slow it, not turn a record into a spooled
	// one (the hung-share bound has its own tests).
	fmt.Fprintf(&cfg, "station = \"bench\"\ndata_dir = %q\nstate_dir = %q\ndefault_mode = \"return\"\nwrite_timeout = %q\n",
		filepath.Join(dir, "files"), filepath.Join(dir, "state"), config.MaxWriteTimeout.String())
	for i := range n {
		m, s, err := pty.Open()
		if err != nil {
			p.closeMasters()
			return nil, fmt.Errorf("bench: no pseudo-terminals: %w", err)
		}
		fmt.Fprintf(&cfg, "\n[[scanner]]\nname = \"pty%d\"\ntype = \"serial\"\nport = %q\nterminator = \"cr\"\nbeep = \"none\"\n", i, s.Name())
		s.Close()
		p.masters = append(p.masters, m)
	}
	path := filepath.Join(dir, "bench.toml")
	c, err := config.Parse(path, []byte(cfg.String()))
	if err != nil {
		p.closeMasters()
		return nil, fmt.Errorf("bench: config: %w", err)
	}
	p.dataPath = c.DataPath()
	if err := os.MkdirAll(filepath.Dir(p.dataPath), 0o750); err != nil {
		p.closeMasters()
		return nil, fmt.Errorf("bench: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	d, err := daemon.New(c, daemon.Options{Logger: slog.New(p.logs), Sinks: []feedback.Sink{p.sink}})
	if err != nil {
		cancel()
		p.closeMasters()
		return nil, fmt.Errorf("bench: %w", err)
	}
	go func() { p.done <- d.Run(ctx) }()
	if err := p.logs.waitConnected(n, 10*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// stop cancels the daemon and waits for it, then closes the ptys; later
// calls return the first result.
func (p *pipeline) stop() error {
	p.stopOnce.Do(func() {
		p.cancel()
		select {
		case p.stopErr = <-p.done:
		case <-time.After(10 * time.Second):
			p.stopErr = errors.New("bench: daemon did not stop within 10s of cancel")
		}
		p.closeMasters()
	})
	return p.stopErr
}

func (p *pipeline) closeMasters() {
	for _, m := range p.masters {
		m.Close()
	}
}

// floorWrite is the least any durable append can cost: open, one write,
// fsync, close, in the same folder (the same floor as the store's
// BenchmarkFloor, timed here beside the daemon in the same run).
func floorWrite(path string, line []byte) (time.Duration, error) {
	t := time.Now()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return 0, fmt.Errorf("bench: floor: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return 0, fmt.Errorf("bench: floor: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, fmt.Errorf("bench: floor: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("bench: floor: %w", err)
	}
	return time.Since(t), nil
}

// floorLine is a return line of the same length as the daemon's records.
var floorLine = []byte("202401020304RLAT0000000" + strings.Repeat(" ", 80-len("LAT0000000")) + "\r\n")

// connectedAttr reports whether r carries state=connected.
func connectedAttr(r slog.Record) bool {
	ok := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "state" && a.Value.String() == "connected" {
			ok = true
			return false
		}
		return true
	})
	return ok
}
