//go:build e2e && linux

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// instVM is the installed station: a Debian 12 guest booted with systemd as
// PID 1 from the cached root image, with its test helper (guestd) on the
// second serial port. The helper's answers and the offcircd unit's journal
// (relayed unasked as "J" lines) share that port.
type instVM struct {
	cmd    *exec.Cmd
	exited chan error
	start  time.Time

	qmp     *qmpConn
	ctl     net.Conn
	answers chan string

	mu      sync.Mutex
	tones   []string // the patterns the PC speaker sounded this boot, in order
	journal []jEntry
	readies int      // "READY" lines: the helper (re)started, once per boot
	console []string // the guest console, for failure reports
	conLog  *os.File
}

// jEntry is one journal entry of the offcircd unit. kv holds the daemon's
// slog text attributes (msg, level, source, item, patron, ...).
type jEntry struct {
	at  time.Duration
	pid int
	msg string
	kv  map[string]string
}

type instConfig struct {
	kernel, initrd, root, payload string
	sockDir, outDir               string
	rtc                           string // the guest's RTC at power-on (-rtc base=)
	wav                           string // the PC speaker's capture of this boot, in outDir
}

func startInstalled(c instConfig) (*instVM, error) {
	o := func(n string) string { return filepath.Join(c.outDir, n) }
	args := []string{
		// -no-reboot: a guest reboot ends this QEMU and the test boots the
		// same disk in a new one, with a speaker capture of its own (see
		// the reboot in TestInstalledStation).
		"-name", "offcircd-e2e-installed", "-no-reboot", "-nodefaults", "-no-user-config", "-display", "none",
		"-machine", deskMachine, "-cpu", "max", "-m", "768", "-smp", "1", "-rtc", "base=" + c.rtc,
		"-kernel", c.kernel, "-initrd", c.initrd,
		"-append", "root=/dev/vda rw console=ttyS0 quiet systemd.show_status=0 panic=-1",
		// The run's own copy of the cached image: it lives across reboots.
		"-drive", "file=" + c.root + ",format=raw,if=virtio",
		"-drive", "file=" + c.payload + ",format=raw,if=virtio,readonly=on",
	}
	args = append(args, guestPortArgs(c.sockDir)...)
	// The desk's QEMU devices beside the gadgets: keyboard-mode scanner,
	// keypad, PC speaker.
	args = append(args, deskDeviceArgs(o(c.wav))...)
	v := &instVM{start: time.Now(), answers: make(chan string, 1)}
	var err error
	if v.cmd, v.exited, err = startQEMU(args, o("qemu.log"), false); err != nil {
		return nil, err
	}
	fail := func(err error) (*instVM, error) { v.kill(); return nil, err }
	var con net.Conn
	if v.qmp, con, v.ctl, err = dialGuest(c.sockDir); err != nil {
		return fail(err)
	}
	if v.conLog, err = os.OpenFile(o("console.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return fail(err)
	}
	go v.readConsole(con)
	go v.readControl()
	if _, err := v.qmp.cmd("cont", nil); err != nil {
		return fail(err)
	}
	return v, nil
}

func (v *instVM) kill() { killQEMU(v.cmd) }

func (v *instVM) readConsole(c net.Conn) {
	readLines(c, 1<<20, func(line string) {
		v.mu.Lock()
		v.console = append(v.console, line)
		fmt.Fprintf(v.conLog, "%7.3f %s\n", time.Since(v.start).Seconds(), line)
		v.mu.Unlock()
	})
}

// readControl splits the helper's port into answers and journal entries.
func (v *instVM) readControl() {
	readLines(v.ctl, 16<<20, func(line string) {
		switch {
		case line == "READY":
			v.mu.Lock()
			v.readies++
			v.mu.Unlock()
		case strings.HasPrefix(line, "J "):
			var j struct {
				PID int    `json:"pid"`
				Msg string `json:"msg"`
			}
			if json.Unmarshal([]byte(line[2:]), &j) != nil {
				return
			}
			e := jEntry{at: time.Since(v.start), pid: j.PID, msg: j.Msg, kv: parseLogfmt(j.Msg)}
			v.mu.Lock()
			v.journal = append(v.journal, e)
			fmt.Fprintf(v.conLog, "%7.3f J[%d] %s\n", e.at.Seconds(), e.pid, e.msg)
			v.mu.Unlock()
		case strings.HasPrefix(line, "OK") || strings.HasPrefix(line, "ERR"):
			select {
			case v.answers <- line:
			default: // an answer nobody waits for any more (a timed-out request)
			}
		}
	})
}

// parseLogfmt takes slog's text format apart: key=value, values quoted the
// Go way when they need it. A line that is not logfmt gives what it could.
func parseLogfmt(s string) map[string]string {
	kv := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(s, " ") {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || strings.ContainsRune(s[:eq], ' ') {
			break
		}
		key, rest := s[:eq], s[eq+1:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				break
			}
			val, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else {
			end := strings.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			val, rest = rest[:end], rest[end:]
		}
		kv[key] = val
		s = rest
	}
	return kv
}

// request sends one command to the helper and waits for its answer.
func (v *instVM) request(line string, timeout time.Duration) (string, error) {
	select { // a late answer to an earlier, timed-out request
	case <-v.answers:
	default:
	}
	if _, err := fmt.Fprintf(v.ctl, "%s\n", line); err != nil {
		return "", fmt.Errorf("%.40s: %w", line, err)
	}
	select {
	case a := <-v.answers:
		if rest, ok := strings.CutPrefix(a, "ERR "); ok {
			return "", fmt.Errorf("%.40s: guest: %s", line, rest)
		}
		return strings.TrimSpace(strings.TrimPrefix(a, "OK")), nil
	case err := <-v.exited:
		v.exited <- err
		return "", fmt.Errorf("%.40s: qemu exited: %v", line, err)
	case <-time.After(timeout):
		return "", fmt.Errorf("%.40s: no answer in %v", line, timeout)
	}
}

// sh runs a shell script in the guest as root.
func (v *instVM) sh(script string, timeout time.Duration) (int, string, error) {
	a, err := v.request("SH "+base64.StdEncoding.EncodeToString([]byte(script)), timeout)
	if err != nil {
		return 0, "", err
	}
	code, out, _ := strings.Cut(a, " ")
	n, err := strconv.Atoi(code)
	if err != nil {
		return 0, "", fmt.Errorf("SH: bad answer %.60q", a)
	}
	b, err := base64.StdEncoding.DecodeString(out)
	return n, string(b), err
}

// shOK runs script and fails unless it exits 0.
func (v *instVM) shOK(script string, timeout time.Duration) (string, error) {
	code, out, err := v.sh(script, timeout)
	if err == nil && code != 0 {
		err = fmt.Errorf("guest: `%s` exited %d:\n%s", script, code, out)
	}
	return out, err
}

func (v *instVM) readyCount() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.readies
}

// waitReady waits for the helper's n-th READY (boot number n).
func (v *instVM) waitReady(n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for v.readyCount() < n {
		if err, gone := qemuExited(v.exited); gone {
			return fmt.Errorf("boot %d: qemu exited: %v", n, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("boot %d: the guest helper did not start within %v", n, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// mark is the journal position to wait from.
func (v *instVM) mark() int { return entryCount(&v.mu, &v.journal) }

// waitLog returns the first journal entry at or after from that ok accepts.
func (v *instVM) waitLog(from int, timeout time.Duration, what string, ok func(jEntry) bool) (jEntry, error) {
	return waitEntry(&v.mu, &v.journal, v.exited, from, timeout, 10*time.Millisecond, what, ok)
}

// jIs matches a daemon journal entry by message and attributes.
func jIs(msg string, attrs ...string) func(jEntry) bool {
	return func(e jEntry) bool { return attrsAre(func(k string) string { return e.kv[k] }, msg, attrs) }
}

// tails returns the last lines of the console and of the journal.
func (v *instVM) tails(n int) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var b strings.Builder
	b.WriteString("console tail:\n")
	for _, l := range v.console[max(0, len(v.console)-n):] {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	b.WriteString("journal tail (offcircd.service):\n")
	for _, e := range v.journal[max(0, len(v.journal)-n):] {
		fmt.Fprintf(&b, "  %7.3f [%d] %s\n", e.at.Seconds(), e.pid, e.msg)
	}
	return b.String()
}

// waitExit waits for QEMU to end (the guest powered off or rebooted).
func (v *instVM) waitExit(timeout time.Duration) error {
	select {
	case err := <-v.exited:
		v.exited <- err
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("qemu still running after %v", timeout)
	}
}

// powerOff asks systemd to power the guest off and waits for QEMU to exit.
func (v *instVM) powerOff(timeout time.Duration) error {
	v.request("SH "+base64.StdEncoding.EncodeToString([]byte("systemctl --no-block poweroff")), 10*time.Second)
	select {
	case err := <-v.exited:
		v.exited <- err
		return nil
	case <-time.After(timeout):
		v.qmp.cmd("quit", nil)
		v.kill()
		return fmt.Errorf("guest did not power off within %v", timeout)
	}
}
