//go:build linux

package daemon

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/station"
	"github.com/offcircd/offcircd/devices"
)

// notifySocket is systemd's end of the notify protocol: a datagram socket
// whose messages the test reads in order.
type notifySocket struct {
	mu   sync.Mutex
	msgs []string
	at   []time.Time
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	n := &notifySocket{}
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := c.Read(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.msgs = append(n.msgs, string(buf[:k]))
			n.at = append(n.at, time.Now())
			n.mu.Unlock()
		}
	}()
	return n
}

// count is how many messages equal to msg arrived since from.
func (n *notifySocket) count(msg string, from time.Time) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for i, m := range n.msgs {
		if m == msg && !n.at[i].Before(from) {
			c++
		}
	}
	return c
}

// first is when msg first arrived (zero if never).
func (n *notifySocket) first(msg string) time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i, m := range n.msgs {
		if m == msg {
			return n.at[i]
		}
	}
	return time.Time{}
}

// TestNotifyReadyWatchdogStopping runs the whole daemon under a fake
// systemd: READY=1 once the sources are started, WATCHDOG=1 while the
// station takes its events, none once an event waits for a wedged station
// (and again once it is free), STOPPING=1 on stop.
func TestNotifyReadyWatchdogStopping(t *testing.T) {
	sock := listenNotify(t)
	const interval = 600 * time.Millisecond
	t.Setenv("WATCHDOG_USEC", strconv.Itoa(int(interval/time.Microsecond)))
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))

	dir := t.TempDir()
	cfg := config.Trial()
	cfg.DataDir, cfg.StateDir = filepath.Join(dir, "files"), filepath.Join(dir, "state")
	cfg.DefaultMode, cfg.Timezone = "return", "UTC"
	src := &chanSource{name: "desk", in: make(chan string)}

	// The station's change callback runs inside its loop: blocking it
	// wedges the station the way a hung decision or write would.
	wedge := make(chan struct{}, 1) // a token: held by the test, the callback waits for it
	var readyAt time.Time
	d, err := New(cfg, Options{Sources: []devices.Source{src},
		OnReady:   func() { readyAt = time.Now() },
		OnStation: func(station.State) { wedge <- struct{}{}; <-wedge },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	waitFor(t, func() bool { return !sock.first("READY=1").IsZero() })
	if r := sock.first("READY=1"); readyAt.IsZero() || r.Before(readyAt) {
		t.Fatalf("READY=1 at %v, before the sources were started (%v)", r, readyAt)
	}
	healthy := time.Now()
	time.Sleep(2 * interval)
	if n := sock.count("WATCHDOG=1", healthy); n < 3 {
		t.Fatalf("idle station: %d WATCHDOG=1 in %v, want >= 3 (every interval/3)", n, 2*interval)
	}

	wedge <- struct{}{}
	src.in <- "30000001" // taken by the station, which then hangs in it
	go func() { src.in <- "30000002" }()
	time.Sleep(interval) // the second scan now waits longer than interval/2
	stuck := time.Now()
	time.Sleep(2 * interval)
	if n := sock.count("WATCHDOG=1", stuck); n != 0 {
		t.Errorf("wedged station: %d WATCHDOG=1 while a scan waited, want none (systemd must restart it)", n)
	}
	<-wedge
	free := time.Now()
	waitFor(t, func() bool { return sock.count("WATCHDOG=1", free) >= 2 })

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second) // the datagram may still be on its way
	for sock.first("STOPPING=1").IsZero() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if sock.first("STOPPING=1").IsZero() {
		t.Error("no STOPPING=1 on stop")
	}
	sock.mu.Lock()
	t.Logf("notify messages: %s", strings.Join(sock.msgs, " "))
	sock.mu.Unlock()
}

// TestNotifyWithoutSystemd: outside systemd (no NOTIFY_SOCKET, no
// WATCHDOG_USEC) the daemon runs as before: no watchdog, no errors.
func TestNotifyWithoutSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "")
	w := newWatchdog(slog.New(slog.DiscardHandler), func() time.Time { return time.Time{} })
	if w.interval != 0 {
		t.Fatalf("watchdog interval %v without systemd", w.interval)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan struct{})
	go func() { w.Run(ctx); close(ran) }()
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("watchdog Run without a watchdog did not return")
	}
	if err := sdNotify("READY=1"); err != nil {
		t.Fatalf("notify without a socket: %v", err)
	}
}
