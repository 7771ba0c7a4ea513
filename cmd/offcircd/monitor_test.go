package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/offcircd/offcircd/devices/capture"
)

// writeHIDConfig writes a config in dir with body appended and returns its path.
func writeHIDConfig(t *testing.T, dir, body string) string {
	t.Helper()
	cfg := "data_dir = " + quoteTOML(filepath.Join(dir, "files")) + "\nstate_dir = " + quoteTOML(filepath.Join(dir, "state")) + "\n" + body
	p := filepath.Join(dir, "offcircd.toml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func quoteTOML(s string) string { return "'" + s + "'" }

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestMonitorReplay(t *testing.T) {
	bin := offcircdBinary(t)
	dir := t.TempDir()
	copyFile(t, "../../testdata/kbd-de/capture.txt", filepath.Join(dir, "de.txt"))
	copyFile(t, "../../testdata/honeywell-1602g-scans/capture.txt", filepath.Join(dir, "pos.txt"))
	cfg := writeHIDConfig(t, dir, `
[[scanner]]
name    = "wedge"
type    = "replay"
decoder = "hid-keyboard"
layout  = "de"
file    = "de.txt"
speed   = 50

[[scanner]]
name       = "pos"
type       = "replay"
decoder    = "hid-pos"
pos_layout = "honeywell"
file       = "pos.txt"
speed      = 50
`)
	for _, raw := range []bool{false, true} {
		args := []string{"monitor", "--config", cfg}
		if raw {
			args = append(args, "--raw")
		}
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("monitor %v: %v\n%s", args, err, stderr.String())
		}
		out := stdout.String()
		for _, want := range []string{
			"wedge        scan     -    Zy-12/34(5)=6?",
			"wedge        bad      \"AB1\"",
			"pos          scan     ]C0  31234000123456",
			"pos          scan     ]A0  P0012345",
			"pos          state    stopped",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("monitor %v output lacks %q:\n%s", args, want, out)
			}
		}
		if got := strings.Contains(out, " raw "); got != raw {
			t.Errorf("--raw=%v but raw lines present=%v:\n%s", raw, got, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "files", "OffCirc.dat")); err == nil {
			t.Error("monitor wrote a data file")
		}
	}
}

func TestMonitorUsage(t *testing.T) {
	bin := offcircdBinary(t)
	dir := t.TempDir()
	cfg := writeHIDConfig(t, dir, "")
	cmd := exec.Command(bin, "monitor", "--config", cfg)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "no scanners configured") {
		t.Errorf("no scanners: %v\n%s", err, out)
	}
}

func TestCaptureSerialRoundTrip(t *testing.T) {
	bin := offcircdBinary(t)
	m, s, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	defer m.Close()
	port := s.Name()
	s.Close()
	dir := t.TempDir()
	cfg := writeHIDConfig(t, dir, `
[[scanner]]
name       = "desk"
type       = "serial"
port       = `+quoteTOML(port)+`
terminator = "cr"
`)
	out := filepath.Join(dir, "desk.cap")
	// capture --for 2s ends by itself; the deadline turns a hang into a
	// failure instead of a stuck test run.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "capture", "--config", cfg, "--scanner", "desk", "--out", out, "--for", "2s")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond) // let it open the port
	m.Write([]byte("31234000123456\r"))
	time.Sleep(200 * time.Millisecond)
	m.Write([]byte("P0012345\r"))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("capture: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "31234000123456") {
		t.Errorf("capture did not print the decoded scan:\n%s\n%s%s", stdout.String(), stderr.String(), ptyIntruders(m, port, cmd.Process.Pid))
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fi, _ := f.Stat(); fi.Mode().Perm()&0o007 != 0 {
		t.Errorf("capture file mode %v is world-accessible", fi.Mode())
	}
	c, err := capture.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	if c.Decoder != "serial" {
		t.Errorf("decoder header %q", c.Decoder)
	}
	var all []byte
	for _, ch := range c.Chunks {
		all = append(all, ch.Data...)
	}
	if string(all) != "31234000123456\rP0012345\r" {
		t.Errorf("captured %q", all)
	}
}

func TestCaptureUsage(t *testing.T) {
	bin := offcircdBinary(t)
	dir := t.TempDir()
	copyFile(t, "../../testdata/kbd-us/capture.txt", filepath.Join(dir, "c.txt"))
	cfg := writeHIDConfig(t, dir, "[[scanner]]\nname = \"r\"\ntype = \"replay\"\ndecoder = \"hid-keyboard\"\nfile = \"c.txt\"\n")
	for _, args := range [][]string{
		{"capture", "--config", cfg, "--out", filepath.Join(dir, "x")},
		{"capture", "--config", cfg, "--scanner", "nope", "--out", filepath.Join(dir, "x")},
		{"capture", "--config", cfg, "--scanner", "r", "--out", filepath.Join(dir, "x")},
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
}

// TestHIDCasesThroughStation replays every HID testdata case through the
// real daemon (`run --until-done`, no patterns: the first scan in loan mode
// is the patron, later scans are items) and checks the OffCirc.dat records,
// without their timestamps, against the case's expected scans.
func TestHIDCasesThroughStation(t *testing.T) {
	bin := offcircdBinary(t)
	caps, _ := filepath.Glob("../../testdata/*/capture.txt")
	n := 0
	for _, capPath := range caps {
		dir := filepath.Dir(capPath)
		head, _ := os.ReadFile(capPath)
		if !bytes.Contains(head, []byte("# decoder: hid-pos")) && !bytes.Contains(head, []byte("# decoder: hid-keyboard")) {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			work := t.TempDir()
			copyFile(t, capPath, filepath.Join(work, "capture.txt"))
			snippet, err := os.ReadFile(filepath.Join(dir, "config.toml"))
			if err != nil {
				t.Fatal(err)
			}
			cfg := writeHIDConfig(t, work, "default_mode = \"loan\"\n"+string(snippet)+"speed = 5\n")
			cmd := exec.Command(bin, "run", "--config", cfg, "--until-done")
			cmd.Dir = work
			var logs bytes.Buffer
			cmd.Stderr = &logs
			if err := cmd.Run(); err != nil {
				t.Fatalf("run: %v\n%s", err, logs.String())
			}
			// What the station should have written.
			want := ""
			patron := ""
			exp, _ := os.ReadFile(filepath.Join(dir, "expected.txt"))
			for _, l := range strings.Split(string(exp), "\n") {
				f := strings.SplitN(l, " ", 3)
				if len(f) != 3 || f[0] != "scan" {
					continue
				}
				data, err := strconv.Unquote(f[2])
				if err != nil {
					t.Fatal(err)
				}
				if patron == "" {
					patron = data
					continue
				}
				want += "L" + data + strings.Repeat(" ", 80-len(data)) + patron + "\r\n"
			}
			got, err := os.ReadFile(filepath.Join(work, "files", "OffCirc.dat"))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			var stripped strings.Builder
			for _, l := range strings.SplitAfter(string(got), "\r\n") {
				if len(l) > 12 {
					stripped.WriteString(l[12:])
				}
			}
			if stripped.String() != want {
				t.Errorf("OffCirc.dat without times:\n%q\nwant:\n%q\nlogs:\n%s", stripped.String(), want, logs.String())
			}
		})
	}
	if n < 9 {
		t.Errorf("only %d HID cases", n)
	}
}
