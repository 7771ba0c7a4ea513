//go:build e2e && linux

package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Harness pieces both virtual stations share: the desk's emulated devices
// on the QEMU command line, and waiting on what a guest logs.

// deskMachine is the -machine of a guest with the PC speaker: QEMU 7.2 has
// no -device pcspk, the speaker is a machine property bound to an audiodev.
const deskMachine = "pc,accel=tcg,pcspk-audiodev=snd0"

// deskDeviceArgs are the QEMU options of the desk's emulated devices: the
// PC speaker captured to wav (QEMU writes the WAV header on a clean exit),
// the VGA console the keypad is bound to, and on a qemu-xhci controller
// usbhc the keyboard-mode scanner (port 1, SCANNER0001, gets the unrouted
// key events) and the keypad (port 2, KEYPAD0001, addressed as vga0).
func deskDeviceArgs(wav string) []string {
	return []string{
		"-audiodev", "wav,id=snd0,path=" + wav,
		"-device", "VGA,id=vga0",
		"-device", "qemu-xhci,id=usbhc",
		"-device", "usb-kbd,id=scanner,bus=usbhc.0,port=1,serial=SCANNER0001",
		"-device", "usb-kbd,id=keypad,bus=usbhc.0,port=2,serial=KEYPAD0001,display=vga0",
	}
}

// guestPortArgs are the QEMU options of a guest's host connections in
// sockDir: the console (con.sock, ttyS0), the control port (ctl.sock,
// ttyS1), QMP (qmp.sock), the usb-kbd queue-overflow trace (key events
// lost when typed too fast), and -S: the guest starts once dialGuest has
// connected and sent "cont".
func guestPortArgs(sockDir string) []string {
	s := func(n string) string { return filepath.Join(sockDir, n) }
	return []string{
		"-chardev", "socket,id=con,path=" + s("con.sock") + ",server=on,wait=off",
		"-serial", "chardev:con",
		"-chardev", "socket,id=ctl,path=" + s("ctl.sock") + ",server=on,wait=off",
		"-serial", "chardev:ctl",
		"-qmp", "unix:" + s("qmp.sock") + ",server=on,wait=off",
		"-trace", "hid_kbd_queue_full",
		"-S",
	}
}

// startQEMU starts qemu-system-x86_64 with args (under nice -n 10 when
// nice), its output appended to qlog; the returned channel receives its
// exit (see qemuExited).
func startQEMU(args []string, qlog string, nice bool) (*exec.Cmd, chan error, error) {
	f, err := os.OpenFile(qlog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	name := "qemu-system-x86_64"
	if nice {
		// nice execs QEMU: the process (and its PID, which kill signals) is QEMU's.
		name, args = "nice", append([]string{"-n", "10", name}, args...)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("start qemu: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); f.Close() }()
	return cmd, exited, nil
}

// killQEMU stops QEMU hard (failure paths: a guest that powers off cleanly
// lets QEMU write the WAV header).
func killQEMU(cmd *exec.Cmd) {
	if cmd != nil && cmd.Process != nil {
		cmd.Process.Kill()
	}
}

// readLines calls line for every line read from c (CR stripped) until c
// closes; lines may be up to max bytes.
func readLines(c net.Conn, max int, line func(string)) {
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 64<<10), max)
	for sc.Scan() {
		line(strings.TrimRight(sc.Text(), "\r"))
	}
}

// qemuExited reports, without consuming it, whether QEMU has exited: exited
// holds its one exit error and every reader puts it back.
func qemuExited(exited chan error) (error, bool) {
	select {
	case err := <-exited:
		exited <- err
		return err, true
	default:
		return nil, false
	}
}

// waitEntry returns the first entry of *list at or after index from that ok
// accepts, looking again every poll until timeout; it gives up at once when
// QEMU exits. mu guards *list, which the guest's reader appends to.
func waitEntry[T any](mu *sync.Mutex, list *[]T, exited chan error, from int, timeout, poll time.Duration, what string, ok func(T) bool) (T, error) {
	deadline := time.Now().Add(timeout)
	for {
		mu.Lock()
		for i := from; i < len(*list); i++ {
			if ok((*list)[i]) {
				e := (*list)[i]
				mu.Unlock()
				return e, nil
			}
		}
		from = len(*list)
		mu.Unlock()
		var zero T
		if err, gone := qemuExited(exited); gone {
			return zero, fmt.Errorf("waiting for %s: qemu exited: %v", what, err)
		}
		if time.Now().After(deadline) {
			return zero, fmt.Errorf("waiting for %s: timed out after %v", what, timeout)
		}
		time.Sleep(poll)
	}
}

// entryCount is len(*list) under mu: the position a later wait starts at.
func entryCount[T any](mu *sync.Mutex, list *[]T) int {
	mu.Lock()
	defer mu.Unlock()
	return len(*list)
}

// attrsAre tells whether a log record (its attributes as get returns them)
// has message msg and every key, value pair of attrs.
func attrsAre(get func(key string) string, msg string, attrs []string) bool {
	if get("msg") != msg {
		return false
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		if get(attrs[i]) != attrs[i+1] {
			return false
		}
	}
	return true
}

// dialGuest connects to a guest QEMU started with -S: its QMP (qmp.sock),
// its console (con.sock, the first serial port) and its control port
// (ctl.sock, the second), all in sockDir.
func dialGuest(sockDir string) (*qmpConn, net.Conn, net.Conn, error) {
	qc, err := dial(filepath.Join(sockDir, "qmp.sock"))
	if err != nil {
		return nil, nil, nil, err
	}
	q, err := newQMP(qc)
	if err != nil {
		return nil, nil, nil, err
	}
	con, err := dial(filepath.Join(sockDir, "con.sock"))
	if err != nil {
		return nil, nil, nil, err
	}
	ctl, err := dial(filepath.Join(sockDir, "ctl.sock"))
	if err != nil {
		return nil, nil, nil, err
	}
	return q, con, ctl, nil
}
