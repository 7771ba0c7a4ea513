package service

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
)

// SystemLogger is the part of the service manager's logger (kardianos
// service.Logger: Windows Event Log, syslog/journal) the daemon uses.
type SystemLogger interface {
	Warning(v ...any) error
	Error(v ...any) error
}

// NewTeeHandler returns a handler that passes every record to h and also
// sends records at min or above to sys, where an administrator looks first
// (Event Viewer, journalctl -p warning). Debug records, the only ones that
// may carry an unmasked patron ID, never reach sys unless min is Debug.
func NewTeeHandler(h slog.Handler, sys SystemLogger, min slog.Level) slog.Handler {
	buf := &lockedBuffer{}
	text := slog.NewTextHandler(buf, &slog.HandlerOptions{
		Level: min,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			// The system log stamps time and severity itself; the message
			// goes first, unquoted.
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	return &teeHandler{main: h, sys: sys, min: min, text: text, buf: buf}
}

type teeHandler struct {
	main slog.Handler
	sys  SystemLogger
	min  slog.Level
	text slog.Handler // formats records for sys into buf
	buf  *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) { return l.b.Write(p) }

func (t *teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= t.min || t.main.Enabled(ctx, l)
}

func (t *teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if t.main.Enabled(ctx, r.Level) {
		err = t.main.Handle(ctx, r)
	}
	if r.Level < t.min {
		return err
	}
	t.buf.mu.Lock()
	t.buf.b.Reset()
	t.text.Handle(ctx, r)
	line := strings.TrimSpace(r.Message + " " + strings.TrimSuffix(t.buf.b.String(), "\n"))
	t.buf.mu.Unlock()
	// A failing system log must not take the daemon's own log down with it.
	if r.Level >= slog.LevelError {
		t.sys.Error(line)
	} else {
		t.sys.Warning(line)
	}
	return err
}

func (t *teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *t
	c.main, c.text = t.main.WithAttrs(as), t.text.WithAttrs(as)
	return &c
}

func (t *teeHandler) WithGroup(name string) slog.Handler {
	c := *t
	c.main, c.text = t.main.WithGroup(name), t.text.WithGroup(name)
	return &c
}
