//go:build e2e && linux

package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// patternTone is the pitch of each pattern's first tone in testdata/desk.toml;
// every pattern ends with the marker tone.
var patternTone = map[string]float64{
	"patron": 600, "mode-loan": 800, "mode-return": 1000, "good": 1300,
	"double": 1600, "reject": 400, "undo": 2000, "write-failure": 2400,
}

const (
	markerHz   = 2800
	patternDur = 180 * time.Millisecond // 120 ms tone + 60 ms marker
	keyGap     = 10 * time.Millisecond  // >= 8 ms: the guest drains usb-kbd's 16-event queue every 8 ms
)

// step is one action of the desk session and what the daemon must log for it.
type step struct {
	name  string
	clock string // RFC 3339 UTC time to set the guest clock to before the step; "" = leave it
	act   func(*vm) error
	want  func(conLine) bool
	what  string // the awaited log record, for the report
	beep  string // the feedback pattern the step must sound, "" = none
}

func scanKbd(s string) func(*vm) error {
	return func(v *vm) error { return v.qmp.typeText(s+"\n", keyGap) }
}

func scanSerial(s string) func(*vm) error {
	return func(v *vm) error { _, err := v.ftdi.Write([]byte(s + "\r")); return err }
}

func keypad(code string) func(*vm) error {
	return func(v *vm) error { return v.qmp.pressKey("vga0", code, keyGap) }
}

func unplug(id string) func(*vm) error {
	return func(v *vm) error {
		if _, err := v.qmp.cmd("device_del", map[string]any{"id": id}); err != nil {
			return err
		}
		return v.qmp.waitEvent("DEVICE_DELETED", id, 10*time.Second)
	}
}

func replug(dev map[string]any) func(*vm) error {
	return func(v *vm) error { _, err := v.qmp.cmd("device_add", dev); return err }
}

func notConnected(source string) func(conLine) bool {
	return func(l conLine) bool {
		return logIs("device", "source", source)(l) && fmt.Sprint(l.log["state"]) != "connected"
	}
}

// The clock is set when a step's minute differs from the step before: the
// records' minutes are then exact however slowly TCG runs on a loaded
// machine (Go's timers, and so the double-read and undo windows, run on the
// monotonic clock). It is only ever set forward: the guest boots at
// bootClock (QEMU's RTC), before morning, because a wall clock stepped back
// behind what the station has seen is a clock alarm, as in the field.
const (
	bootClock = "2025-03-14T08:20:00" // QEMU -rtc base (UTC)

	morning = "2025-03-14T08:26:00Z" // 09:26 in Europe/Berlin (CET)
	later   = "2025-03-14T08:41:00Z" // 09:41
)

var session = []step{
	{"keypad KP_DIVIDE: loan mode", morning, keypad("kp_divide"), logIs("mode changed", "mode", "loan"), "mode changed loan", "mode-loan"},
	{"serial scanner: patron P0012345", morning, scanSerial("P0012345"), logIs("patron session started", "source", "counter"), "patron session started", "patron"},
	{"keyboard scanner: item 33433-AB_01 (Shift)", morning, scanKbd("33433-AB_01"), logIs("record written", "type", "L", "item", "33433-AB_01"), "record written L", "good"},
	{"keyboard scanner: item 31234000012345", morning, scanKbd("31234000012345"), logIs("record written", "type", "L", "item", "31234000012345"), "record written L", "good"},
	{"keyboard scanner: same item again (double read)", morning, scanKbd("31234000012345"), logIs("double read ignored", "source", "desk"), "double read ignored", "double"},
	{"keypad KP_MULTIPLY: return mode", morning, keypad("kp_multiply"), logIs("mode changed", "mode", "return"), "mode changed return", "mode-return"},
	{"keyboard scanner: return 31234000099999", morning, scanKbd("31234000099999"), logIs("record written", "type", "R", "item", "31234000099999"), "record written R", "good"},
	{"serial scanner: return Ret.Book/7", morning, scanSerial("Ret.Book/7"), logIs("record written", "type", "R", "item", "Ret.Book/7"), "record written R", "good"},
	{"keyboard scanner: return 31234000055555", morning, scanKbd("31234000055555"), logIs("record written", "type", "R", "item", "31234000055555"), "record written R", "good"},
	// The undo line masks the item (daemon/station): which record went is
	// the data file's to show (testdata/OffCirc.dat).
	{"keypad KP_MINUS: undo the last return", morning, keypad("kp_subtract"), logIs("record undone", "source", "keypad", "type", "R"), "record undone", "undo"},
	{"keyboard scanner: control barcode OFFCIRC:TOGGLE", later, scanKbd("OFFCIRC:TOGGLE"), logIs("mode changed", "mode", "loan"), "mode changed loan", "mode-loan"},
	{"unplug the FTDI serial scanner (device_del)", later, unplug("ftdi0"), notConnected("counter"), "device counter not connected", ""},
	{"replug the FTDI serial scanner (device_add)", later, replug(map[string]any{"driver": "usb-serial", "id": "ftdi0", "bus": "usbhc.0", "port": "3",
		"chardev": "ftdi", "serial": "FTDI0001", "always-plugged": true}), logIs("device", "source", "counter", "state", "connected"), "device counter connected", ""},
	{"serial scanner after replug: patron P0067890", later, scanSerial("P0067890"), logIs("patron session started", "source", "counter"), "patron session started", "patron"},
	{"unplug the keyboard scanner (device_del)", later, unplug("scanner"), notConnected("desk"), "device desk not connected", ""},
	{"replug the keyboard scanner (device_add)", later, replug(map[string]any{"driver": "usb-kbd", "id": "scanner", "bus": "usbhc.0", "port": "1",
		"serial": "SCANNER0001"}), logIs("device", "source", "desk", "state", "connected"), "device desk connected", ""},
	{"keyboard scanner after replug: item 31234000077777", later, scanKbd("31234000077777"), logIs("record written", "type", "L", "item", "31234000077777"), "record written L", "good"},
	{"keypad KP_ENTER: done", later, keypad("kp_enter"), logIs("patron session ended", "why", "done"), "patron session ended", "mode-loan"},
	{"keyboard scanner: unknown control barcode OFFCIRC:NOPE (rejected)", later, scanKbd("OFFCIRC:NOPE"), logIs("scan rejected", "source", "desk", "kind", "control"), "scan rejected", "reject"},
}

func TestDeskSession(t *testing.T) {
	t0 := time.Now()
	kernel, modules := os.Getenv("E2E_KERNEL"), os.Getenv("E2E_MODULES")
	if kernel == "" || modules == "" {
		t.Fatal("E2E_KERNEL and E2E_MODULES are not set: run `make e2e` (e2e/setup.sh prepares them)")
	}
	root, _ := filepath.Abs("..")
	out := filepath.Join(root, ".cache", "e2e", "run")
	os.RemoveAll(out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("artifacts (console.log, qemu.log, beep.wav, OffCirc.dat) in %s", out)

	initrd := buildGuest(t, root, modules, out)
	tBuilt := time.Now()
	sock, err := os.MkdirTemp("", "offcircd-e2e")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sock)

	v, err := startVM(vmConfig{kernel: kernel, initrd: initrd, sockDir: sock, outDir: out, rtcBase: bootClock})
	if err != nil {
		t.Fatal(err)
	}
	defer v.kill()
	dumpTail := func() {
		v.mu.Lock()
		defer v.mu.Unlock()
		from := max(0, len(v.console)-40)
		var b strings.Builder
		for _, l := range v.console[from:] {
			fmt.Fprintf(&b, "  %7.3f %s\n", l.at.Seconds(), l.text)
		}
		t.Logf("console tail:\n%s", b.String())
	}

	// Ready: every device connected through its real driver, and the speaker found.
	for _, w := range []struct {
		what string
		ok   func(conLine) bool
	}{
		{"keyboard scanner connected", logIs("device", "source", "desk", "state", "connected")},
		{"serial scanner connected", logIs("device", "source", "counter", "state", "connected")},
		{"keypad connected", logIs("device", "source", "keypad", "state", "connected")},
		{"pc speaker beeper ready", logIs("beeper ready")},
	} {
		l, err := v.waitFor(0, 90*time.Second, w.what, w.ok)
		if err != nil {
			dumpTail()
			t.Fatalf("boot: %v", err)
		}
		t.Logf("BOOT  %-60s ok at %.2fs", w.what, l.at.Seconds())
	}
	tReady := time.Now()

	var wantBeeps []string
	failed := false
	lastClock := ""
	for i, s := range session {
		st := time.Now()
		if s.clock != "" && s.clock != lastClock {
			lastClock = s.clock
			ts, _ := time.Parse(time.RFC3339, s.clock)
			if _, err := v.control("DATE "+strconv.FormatInt(ts.Unix(), 10), 10*time.Second); err != nil {
				t.Errorf("STEP %02d %s: %v", i+1, s.name, err)
				failed = true
				break
			}
		}
		m := v.mark()
		err := s.act(v)
		var l conLine
		if err == nil {
			l, err = v.waitFor(m, 20*time.Second, s.what, s.want)
		}
		if err != nil {
			t.Errorf("STEP %02d %-55s FAIL: %v", i+1, s.name, err)
			failed = true
			break
		}
		if s.beep != "" {
			wantBeeps = append(wantBeeps, s.beep)
			time.Sleep(patternDur + 250*time.Millisecond) // let the beep finish: a pattern queued > 500 ms is dropped
		}
		t.Logf("STEP %02d %-55s ok  %5dms  (%s at %.2fs; beep %s)", i+1, s.name, time.Since(st).Milliseconds(), s.what, l.at.Seconds(), orNone(s.beep))
	}
	if failed {
		dumpTail()
		t.FailNow()
	}
	tSession := time.Now()

	// Stop the daemon like a service manager would, take the file back, power off.
	ans, err := v.control("STOP", 30*time.Second)
	if err != nil {
		dumpTail()
		t.Fatalf("STOP: %v", err)
	}
	got, err := decodeFile(ans)
	if err != nil {
		t.Fatalf("STOP: %v", err)
	}
	os.WriteFile(filepath.Join(out, "OffCirc.dat"), got, 0o644)
	if _, err := v.control("POWEROFF", 10*time.Second); err != nil {
		t.Errorf("POWEROFF: %v", err)
	}
	if err := v.wait(20 * time.Second); err != nil {
		t.Errorf("qemu: %v", err)
	}
	tEnd := time.Now()
	if q, _ := os.ReadFile(filepath.Join(out, "qemu.log")); bytes.Contains(q, []byte("hid_kbd_queue_full")) {
		t.Errorf("QEMU dropped key events (hid_kbd_queue_full in qemu.log): type slower")
	}

	// The data file, byte for byte.
	want, err := os.ReadFile("testdata/OffCirc.dat")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		t.Logf("FILE  OffCirc.dat: %d bytes, %d records, identical to testdata/OffCirc.dat", len(got), bytes.Count(got, []byte("\r\n")))
	} else {
		t.Errorf("FILE  OffCirc.dat differs from testdata/OffCirc.dat:\n%s", lineDiff(want, got))
	}

	// The PC speaker, tone by tone.
	checkBeeps(t, filepath.Join(out, "beep.wav"), wantBeeps)

	t.Logf("TIME  build %.1fs, boot to ready %.1fs, session %.1fs, stop+file+poweroff %.1fs, total %.1fs",
		tBuilt.Sub(t0).Seconds(), tReady.Sub(tBuilt).Seconds(), tSession.Sub(tReady).Seconds(),
		tEnd.Sub(tSession).Seconds(), tEnd.Sub(t0).Seconds())
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// buildGuest builds offcircd and the guest init, and packs them with the
// config and the kernel modules into an initramfs.
//
// offcircd is linked dynamically, as distributions ship it, and its shared
// libraries go into the initramfs with glibc's UTF-16 iconv module:
// hidapi converts USB string descriptors (serial number, product) with
// iconv, which a static glibc cannot load, so a static build finds the
// devices but sees empty serial numbers and never matches serial_number.
func buildGuest(t *testing.T, root, modules, out string) string {
	t.Helper()
	return buildGuestWith(t, root, modules, out, guestSpec{config: "testdata/desk.toml", modules: guestModules})
}

// guestSpec says what goes into a guest's initramfs.
type guestSpec struct {
	config  string   // the station's config, /e2e.toml in the guest
	modules []string // kernel modules to load (dependencies are added)
	tags    string   // go build -tags for offcircd
	files   map[string][]byte
}

func buildGuestWith(t *testing.T, root, modules, out string, g guestSpec) string {
	t.Helper()
	bin := filepath.Join(out, "bin")
	build := func(env []string, args ...string) {
		cmd := exec.Command("go", append([]string{"build", "-trimpath"}, args...)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %v: %v\n%s", args, err, b)
		}
	}
	st := time.Now()
	build([]string{"CGO_ENABLED=1", "GOOS=linux", "GOARCH=amd64"}, "-tags", g.tags, "-ldflags", "-s -w", "-o", filepath.Join(bin, "offcircd"), "./cmd/offcircd")
	build([]string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"}, "-ldflags", "-s -w", "-o", filepath.Join(bin, "init"), "./e2e/guestinit")
	t.Logf("BUILD offcircd (cgo) and guest init in %.1fs (%s)", time.Since(st).Seconds(), runtime.Version())

	mods, err := moduleOrder(modules, g.modules)
	if err != nil {
		t.Fatal(err)
	}
	var fs initramfs
	fs.dir("dev")
	fs.entries = append(fs.entries, cpioEntry{name: "dev/console", mode: sIFCHR | 0o600, major: 5, minor: 1})
	for _, d := range []string{"proc", "sys", "data", "lib/modules"} {
		fs.dir(d)
	}
	fs.file(t, "init", filepath.Join(bin, "init"), 0o755)
	fs.file(t, "offcircd", filepath.Join(bin, "offcircd"), 0o755)
	fs.file(t, "e2e.toml", g.config, 0o600)
	for name, b := range g.files {
		fs.entries = append(fs.entries, cpioEntry{name: name, mode: sIFREG | 0o644, data: b})
	}
	libs, err := sharedLibs(filepath.Join(bin, "offcircd"))
	if err != nil {
		t.Fatal(err)
	}
	gconv, _ := filepath.Glob("/usr/lib/x86_64-linux-gnu/gconv/gconv-modules*")
	extra, _ := filepath.Glob("/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.d/*")
	libs = append(append(append(libs, gconv...), extra...), "/usr/lib/x86_64-linux-gnu/gconv/UTF-16.so")
	for _, l := range libs {
		if fi, err := os.Stat(l); err == nil && !fi.IsDir() {
			fs.file(t, strings.TrimPrefix(l, "/"), l, 0o755)
		}
	}
	var names []string
	for _, m := range mods {
		fs.file(t, "lib/modules/"+filepath.Base(m), m, 0o644)
		names = append(names, filepath.Base(m))
	}
	fs.entries = append(fs.entries, cpioEntry{name: "modules.list", mode: sIFREG | 0o644, data: []byte(strings.Join(names, "\n") + "\n")})
	initrd := filepath.Join(out, "initrd.cpio.gz")
	if err := writeInitramfs(initrd, fs.entries); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(initrd)
	t.Logf("BUILD initramfs %d KB; libraries: %s; modules: %s", fi.Size()/1024, strings.Join(libs, " "), strings.Join(names, " "))
	return initrd
}

// initramfs collects entries, creating parent directories once.
type initramfs struct {
	entries []cpioEntry
	dirs    map[string]bool
}

func (f *initramfs) dir(name string) {
	if name == "." || name == "/" || f.dirs[name] {
		return
	}
	f.dir(filepath.Dir(name))
	if f.dirs == nil {
		f.dirs = map[string]bool{}
	}
	f.dirs[name] = true
	f.entries = append(f.entries, cpioEntry{name: name, mode: sIFDIR | 0o755})
}

func (f *initramfs) file(t *testing.T, name, src string, mode uint32) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	f.dir(filepath.Dir(name))
	f.entries = append(f.entries, cpioEntry{name: name, mode: sIFREG | mode, data: b})
}

// sharedLibs lists the libraries (and the loader) bin needs, as ldd resolves them.
func sharedLibs(bin string) ([]string, error) {
	b, err := exec.Command("ldd", bin).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", bin, err)
	}
	var libs []string
	for _, l := range strings.Split(string(b), "\n") {
		for _, f := range strings.Fields(l) {
			if strings.HasPrefix(f, "/") {
				libs = append(libs, f)
			}
		}
	}
	return libs, nil
}

// decodeFile reads the guest's "FILE <size> <base64>" answer.
func decodeFile(ans string) ([]byte, error) {
	f := strings.Fields(ans)
	if len(f) < 2 || f[0] != "FILE" {
		return nil, fmt.Errorf("unexpected answer %.80q", ans)
	}
	n, _ := strconv.Atoi(f[1])
	var b []byte
	if len(f) > 2 {
		var err error
		if b, err = base64.StdEncoding.DecodeString(f[2]); err != nil {
			return nil, err
		}
	}
	if len(b) != n {
		return nil, fmt.Errorf("file is %d bytes, guest said %d", len(b), n)
	}
	return b, nil
}

// lineDiff shows expected and actual lines side by side, CR LF visible.
func lineDiff(want, got []byte) string {
	w, g := strings.SplitAfter(string(want), "\n"), strings.SplitAfter(string(got), "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl == gl {
			fmt.Fprintf(&b, "   %q\n", wl)
			continue
		}
		fmt.Fprintf(&b, " - %q\n + %q\n", wl, gl)
	}
	return b.String()
}

// checkBeeps compares the speaker capture with the patterns of the session's
// events in order: each pattern is its own pitch, then the marker.
func checkBeeps(t *testing.T, path string, patterns []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("WAV   %v", err)
		return
	}
	p, err := readWAV(b)
	if err != nil {
		t.Errorf("WAV   %s: %v", path, err)
		return
	}
	tones := splitTones(p, 25*time.Millisecond)
	var want []tone
	for _, name := range patterns {
		want = append(want, tone{patternTone[name], 120 * time.Millisecond}, tone{markerHz, 60 * time.Millisecond})
	}
	t.Logf("WAV   %s: %.2fs of speaker time at %d Hz, %d tones measured, %d expected (%d patterns)",
		filepath.Base(path), float64(len(p.samples))/float64(p.rate), p.rate, len(tones), len(want), len(patterns))
	ok := len(tones) == len(want)
	for i := 0; i < max(len(tones), len(want)); i++ {
		var line string
		good := false
		switch {
		case i >= len(want):
			line = fmt.Sprintf("unexpected %v", tones[i])
		case i >= len(tones):
			line = fmt.Sprintf("missing, want %v", want[i])
		default:
			g, w := tones[i], want[i]
			// Pitch and order are the guest's; durations are the host's
			// too: on a loaded host TCG delays the guest timer that stops a
			// tone (measured up to 209 ms for a 60 ms marker at load 19).
			// A speaker that is never switched off, or a tone cut off by the
			// next beep, still falls outside these bounds.
			good = g.Freq > w.Freq*0.95 && g.Freq < w.Freq*1.05 &&
				g.Dur > w.Dur/2 && g.Dur < w.Dur+400*time.Millisecond
			line = fmt.Sprintf("measured %4.0f Hz %4d ms, want %4.0f Hz %4d ms", g.Freq, g.Dur.Milliseconds(), w.Freq, w.Dur.Milliseconds())
		}
		name := ""
		if i < 2*len(patterns) {
			name = patterns[i/2]
			if i%2 == 1 {
				name += " marker"
			}
		}
		res := "ok"
		if !good {
			res, ok = "FAIL", false
		}
		t.Logf("TONE  %02d %-20s %s  %s", i+1, name, line, res)
	}
	if !ok {
		t.Errorf("WAV   the speaker's tones do not match the session's patterns (see TONE lines)")
	}
}
