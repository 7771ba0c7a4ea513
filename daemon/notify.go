package daemon

import (
	"context"
	"log/slog"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
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

// watchdog feeds systemd's watchdog while the station takes its events: it
// stops feeding once the station has been busy with one event (or one group
// of queued scans) for longer than stuckAfter. A station blocked in a
// decision or a write is then killed and restarted by systemd; nothing it
// acknowledged is lost (the good beep follows the fsync). It asks the
// station (busy) instead of relaying its input, so queued scans stay
// queued where the station can take several at once.
type watchdog struct {
	interval   time.Duration // WatchdogSec; 0 = systemd asked for no watchdog
	stuckAfter time.Duration // busy this long with one event means a wedged station
	log        *slog.Logger
	now        func() time.Time
	busy       func() time.Time // since when the station handles the event in hand; zero = waiting
}

// newWatchdog reads WATCHDOG_USEC (and WATCHDOG_PID) as systemd set them.
func newWatchdog(log *slog.Logger, busy func() time.Time) *watchdog {
	interval, err := sd.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("systemd watchdog settings unusable; watchdog off", "err", err)
		interval = 0
	}
	return &watchdog{interval: interval, stuckAfter: interval / 2, log: log, now: time.Now, busy: busy}
}

// healthy reports whether the station is waiting for an event or has been
// busy with the one in hand for less than stuckAfter.
func (w *watchdog) healthy() bool {
	since := w.busy()
	return since.IsZero() || w.now().Sub(since) < w.stuckAfter
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
			w.log.Error("station stuck: busy with one event too long; watchdog no longer fed, systemd will restart the daemon",
				"busy_over", w.stuckAfter)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
