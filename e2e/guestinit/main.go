//go:build linux

// Command guestinit is /init of the e2e guest: it mounts the kernel file
// systems, loads the USB/HID/serial/speaker modules, starts
// `offcircd run` exactly as a service would, and obeys the host over the
// control port (/dev/ttyS1): set the clock, stop the daemon, send the data
// file back, power off. It is static and stdlib + x/sys only, so the
// initramfs needs no shell.
//
// Console (ttyS0) lines: "E2E ..." from this program, "D {json}" from the
// daemon's log. Control port: the host writes "DATE <unix-seconds>",
// "STOP" and "POWEROFF" lines; this program answers "OK <cmd>" or
// "ERR <cmd>: ...", and after STOP the data file as
// "FILE <size> <base64>".
//
// With /powercut in the initramfs (the power-cut test) the data folder is
// an ext4 virtio disk mounted with a long commit interval, and the daemon
// waits for "RUN"; "RAW" answers the data file as found at boot.
package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/offcircd/offcircd/e2e/internal/rawtty"
)

const (
	config   = "/e2e.toml"
	dataFile = "/data/files/OffCirc.dat"
	control  = "/dev/ttyS1"
)

var conMu sync.Mutex

func say(format string, a ...any) {
	conMu.Lock()
	defer conMu.Unlock()
	fmt.Fprintf(os.Stdout, "E2E "+format+"\n", a...)
}

func uptime() string {
	b, _ := os.ReadFile("/proc/uptime")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func main() {
	for _, m := range []struct{ src, dst, fs string }{
		{"proc", "/proc", "proc"}, {"sysfs", "/sys", "sysfs"}, {"devtmpfs", "/dev", "devtmpfs"},
	} {
		os.MkdirAll(m.dst, 0o755)
		if err := unix.Mount(m.src, m.dst, m.fs, 0, ""); err != nil {
			say("FAIL mount %s: %v", m.dst, err)
		}
	}
	say("START uptime=%s kernel=%s", uptime(), readTrim("/proc/sys/kernel/osrelease"))
	loadModules()
	say("MODULES_LOADED uptime=%s", uptime())

	ctl, err := rawtty.Open(control)
	if err != nil {
		say("FAIL control port: %v", err)
		poweroff()
	}
	powerCut := exists(powerCutMark)
	if powerCut {
		mountDataDisk()
	}
	listDevices(powerCut)
	var (
		daemon *exec.Cmd
		exited = make(chan error, 1)
	)
	run := func() {
		daemon = startDaemon()
		say("DAEMON_STARTED uptime=%s pid=%d", uptime(), daemon.Process.Pid)
		go func() { exited <- daemon.Wait() }()
	}
	if !powerCut {
		run()
	}

	reply := func(format string, a ...any) {
		fmt.Fprintf(ctl, format+"\n", a...)
	}
	r := bufio.NewReader(ctl)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			say("FAIL control read: %v", err)
			poweroff()
		}
		cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch cmd {
		case "DATE":
			// The host sets the wall clock so the data file's minutes are
			// known to the byte; Go timers use the monotonic clock, so
			// stepping it does not disturb the daemon's windows.
			sec, err := strconv.ParseInt(arg, 10, 64)
			if err == nil {
				tv := unix.Timeval{Sec: sec}
				err = unix.Settimeofday(&tv)
			}
			if err != nil {
				reply("ERR DATE: %v", err)
				continue
			}
			say("CLOCK %s", time.Now().UTC().Format(time.RFC3339))
			reply("OK DATE")
		case "RAW":
			// The data file as the last power cut left it, before the
			// daemon (which cuts a torn tail at start) has touched it.
			reply("%s", fileAnswer())
		case "RUN":
			if daemon != nil {
				reply("ERR RUN: already running")
				continue
			}
			run()
			reply("OK RUN")
		case "STOP":
			if daemon == nil {
				reply("ERR STOP: not running")
				continue
			}
			daemon.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-exited:
				say("DAEMON_EXIT err=%v", err)
			case <-time.After(10 * time.Second):
				daemon.Process.Kill()
				say("DAEMON_EXIT killed after 10s")
			}
			b, err := os.ReadFile(dataFile)
			if err != nil {
				reply("ERR STOP: %v", err)
				continue
			}
			reply("FILE %d %s", len(b), base64.StdEncoding.EncodeToString(b))
		case "POWEROFF":
			reply("OK POWEROFF")
			poweroff()
		case "":
		default:
			reply("ERR %s: unknown command", cmd)
		}
	}
}

// loadModules inserts the modules listed in /modules.list, in order (the
// host resolved their dependencies).
func loadModules() {
	b, err := os.ReadFile("/modules.list")
	if err != nil {
		say("FAIL modules.list: %v", err)
		return
	}
	for _, name := range strings.Fields(string(b)) {
		f, err := os.Open("/lib/modules/" + name)
		if err == nil {
			err = unix.FinitModule(int(f.Fd()), "", 0)
			f.Close()
		}
		if err != nil && err != unix.EEXIST {
			say("FAIL insmod %s: %v", name, err)
		}
	}
}

// listDevices logs what `offcircd devices` sees once the USB devices are
// there: the listing users copy their config from, through the same
// enumerators the daemon uses.
func listDevices(serialOnly bool) {
	for i := 0; i < 100 && !usbReady(serialOnly); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	out, err := exec.Command("/offcircd", "devices").CombinedOutput()
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		say("DEVICES %s", l)
	}
	if err != nil {
		say("FAIL offcircd devices: %v", err)
	}
}

// usbReady reports whether the emulated USB devices are enumerated: all
// three, or only the FTDI scanner of the power-cut station.
func usbReady(serialOnly bool) bool {
	n := 0
	want := []string{"SCANNER0001", "KEYPAD0001", "FTDI0001"}
	if serialOnly {
		want = want[2:]
	}
	for _, s := range want {
		m, _ := filepath.Glob("/sys/bus/usb/devices/*/serial")
		for _, p := range m {
			if readTrim(p) == s {
				n++
				break
			}
		}
	}
	return n == len(want)
}

// startDaemon runs offcircd with its log (JSON) relayed to the console.
func startDaemon() *exec.Cmd {
	cmd := exec.Command("/offcircd", "run", "--config", config, "--log-format", "json")
	cmd.Env = []string{"PATH=/", "HOME=/"}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			conMu.Lock()
			fmt.Fprintf(os.Stdout, "D %s\n", sc.Text())
			conMu.Unlock()
		}
	}()
	if err := cmd.Start(); err != nil {
		say("FAIL start offcircd: %v", err)
		poweroff()
	}
	return cmd
}

func readTrim(p string) string {
	b, _ := os.ReadFile(p)
	return strings.TrimSpace(string(b))
}

func poweroff() {
	unix.Sync()
	// QEMU writes the WAV header on a clean exit; give its audio timer a
	// moment to flush the last tone first (150 ms cut the last tone short).
	time.Sleep(500 * time.Millisecond)
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}
