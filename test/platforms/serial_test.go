//go:build platforms

package platforms

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// logFile is a running process's output, readable while it runs (a file,
// not a pipe: Wine's helper processes inherit it and outlive the command).
type logFile struct{ f *os.File }

func (l logFile) String() string {
	b, _ := os.ReadFile(l.f.Name())
	return string(b)
}

// TestWineSerial drives a Windows serial scanner on COM5, which Wine maps
// to a pseudo-terminal through $WINEPREFIX/dosdevices/com5: barcodes written
// to the pty master must come out as records in OffCirc.dat.
//
// What Debian 12's Wine 8.0 does, measured with a go.bug.st/serial probe: CreateFile of
// \\.\COM5 and SetCommState succeed (only TIOCMGET fails on a pty), and COM5
// is not in the SERIALCOMM list, so `offcircd devices` does not show it. The
// reads go.bug.st/serial issues (ReadIntervalTimeout and
// ReadTotalTimeoutMultiplier MAXDWORD, a constant: Windows' "return as soon
// as one byte is there" rule) are not honoured: Wine completes the read only
// when the whole buffer is full or the line hangs up, and the timeout never
// fires. Scans therefore sit in the pty. The test asserts the port opens,
// then hangs the pty up to show the queued bytes reach the decoder and the
// file intact, and skips with that finding instead of passing: live serial
// reads under Wine are not something it can vouch for. Should a later Wine
// deliver the scans live, the test passes on its own.
func TestWineSerial(t *testing.T) {
	w := wineSetup(t)
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	defer master.Close()
	defer slave.Close()
	// A scanner's port carries raw bytes; Wine's SetCommState does not
	// clear the pty's cooked-mode flags (ICRNL would turn the CR suffix
	// into LF), so make it raw the way a real UART behaves.
	{
		tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		tio.Oflag &^= unix.OPOST
		tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
		if err := unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, tio); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(w.dir, "dosdevices", "com5")
	os.Remove(link)
	if err := os.Symlink(slave.Name(), link); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(link)

	base := filepath.Join(w.driveC(), "offcircd-smoke", "serial")
	os.RemoveAll(base)
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := `station = "wine-serial"
data_dir = 'C:\offcircd-smoke\serial\OffCirc\files'
state_dir = 'C:\offcircd-smoke\serial\OffCirc\state'
timezone = "Europe/Zurich"
patron_pattern = '^P[0-9]+$'
item_pattern = '^3[0-9]{7}$'

[[scanner]]
name = "com5"
type = "serial"
port = "COM5"
baud = 9600
terminator = "cr"
beep = "none"

[[beeper]]
type = "none"
`
	if err := os.WriteFile(filepath.Join(base, "config.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	devs := wine(t, base, "devices")
	t.Logf("offcircd devices under Wine with com5 -> %s:\n%s%s", slave.Name(), devs.stdout, devs.stderr)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wine", windowsBinary(t), "run", "--config", `C:\offcircd-smoke\serial\config.toml`)
	cmd.Dir = base
	cmd.Env = append(os.Environ(), w.env...)
	logs := logFile{tempFile(t)}
	cmd.Stdout, cmd.Stderr = logs.f, logs.f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()

	if !waitFor(30*time.Second, func() bool { return strings.Contains(logs.String(), "connected") }) {
		t.Fatalf("the serial scanner on COM5 never connected under Wine; logs:\n%s", logs.String())
	}
	// A patron, then two items, each ended with CR like a scanner's suffix.
	for _, code := range []string{"P1234567", "30000001", "30000002"} {
		if _, err := master.Write([]byte(code + "\r")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	dat := filepath.Join(base, "OffCirc", "files", "OffCirc.dat")
	var got []byte
	twoLines := func() bool {
		got, _ = os.ReadFile(dat)
		return bytes.Count(got, []byte("\r\n")) >= 2
	}
	live := waitFor(10*time.Second, twoLines)
	if !live {
		// Hang up: Wine then completes the pending read with what queued.
		// The link goes first: the daemon's reconnect loop would otherwise
		// reopen COM5 → /dev/pts/N after the hang-up, and the kernel hands
		// that freed number to the next test's pty (cross-talk seen here).
		os.Remove(link)
		master.Close()
		slave.Close()
		waitFor(20*time.Second, twoLines)
	}
	cmd.Process.Kill()
	cmd.Wait()
	lines := strings.SplitAfter(string(got), "\r\n")
	if len(lines) != 3 || lines[2] != "" {
		t.Fatalf("OffCirc.dat after three serial scans (live=%v) = %q, want two loan lines; logs:\n%s", live, got, logs.String())
	}
	for i, item := range []string{"30000001", "30000002"} {
		want := "L" + item + strings.Repeat(" ", 80-len(item)) + "P1234567\r\n"
		if len(lines[i]) != 12+len(want) || lines[i][12:] != want {
			t.Errorf("line %d = %q, want YYYYMMDDHHMM%q", i+1, lines[i], want)
		}
	}
	if !live {
		t.Skipf("Wine 8.0 serial layer: COM5 -> %s opened and configured, but the scans arrived only when the pty hung up "+
			"(Wine completes a read only when its buffer is full or on hang-up, ignoring the MAXDWORD/MAXDWORD/constant timeouts); "+
			"the queued bytes then decoded into the right records. Logs:\n%s", slave.Name(), logs.String())
	}
	t.Logf("serial under Wine: scans delivered live through COM5; logs:\n%s", logs.String())
}
