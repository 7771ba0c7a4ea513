//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
)

// Log messages of the real binary the harness waits for.
const msgRunning = "offcircd running"

// station is a config for the real binary with scanners serial pty
// scanners (the harness holds their masters) and one hid-pos scanner whose
// device is absent, so the daemon polls HID enumeration (hotplug).
type station struct {
	cfgPath  string
	masters  []*os.File
	scanners int
}

func newStation(dir string, scanners int) (*station, error) {
	st := &station{scanners: scanners}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "station = \"bench-idle\"\ndata_dir = %q\nstate_dir = %q\nlog_level = \"info\"\n",
		filepath.Join(dir, "files"), filepath.Join(dir, "state"))
	for i := range scanners {
		m, s, err := pty.Open()
		if err != nil {
			st.close()
			return nil, fmt.Errorf("bench: no pseudo-terminals: %w", err)
		}
		fmt.Fprintf(&cfg, "\n[[scanner]]\nname = \"serial%d\"\ntype = \"serial\"\nport = %q\nterminator = \"cr\"\nbeep = \"none\"\n", i, s.Name())
		s.Close()
		st.masters = append(st.masters, m)
	}
	// pid.codes' test VID/PID: no real scanner answers to it.
	cfg.WriteString("\n[[scanner]]\nname = \"hid\"\ntype = \"hid-pos\"\nvid = \"1209\"\npid = \"0001\"\nbeep = \"none\"\n")
	st.cfgPath = filepath.Join(dir, "idle.toml")
	if err := os.WriteFile(st.cfgPath, []byte(cfg.String()), 0o600); err != nil {
		st.close()
		return nil, fmt.Errorf("bench: %w", err)
	}
	return st, nil
}

func (st *station) close() {
	for _, m := range st.masters {
		m.Close()
	}
}

// child is a running `offcircd run` whose log lines are timestamped as
// they arrive.
type child struct {
	cmd     *exec.Cmd
	start   time.Time
	lines   chan logLine
	exited  chan struct{}
	waitErr error
}

type logLine struct {
	text string
	at   time.Time
}

func startChild(bin, cfgPath string) (*child, error) {
	c := &child{cmd: exec.Command(bin, "run", "--config", cfgPath), lines: make(chan logLine, 256), exited: make(chan struct{})}
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	c.start = time.Now()
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting %s: %w", bin, err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			c.lines <- logLine{sc.Text(), time.Now()}
		}
		close(c.lines)
		c.waitErr = c.cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// waitReady returns the times from process start to the "offcircd running"
// line and to the last of scanners serial connections.
func (c *child) waitReady(scanners int, timeout time.Duration) (running, connected time.Duration, err error) {
	deadline := time.After(timeout)
	n := 0
	var seen []string
	for running == 0 || n < scanners {
		select {
		case l, ok := <-c.lines:
			if !ok {
				return 0, 0, fmt.Errorf("bench: offcircd exited before ready: %s", strings.Join(seen, " | "))
			}
			seen = append(seen, l.text)
			switch {
			case strings.Contains(l.text, msgRunning):
				running = l.at.Sub(c.start)
			case strings.Contains(l.text, "msg="+msgDevice+" ") && strings.Contains(l.text, " state=connected"):
				n++
				connected = l.at.Sub(c.start)
			}
		case <-deadline:
			return 0, 0, fmt.Errorf("bench: offcircd not ready after %s (%d of %d scanners connected): %s", timeout, n, scanners, strings.Join(seen, " | "))
		}
	}
	return running, connected, nil
}

// drain discards log lines for d.
func (c *child) drain(d time.Duration) error {
	end := time.After(d)
	for {
		select {
		case _, ok := <-c.lines:
			if !ok {
				return errors.New("bench: offcircd exited")
			}
		case <-end:
			return nil
		}
	}
}

// stop sends SIGTERM (what the service manager sends) and waits; a daemon
// that does not stop in 5 s is killed and that is an error.
func (c *child) stop() error {
	c.cmd.Process.Signal(syscall.SIGTERM)
	go func() {
		for range c.lines { // keep the pipe drained until exit
		}
	}()
	select {
	case <-c.exited:
		return nil
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
		return errors.New("bench: offcircd did not stop within 5s of SIGTERM")
	}
}

// idleResult is section 4.
type idleResult struct {
	window        time.Duration
	cpu           float64 // CPU seconds over window, from /proc/<pid>/stat
	schedCPU      float64 // same from the threads' schedstat (finer clock)
	rssKB, hwmKB  int64
	logLines      int // lines logged while idle (should be none)
	floorRSSKB    int64
	floorCPU      float64
	scanners, hid int
}

// runIdle starts the binary with st, waits until every serial scanner is
// open, lets it settle, and measures CPU time and memory over window with
// no scans. Beside it, the harness itself re-executed as an idle child
// (-idle-child) gives the Go runtime's own floor in the same window.
func runIdle(bin string, st *station, window time.Duration) (*idleResult, error) {
	c, err := startChild(bin, st.cfgPath)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	if _, _, err := c.waitReady(st.scanners, 10*time.Second); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	fl := exec.Command(self, "-idle-child")
	if err := fl.Start(); err != nil {
		return nil, fmt.Errorf("bench: idle floor: %w", err)
	}
	defer func() { fl.Process.Kill(); fl.Wait() }()
	// Start-up work and its last log lines are section 5's business.
	if err := c.drain(500 * time.Millisecond); err != nil {
		return nil, err
	}
	a, err := sampleProc(c.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	fa, err := sampleProc(fl.Process.Pid)
	if err != nil {
		return nil, err
	}
	logged := 0
	end := time.After(window)
wait:
	for {
		select {
		case _, ok := <-c.lines:
			if !ok {
				return nil, errors.New("bench: offcircd exited while idle")
			}
			logged++
		case <-end:
			break wait
		}
	}
	b, err := sampleProc(c.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	fb, err := sampleProc(fl.Process.Pid)
	if err != nil {
		return nil, err
	}
	return &idleResult{
		window: window, cpu: b.cpuSeconds() - a.cpuSeconds(), schedCPU: float64(b.schedNS-a.schedNS) / 1e9,
		rssKB: b.rssKB, hwmKB: b.hwmKB, logLines: logged,
		floorRSSKB: fb.rssKB, floorCPU: fb.cpuSeconds() - fa.cpuSeconds(),
		scanners: st.scanners, hid: 1,
	}, nil
}

// idleChild is the -idle-child mode: a Go process that does nothing, the
// floor for the daemon's idle memory and CPU.
func idleChild() {
	select {}
}

// startupResult is section 5.
type startupResult struct {
	running, connected, peer []time.Duration
}

// runStartup starts the binary n times: process start → "offcircd running"
// (every scanner started: opened or waiting) and → every serial port open.
// The peer is start → exit of `offcircd version`, the cost of exec and Go
// runtime start of the same binary.
func runStartup(bin string, st *station, n int) (*startupResult, error) {
	r := &startupResult{}
	for range n {
		c, err := startChild(bin, st.cfgPath)
		if err != nil {
			return nil, err
		}
		run, conn, err := c.waitReady(st.scanners, 10*time.Second)
		if serr := c.stop(); err == nil {
			err = serr
		}
		if err != nil {
			return nil, err
		}
		r.running = append(r.running, run)
		r.connected = append(r.connected, conn)

		t := time.Now()
		if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("bench: offcircd version: %w: %s", err, out)
		}
		r.peer = append(r.peer, time.Since(t))
	}
	return r, nil
}
