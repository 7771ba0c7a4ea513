package main

import (
	"context"
	"io"
	"log/slog"
)

// journalHandler writes each record to the journal's stream (standard error
// of a systemd service) behind the sd-daemon prefix "<N>" of its level,
// which journald strips and keeps as the line's priority. So `journalctl -p
// warning -u offcircd` finds the warnings, each once, without a second copy
// through syslog.
type journalHandler struct {
	byLevel [4]slog.Handler // debug, info, warn, error
}

// journalPriorities are syslog's numbers (sd-daemon(3)) for debug, info,
// warn and error.
var journalPriorities = [4]string{"<7>", "<6>", "<4>", "<3>"}

// newJournalHandler builds one handler per priority with mk, each writing
// to w behind its prefix.
func newJournalHandler(w io.Writer, mk func(io.Writer) slog.Handler) *journalHandler {
	var h journalHandler
	for i, p := range journalPriorities {
		h.byLevel[i] = mk(&prefixWriter{w: w, prefix: []byte(p)})
	}
	return &h
}

func journalIndex(l slog.Level) int {
	switch {
	case l < slog.LevelInfo:
		return 0
	case l < slog.LevelWarn:
		return 1
	case l < slog.LevelError:
		return 2
	}
	return 3
}

func (h *journalHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.byLevel[journalIndex(l)].Enabled(ctx, l)
}

func (h *journalHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.byLevel[journalIndex(r.Level)].Handle(ctx, r)
}

func (h *journalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var c journalHandler
	for i, b := range h.byLevel {
		c.byLevel[i] = b.WithAttrs(as)
	}
	return &c
}

func (h *journalHandler) WithGroup(name string) slog.Handler {
	var c journalHandler
	for i, b := range h.byLevel {
		c.byLevel[i] = b.WithGroup(name)
	}
	return &c
}

// prefixWriter puts prefix before each write; slog's handlers write a
// record in one call, so each line gets it once, in the same write.
type prefixWriter struct {
	w      io.Writer
	prefix []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	line := append(append(make([]byte, 0, len(p.prefix)+len(b)), p.prefix...), b...)
	if _, err := p.w.Write(line); err != nil {
		return 0, err
	}
	return len(b), nil
}
