//go:build e2e && linux

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// vm is one QEMU guest of the station with its host-side connections:
// QMP (keys, hotplug), the console (ttyS0: guest init and daemon log), the
// control port (ttyS1: clock, stop, file transfer) and the FTDI chardev
// (the serial scanner's bytes).
type vm struct {
	cmd    *exec.Cmd
	exited chan error
	start  time.Time

	qmp  *qmpConn
	ftdi net.Conn
	ctl  net.Conn
	ctlR *bufio.Reader

	mu      sync.Mutex
	console []conLine // every console line, in order
	conLog  *os.File
}

// conLine is one console line; daemon log lines are decoded.
type conLine struct {
	at   time.Duration // since QEMU started
	text string
	log  map[string]any // the daemon's JSON log record, nil otherwise
}

// vmConfig says what to boot and where its files go.
type vmConfig struct {
	kernel, initrd string
	sockDir        string // short path: unix socket names are limited to 108 bytes
	outDir         string // console.log, qemu.log, beep.wav
	// disk, when set, is a raw disk image attached as the guest's
	// /dev/vda (virtio). cache=unsafe: QEMU writes what the guest writes
	// to the image file at once and ignores flushes, so after a SIGKILL
	// the image (the host's page cache) holds exactly what the guest's
	// disk had received — a power cut of the guest, not of the disk.
	disk string
	// serialOnly leaves out the keyboards, the VGA and the speaker (the
	// power-cut station has only the FTDI scanner).
	serialOnly bool
	nice       bool // run QEMU at lower priority (long runs on the shared machine)
	// rtcBase, when set, is the guest's wall clock at boot (QEMU -rtc
	// base=, UTC); "" = the host's time.
	rtcBase string
}

// startVM boots the guest paused, connects every socket, then resumes it.
// Pitfalls from the rig: TCG only (KVM here is a nested PVM); the FTDI needs
// always-plugged=on; the keypad is bound to the VGA console so QMP can
// address it, and unrouted key events go to the scanner.
func startVM(c vmConfig) (*vm, error) {
	s := func(n string) string { return filepath.Join(c.sockDir, n) }
	o := func(n string) string { return filepath.Join(c.outDir, n) }
	machine, desk := deskMachine, deskDeviceArgs(o("beep.wav"))
	if c.serialOnly {
		machine, desk = "pc,accel=tcg", []string{"-device", "qemu-xhci,id=usbhc"}
	}
	args := []string{
		"-name", "offcircd-e2e", "-no-reboot", "-nodefaults", "-no-user-config", "-display", "none",
		"-machine", machine, "-cpu", "max", "-m", "256", "-smp", "1",
		"-kernel", c.kernel, "-initrd", c.initrd,
		"-append", "console=ttyS0 quiet loglevel=3 panic=-1",
	}
	args = append(args, desk...)
	args = append(args, guestPortArgs(c.sockDir)...)
	args = append(args,
		"-chardev", "socket,id=ftdi,path="+s("ftdi.sock")+",server=on,wait=off",
		"-device", "usb-serial,id=ftdi0,bus=usbhc.0,port=3,chardev=ftdi,serial=FTDI0001,always-plugged=on")
	if c.rtcBase != "" {
		args = append(args, "-rtc", "base="+c.rtcBase+",clock=host")
	}
	if c.disk != "" {
		args = append(args, "-drive", "file="+c.disk+",format=raw,if=virtio,cache=unsafe")
	}
	os.Remove(o("qemu.log"))
	v := &vm{start: time.Now()}
	var err error
	if v.cmd, v.exited, err = startQEMU(args, o("qemu.log"), c.nice); err != nil {
		return nil, err
	}
	fail := func(err error) (*vm, error) {
		v.kill()
		<-v.exited // gone before the caller retries on the same disk image
		return nil, err
	}

	var con net.Conn
	if v.qmp, con, v.ctl, err = dialGuest(c.sockDir); err != nil {
		return fail(err)
	}
	v.ctlR = bufio.NewReader(v.ctl)
	if v.ftdi, err = dial(s("ftdi.sock")); err != nil {
		return fail(err)
	}
	if v.conLog, err = os.Create(o("console.log")); err != nil {
		return fail(err)
	}
	go v.readConsole(con)
	if _, err := v.qmp.cmd("cont", nil); err != nil {
		return fail(err)
	}
	return v, nil
}

func dial(path string) (net.Conn, error) {
	var err error
	for i := 0; i < 1000; i++ {
		var c net.Conn
		if c, err = net.Dial("unix", path); err == nil {
			return c, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil, fmt.Errorf("connect %s: %w", path, err)
}

func (v *vm) readConsole(c net.Conn) {
	readLines(c, 1<<20, func(text string) {
		l := conLine{at: time.Since(v.start), text: text}
		if j, ok := strings.CutPrefix(l.text, "D "); ok {
			var m map[string]any
			if json.Unmarshal([]byte(j), &m) == nil {
				l.log = m
			}
		}
		v.mu.Lock()
		v.console = append(v.console, l)
		fmt.Fprintf(v.conLog, "%7.3f %s\n", l.at.Seconds(), l.text)
		v.mu.Unlock()
	})
}

// mark is the console position to wait from.
func (v *vm) mark() int { return entryCount(&v.mu, &v.console) }

// waitFor returns the first console line at or after from that ok accepts.
func (v *vm) waitFor(from int, timeout time.Duration, what string, ok func(conLine) bool) (conLine, error) {
	return waitEntry(&v.mu, &v.console, v.exited, from, timeout, 5*time.Millisecond, what, ok)
}

// logIs matches a daemon log record by message and attributes.
func logIs(msg string, attrs ...string) func(conLine) bool {
	return func(l conLine) bool {
		return l.log != nil && attrsAre(func(k string) string { return fmt.Sprint(l.log[k]) }, msg, attrs)
	}
}

// control sends one command line to the guest init and returns its answer.
func (v *vm) control(cmd string, timeout time.Duration) (string, error) {
	v.ctl.SetDeadline(time.Now().Add(timeout))
	defer v.ctl.SetDeadline(time.Time{})
	if _, err := fmt.Fprintf(v.ctl, "%s\n", cmd); err != nil {
		return "", fmt.Errorf("control %s: %w", cmd, err)
	}
	line, err := v.ctlR.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("control %s: %w", cmd, err)
	}
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "ERR") {
		return "", fmt.Errorf("control %s: guest says %s", cmd, line)
	}
	return line, nil
}

// typeText types s on the keyboard-mode scanner (unrouted key events),
// Shift held for the characters that need it on a US keyboard. One event
// per QMP command with a gap: QEMU's usb-kbd queues only 16 events.
func (q *qmpConn) typeText(s string, gap time.Duration) error {
	for _, r := range s {
		code, shift, ok := usQcode(r)
		if !ok {
			return fmt.Errorf("no US key for %q", r)
		}
		evs := []keyEvent{{code, true}, {code, false}}
		if shift {
			evs = []keyEvent{{"shift", true}, {code, true}, {code, false}, {"shift", false}}
		}
		if err := q.sendKeys("", evs, gap); err != nil {
			return err
		}
	}
	return nil
}

// pressKey presses and releases one key of the device bound to display dev.
func (q *qmpConn) pressKey(dev, code string, gap time.Duration) error {
	return q.sendKeys(dev, []keyEvent{{code, true}, {code, false}}, gap)
}

type keyEvent struct {
	code string
	down bool
}

func (q *qmpConn) sendKeys(dev string, evs []keyEvent, gap time.Duration) error {
	for _, e := range evs {
		args := map[string]any{"events": []any{map[string]any{"type": "key", "data": map[string]any{
			"down": e.down, "key": map[string]any{"type": "qcode", "data": e.code}}}}}
		if dev != "" {
			args["device"] = dev
		}
		if _, err := q.cmd("input-send-event", args); err != nil {
			return err
		}
		time.Sleep(gap)
	}
	return nil
}

// usQcode maps a character to a QEMU key code on a US keyboard.
func usQcode(r rune) (code string, shift, ok bool) {
	switch {
	case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		return string(r), false, true
	case r >= 'A' && r <= 'Z':
		return string(r - 'A' + 'a'), true, true
	}
	if i := strings.IndexRune(")!@#$%^&*(", r); i >= 0 {
		return fmt.Sprint(i), true, true
	}
	keys := map[rune]string{'-': "minus", '=': "equal", '[': "bracket_left", ']': "bracket_right",
		'\\': "backslash", ';': "semicolon", '\'': "apostrophe", '`': "grave_accent", ',': "comma",
		'.': "dot", '/': "slash", ' ': "spc", '\n': "ret"}
	shifted := map[rune]rune{'_': '-', '+': '=', '{': '[', '}': ']', '|': '\\', ':': ';', '"': '\'',
		'~': '`', '<': ',', '>': '.', '?': '/'}
	if c, ok := keys[r]; ok {
		return c, false, true
	}
	if b, ok := shifted[r]; ok {
		return keys[b], true, true
	}
	return "", false, false
}

// kill stops QEMU hard (failure paths; the session ends with a clean
// power-off so the WAV header is written).
func (v *vm) kill() { killQEMU(v.cmd) }

// wait waits for QEMU to exit after the guest powered off.
func (v *vm) wait(timeout time.Duration) error {
	select {
	case err := <-v.exited:
		v.exited <- err
		return err
	case <-time.After(timeout):
		v.qmp.cmd("quit", nil)
		select {
		case err := <-v.exited:
			v.exited <- err
			return fmt.Errorf("guest did not power off within %v (quit over qmp: %v)", timeout, err)
		case <-time.After(5 * time.Second):
			v.kill()
			return fmt.Errorf("qemu did not exit; killed")
		}
	}
}

// qmpConn is a QMP client: one command at a time, events collected.
type qmpConn struct {
	c       net.Conn
	mu      sync.Mutex // one command in flight
	replies chan qmpReply

	evMu   sync.Mutex
	events []qmpEvent
}

type qmpReply struct {
	ret json.RawMessage
	err error
}

type qmpEvent struct {
	Event string         `json:"event"`
	Data  map[string]any `json:"data"`
}

func newQMP(c net.Conn) (*qmpConn, error) {
	q := &qmpConn{c: c, replies: make(chan qmpReply, 1)}
	r := bufio.NewReader(c)
	if _, err := r.ReadBytes('\n'); err != nil {
		return nil, fmt.Errorf("qmp greeting: %w", err)
	}
	go func() {
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				close(q.replies)
				return
			}
			var m struct {
				Return json.RawMessage `json:"return"`
				Error  *struct{ Class, Desc string }
				qmpEvent
			}
			if err := json.Unmarshal(line, &m); err != nil {
				continue
			}
			switch {
			case m.Event != "":
				q.evMu.Lock()
				q.events = append(q.events, m.qmpEvent)
				q.evMu.Unlock()
			case m.Error != nil:
				q.replies <- qmpReply{err: fmt.Errorf("qmp: %s: %s", m.Error.Class, m.Error.Desc)}
			default:
				q.replies <- qmpReply{ret: m.Return}
			}
		}
	}()
	if _, err := q.cmd("qmp_capabilities", nil); err != nil {
		return nil, err
	}
	return q, nil
}

func (q *qmpConn) cmd(name string, args any) (json.RawMessage, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := map[string]any{"execute": name}
	if args != nil {
		m["arguments"] = args
	}
	b, _ := json.Marshal(m)
	if _, err := q.c.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("qmp %s: %w", name, err)
	}
	select {
	case r, ok := <-q.replies:
		if !ok {
			return nil, fmt.Errorf("qmp %s: connection closed", name)
		}
		if r.err != nil {
			return nil, fmt.Errorf("%s: %w", name, r.err)
		}
		return r.ret, nil
	case <-time.After(10 * time.Second):
		return nil, fmt.Errorf("qmp %s: no answer in 10s", name)
	}
}

// waitEvent waits for a QMP event (DEVICE_DELETED for an id) and consumes it.
func (q *qmpConn) waitEvent(name, id string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		q.evMu.Lock()
		for i, e := range q.events {
			if e.Event == name && (id == "" || e.Data["device"] == id) {
				q.events = append(q.events[:i], q.events[i+1:]...) // a later unplug waits for its own event
				q.evMu.Unlock()
				return nil
			}
		}
		q.evMu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("qmp: no %s event for %q in %v", name, id, timeout)
}
