package daemon

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"

	"github.com/offcircd/offcircd/devices"
)

// The daemon speaks systemd's notify protocol (the packaged unit has
// Type=notify and WatchdogSec=): READY=1 once every source is set up, so
// `systemctl start` returns when the station can take scans, STOPPING=1 on
// stop, and WATCHDOG=1 keep-alives while the station takes its events, so a
// wedged station is restarted by systemd. Without NOTIFY_SOCKET (a terminal,
// Windows, another service manager) every message is a no-op.

// sdNotify sends one state to the service manager; a variable for tests.
var sdNotify = func(state string) error {
	_, err := sd.SdNotify(false, state)
	return err
}

// notifyReady tells systemd the station is up: every source started.
func notifyReady(log *slog.Logger) { notifyState(log, sd.SdNotifyReady) }

// notifyStopping tells systemd the station is finishing its last record.
func notifyStopping(log *slog.Logger) { notifyState(log, sd.SdNotifyStopping) }

// notifyState sends state, logging (not failing on) a socket that refuses it.
func notifyState(log *slog.Logger, state string) {
	if err := sdNotify(state); err != nil {
		log.Warn("systemd notify failed", "state", state, "err", err)
	}
}

// watchdog feeds systemd's watchdog from the station's input: it relays the
// devices' events to the station one at a time and stops feeding once an
// event has waited longer than stuckAfter for the station to take it. A
// station blocked in a decision or a write is then killed and restarted by
// systemd; nothing it acknowledged is lost (the good beep follows the fsync).
type watchdog struct {
	interval   time.Duration // WatchdogSec; 0 = systemd asked for no watchdog
	stuckAfter time.Duration // an event waiting this long means a wedged station
	log        *slog.Logger
	now        func() time.Time

	waiting atomic.Int64 // UnixNano when the event in hand was offered, 0 = none
}

// newWatchdog reads WATCHDOG_USEC (and WATCHDOG_PID) as systemd set them.
func newWatchdog(log *slog.Logger) *watchdog {
	interval, err := sd.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("systemd watchdog settings unusable; watchdog off", "err", err)
		interval = 0
	}
	return &watchdog{interval: interval, stuckAfter: interval / 2, log: log, now: time.Now}
}

// gate returns the station's input: in, relayed one event at a time so the
// watchdog sees how long each one waits. It is closed when in is closed.
func (w *watchdog) gate(ctx context.Context, in <-chan devices.Event) <-chan devices.Event {
	out := make(chan devices.Event)
	go func() {
		defer close(out)
		for {
			var ev devices.Event
			var ok bool
			select {
			case ev, ok = <-in:
				if !ok {
					return
				}
			case <-ctx.Done():
				return
			}
			w.waiting.Store(w.now().UnixNano())
			select {
			case out <- ev:
				w.waiting.Store(0)
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// healthy reports whether the station took every event in time.
func (w *watchdog) healthy() bool {
	since := w.waiting.Load()
	return since == 0 || w.now().Sub(time.Unix(0, since)) < w.stuckAfter
}

// Run sends WATCHDOG=1 three times per interval while the station is
// healthy, until ctx is cancelled. Without a watchdog it returns at once.
func (w *watchdog) Run(ctx context.Context) {
	if w.interval <= 0 {
		return
	}
	t := time.NewTicker(w.interval / 3)
	defer t.Stop()
	reported := false
	for {
		if w.healthy() {
			notifyState(w.log, sd.SdNotifyWatchdog)
			reported = false
		} else if !reported {
			reported = true
			w.log.Error("station stuck: an event has waited too long; watchdog no longer fed, systemd will restart the daemon",
				"waited_over", w.stuckAfter)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
