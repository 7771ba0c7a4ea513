//go:build linux

// Command guestd is the installed station's test helper. systemd starts it
// at boot (e2e-helper.service, baked into the cached root image; the binary
// itself comes on the run's second disk), and the host drives the guest
// through it over the second serial port (/dev/ttyS1): shell commands run
// as root, the clock, and the USB gadgets that play the scanners (configfs
// on dummy_hcd: HID POS through usb_f_hid, USB-COM through usb_f_acm).
//
// The daemon under test knows nothing of this program: it runs as the
// packaged service and sees the gadgets as plugged-in USB devices.
//
// Protocol: one request per line, one answer per line.
//
//	SH <base64 script>                  -> OK <exit code> <base64 output>
//	DATE <unix seconds>                 -> OK
//	GADGET <name> <kind> <vid> <pid> <serial> <udc>  (kind hidpos | acm)
//	                                    -> OK <device node of the gadget side>
//	UNBIND <name> / BIND <name>         -> OK (unplug / plug the gadget)
//	WRITE <name> <hex>                  -> OK (one HID input report, or bytes on the tty)
//	READ <name>                         -> OK <hex>[,<hex>...] what the host sent, since the last READ
//
// Errors are answered "ERR <text>". On start it writes "READY" on the port.
// In between, unasked, it relays the offcircd unit's journal of this boot,
// one entry per line: J {"pid":N,"msg":"..."} (systemd's own messages
// about the unit have pid 1).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/offcircd/offcircd/e2e/internal/rawtty"
)

const (
	controlPort = "/dev/ttyS1"
	gadgetRoot  = "/sys/kernel/config/usb_gadget"
)

func main() {
	port, err := rawtty.Open(controlPort)
	if err != nil {
		fmt.Fprintln(os.Stderr, "guestd:", err)
		os.Exit(1)
	}
	h := &helper{gadgets: map[string]*gadget{}}
	var portMu sync.Mutex
	send := func(line string) {
		portMu.Lock()
		defer portMu.Unlock()
		fmt.Fprintf(port, "%s\n", line)
	}
	send("READY")
	go relayJournal(send)
	r := bufio.NewReader(port)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			fmt.Fprintln(os.Stderr, "guestd: control port:", err)
			os.Exit(1)
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		ans, err := h.do(line)
		if err != nil {
			ans = "ERR " + strings.ReplaceAll(err.Error(), "\n", " ")
		} else {
			ans = strings.TrimSpace("OK " + ans)
		}
		send(ans)
	}
}

// relayJournal follows the offcircd unit's journal of this boot and sends
// each entry; journalctl is restarted should it end.
func relayJournal(send func(string)) {
	for {
		cmd := exec.Command("journalctl", "-b", "-u", "offcircd.service", "-f", "-o", "json", "-n", "all", "--no-pager")
		out, err := cmd.StdoutPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var e struct {
				PID string `json:"_PID"`
				Msg any    `json:"MESSAGE"`
			}
			if json.Unmarshal(sc.Bytes(), &e) != nil {
				continue
			}
			msg, ok := e.Msg.(string)
			if !ok {
				continue
			}
			pid, _ := strconv.Atoi(e.PID)
			b, _ := json.Marshal(map[string]any{"pid": pid, "msg": msg})
			send("J " + string(b))
		}
		cmd.Wait()
		time.Sleep(time.Second)
	}
}

type helper struct {
	gadgets map[string]*gadget
}

func (h *helper) do(line string) (string, error) {
	f := strings.Fields(line)
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	switch f[0] {
	case "SH":
		script, err := base64.StdEncoding.DecodeString(arg(1))
		if err != nil {
			return "", fmt.Errorf("SH: %w", err)
		}
		return runShell(string(script))
	case "DATE":
		sec, err := strconv.ParseInt(arg(1), 10, 64)
		if err != nil {
			return "", fmt.Errorf("DATE: %w", err)
		}
		tv := unix.Timeval{Sec: sec}
		return "", unix.Settimeofday(&tv)
	case "GADGET":
		if len(f) != 7 {
			return "", errors.New("GADGET name kind vid pid serial udc")
		}
		g, err := newGadget(f[1], f[2], f[3], f[4], f[5], f[6])
		if err != nil {
			return "", err
		}
		h.gadgets[g.name] = g
		return g.node, nil
	}
	g, ok := h.gadgets[arg(1)]
	if !ok {
		return "", fmt.Errorf("%s: no gadget %q", f[0], arg(1))
	}
	switch f[0] {
	case "UNBIND":
		return "", writeFile(filepath.Join(g.dir, "UDC"), "\n")
	case "BIND":
		if err := writeFile(filepath.Join(g.dir, "UDC"), g.udc+"\n"); err != nil {
			return "", err
		}
		return "", g.reopen()
	case "WRITE":
		b, err := hex.DecodeString(arg(2))
		if err != nil {
			return "", fmt.Errorf("WRITE: %w", err)
		}
		return "", g.write(b)
	case "READ":
		return g.drain(), nil
	}
	return "", fmt.Errorf("unknown command %q", f[0])
}

// runShell runs script with sh as root; output is stdout and stderr together.
func runShell(script string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8",
		"DEBIAN_FRONTEND=noninteractive", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return "", fmt.Errorf("SH: %w", err)
		}
		code = ee.ExitCode()
	}
	return fmt.Sprintf("%d %s", code, base64.StdEncoding.EncodeToString(out.Bytes())), nil
}

// A gadget is one USB device of the guest's dummy_hcd, seen by the guest's
// host side as a plugged-in scanner.
type gadget struct {
	name, kind, dir, udc, node string
	dev                        *os.File

	mu  sync.Mutex
	got [][]byte // what the USB host sent: HID output reports, or tty chunks
}

// The HID POS report descriptor of the Honeywell gadgets: usage page 0x8C
// (Bar Code Scanner), the 64-byte input report 2 in Honeywell's layout
// (length, AIM identifier, 56 data bytes, code id, reserved, continuation
// flag) and output report 4 whose bits 5 and 6 are Sound Error Beep (0x85)
// and Sound Good Read Beep (0x86), so `04 40` is the good beep and `04 20`
// the error beep (HARDWARE.md), plus the vendor's 63-byte output report
// 0xFD that carries serial commands.
var honeywellPOSDescriptor = []byte{
	0x06, 0x8C, 0x00, // Usage Page (Bar Code Scanner)
	0x09, 0x02, //       Usage (Bar Code Scanner)
	0xA1, 0x01, //       Collection (Application)
	0x09, 0x12, //         Usage (Scanned Data Report)
	0xA1, 0x02, //         Collection (Logical)
	0x85, 0x02, //           Report ID (2)
	0x15, 0x00, //           Logical Minimum (0)
	0x26, 0xFF, 0x00, //     Logical Maximum (255)
	0x75, 0x08, //           Report Size (8)
	0x95, 0x01, //           Report Count (1)
	0x05, 0x01, //           Usage Page (Generic Desktop)
	0x09, 0x3B, //           Usage (Byte Count)
	0x81, 0x02, //           Input (Data,Var,Abs): length
	0x06, 0x8C, 0x00, //     Usage Page (Bar Code Scanner)
	0x95, 0x03, //           Report Count (3)
	0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, // Usage (Symbology Identifier 1..3)
	0x81, 0x02, //           Input (Data,Var,Abs): AIM identifier
	0x95, 0x38, //           Report Count (56)
	0x09, 0xFE, //           Usage (Decoded Data)
	0x82, 0x02, 0x01, //     Input (Data,Var,Abs,Buffered Bytes): data
	0x06, 0x66, 0xFF, //     Usage Page (Vendor 0xFF66)
	0x95, 0x02, //           Report Count (2)
	0x09, 0x04, 0x09, 0x05, // Usage (code id, reserved)
	0x81, 0x02, //           Input (Data,Var,Abs)
	0x06, 0x8C, 0x00, //     Usage Page (Bar Code Scanner)
	0x25, 0x01, //           Logical Maximum (1)
	0x75, 0x01, //           Report Size (1)
	0x95, 0x01, //           Report Count (1)
	0x09, 0xFF, //           Usage (Decode Data Continued)
	0x81, 0x02, //           Input (Data,Var,Abs)
	0x95, 0x07, //           Report Count (7)
	0x81, 0x03, //           Input (Const): padding
	0xC0,       //               End Collection
	0x85, 0x04, //         Report ID (4)
	0x05, 0x8C, //         Usage Page (Bar Code Scanner)
	0x75, 0x01, //         Report Size (1)
	0x95, 0x05, //         Report Count (5)
	0x91, 0x03, //         Output (Const): bits 0-4
	0x95, 0x02, //         Report Count (2)
	0x09, 0x85, 0x09, 0x86, // Usage (Sound Error Beep, Sound Good Read Beep)
	0x91, 0x02, //         Output (Data,Var,Abs): bits 5, 6
	0x95, 0x01, //         Report Count (1)
	0x91, 0x03, //         Output (Const): bit 7
	0x85, 0xFD, //         Report ID (0xFD)
	0x06, 0x66, 0xFF, //   Usage Page (Vendor 0xFF66)
	0x26, 0xFF, 0x00, //   Logical Maximum (255)
	0x75, 0x08, //         Report Size (8)
	0x95, 0x3F, //         Report Count (63)
	0x09, 0x01, //         Usage (serial command)
	0x92, 0x02, 0x01, //   Output (Data,Var,Abs,Buffered Bytes)
	0xC0, //             End Collection
}

func newGadget(name, kind, vid, pid, serial, udc string) (*gadget, error) {
	g := &gadget{name: name, kind: kind, udc: udc, dir: filepath.Join(gadgetRoot, name)}
	var manufacturer, product, fn string
	switch kind {
	case "hidpos":
		manufacturer, product, fn = "Honeywell Imaging & Mobility", "Voyager 1450g (HID POS)", "hid.pos"
	case "acm":
		manufacturer, product, fn = "Symbol Technologies, Inc, 2008", "Symbol Bar Code Scanner (CDC)", "acm.com"
	default:
		return nil, fmt.Errorf("GADGET: unknown kind %q", kind)
	}
	if err := os.Mkdir(g.dir, 0o755); err != nil {
		return nil, fmt.Errorf("GADGET: %w", err)
	}
	steps := []struct{ path, value string }{
		{"idVendor", "0x" + vid}, {"idProduct", "0x" + pid}, {"bcdDevice", "0x0100"}, {"bcdUSB", "0x0200"},
		{"strings/0x409/serialnumber", serial}, {"strings/0x409/manufacturer", manufacturer},
		{"strings/0x409/product", product},
		{"configs/c.1/strings/0x409/configuration", kind}, {"configs/c.1/MaxPower", "100"},
	}
	for _, d := range []string{"strings/0x409", "configs/c.1", "configs/c.1/strings/0x409", "functions/" + fn} {
		if err := os.MkdirAll(filepath.Join(g.dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("GADGET: %w", err)
		}
	}
	if kind == "hidpos" {
		steps = append(steps, []struct{ path, value string }{
			{"functions/" + fn + "/protocol", "0"}, {"functions/" + fn + "/subclass", "0"},
			{"functions/" + fn + "/report_length", "64"}, {"functions/" + fn + "/report_desc", string(honeywellPOSDescriptor)},
		}...)
	}
	for _, s := range steps {
		if err := writeFile(filepath.Join(g.dir, s.path), s.value); err != nil {
			return nil, fmt.Errorf("GADGET %s: %w", s.path, err)
		}
	}
	if err := os.Symlink(filepath.Join(g.dir, "functions", fn), filepath.Join(g.dir, "configs/c.1", fn)); err != nil {
		return nil, fmt.Errorf("GADGET: %w", err)
	}
	if err := writeFile(filepath.Join(g.dir, "UDC"), udc+"\n"); err != nil {
		return nil, fmt.Errorf("GADGET bind %s: %w", udc, err)
	}
	// The gadget side's device node, /dev/hidgN or /dev/ttyGSN, exists
	// once the gadget is bound.
	switch kind {
	case "hidpos":
		mm, err := os.ReadFile(filepath.Join(g.dir, "functions", fn, "dev"))
		if err != nil {
			return nil, fmt.Errorf("GADGET: %w", err)
		}
		ue, err := os.ReadFile("/sys/dev/char/" + strings.TrimSpace(string(mm)) + "/uevent")
		if err != nil {
			return nil, fmt.Errorf("GADGET: %w", err)
		}
		for _, l := range strings.Split(string(ue), "\n") {
			if v, ok := strings.CutPrefix(l, "DEVNAME="); ok {
				g.node = "/dev/" + v
			}
		}
	case "acm":
		n, err := os.ReadFile(filepath.Join(g.dir, "functions", fn, "port_num"))
		if err != nil {
			return nil, fmt.Errorf("GADGET: %w", err)
		}
		g.node = "/dev/ttyGS" + strings.TrimSpace(string(n))
	}
	if g.node == "" {
		return nil, errors.New("GADGET: no device node")
	}
	if err := g.reopen(); err != nil {
		return nil, err
	}
	return g, nil
}

// reopen opens the gadget side's node afresh: an unbind hangs up the
// serial gadget's tty, so its old descriptor is dead after a replug.
func (g *gadget) reopen() error {
	g.mu.Lock()
	old := g.dev
	g.mu.Unlock()
	if old != nil {
		old.Close()
	}
	var f *os.File
	var err error
	for i := 0; i < 100; i++ { // udev creates the node
		if g.kind == "acm" {
			f, err = rawtty.Open(g.node)
		} else {
			f, err = os.OpenFile(g.node, os.O_RDWR, 0)
		}
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", g.node, err)
	}
	g.mu.Lock()
	g.dev = f
	g.mu.Unlock()
	go g.collect(f)
	return nil
}

// collect keeps what the USB host sends: each read of /dev/hidgN is one
// output report; a tty read is whatever bytes arrived.
// It ends when f is closed by reopen.
func (g *gadget) collect(f *os.File) {
	buf := make([]byte, 4096)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			g.mu.Lock()
			g.got = append(g.got, append([]byte(nil), buf[:n]...))
			g.mu.Unlock()
		}
		if errors.Is(err, os.ErrClosed) {
			return
		}
		if err != nil || n == 0 {
			time.Sleep(20 * time.Millisecond) // unbound: nothing to read until the host is back
		}
	}
}

func (g *gadget) write(b []byte) error {
	if g.kind == "hidpos" {
		r := make([]byte, 64) // report id + 63 bytes
		copy(r, b)
		b = r
	}
	g.mu.Lock()
	f := g.dev
	g.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.SetWriteDeadline(deadline)
		_, err := f.Write(b)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("WRITE %s: %w", g.node, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (g *gadget) drain() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var parts []string
	if g.kind == "acm" {
		parts = append(parts, hex.EncodeToString(bytes.Join(g.got, nil)))
	} else {
		for _, r := range g.got {
			parts = append(parts, hex.EncodeToString(r))
		}
	}
	g.got = nil
	return strings.Join(parts, ",")
}

func writeFile(path, value string) error {
	return os.WriteFile(path, []byte(value), 0o644)
}
