package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// runBeepCmd runs the real binary and returns stdout, stderr and the exit code.
func runBeepCmd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runOffcircd(t, "", "", append([]string{"beep"}, args...)...)
}

// beepConfig writes a config whose only beeper runs a shell script body.
func beepConfig(t *testing.T, body string) (cfgPath, dir string) {
	t.Helper()
	dir = t.TempDir()
	sh := filepath.Join(dir, "beep.sh")
	if err := os.WriteFile(sh, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath = filepath.Join(dir, "offcircd.toml")
	cfg := "data_dir = \"" + dir + "/files\"\nstate_dir = \"" + dir + "/state\"\n\n[[beeper]]\ntype = \"command\"\ncommand = [\"" + sh + "\", \"--pattern\"]\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dir
}

func TestBeepCommandSinkEndToEnd(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell script beeper")
	}
	cfg, dir := beepConfig(t, `echo "$1 $2" >> "$(dirname "$0")/played.txt"`)
	t.Run("all", func(t *testing.T) {
		os.Remove(filepath.Join(dir, "played.txt"))
		out, errOut, code := runBeepCmd(t, "all", "--config", cfg)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		got, _ := os.ReadFile(filepath.Join(dir, "played.txt"))
		want := "--pattern good\n--pattern patron\n--pattern mode-loan\n--pattern mode-return\n" +
			"--pattern double\n--pattern reject\n--pattern write-failure\n--pattern undo\n--pattern not-stored\n"
		if string(got) != want {
			t.Errorf("command got\n%s\nwant\n%s", got, want)
		}
		if !strings.Contains(out, "write-failure") || strings.Count(out, "played") != 9 {
			t.Errorf("output:\n%s", out)
		}
	})
	t.Run("one pattern", func(t *testing.T) {
		os.Remove(filepath.Join(dir, "played.txt"))
		if _, errOut, code := runBeepCmd(t, "reject", "--config", cfg, "--type", "command"); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "played.txt")); string(got) != "--pattern reject\n" {
			t.Errorf("command got %q", got)
		}
	})
}

func TestBeepFailures(t *testing.T) {
	failing, _ := beepConfig(t, "echo speaker unplugged >&2; exit 4")
	missing := filepath.Join(t.TempDir(), "no-such-event0")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unknown pattern", []string{"boing"}, 2, []string{`unknown pattern "boing"`, "write-failure"}},
		{"two patterns", []string{"good", "reject"}, 2, []string{"accepts at most 1 arg"}},
		{"unknown type", []string{"good", "--type", "siren"}, 2, []string{`--type "siren"`}},
		{"device without type", []string{"good", "--device", "/dev/tty0"}, 2, []string{"--device needs --type"}},
		{"command without config", []string{"good", "--type", "command"}, 2, []string{"no command beeper"}},
		{"failing command", []string{"good", "--config", failing}, 1, []string{"speaker unplugged", "exit status 4"}},
		{"missing speaker device", []string{"good", "--type", "pcspeaker", "--device", missing}, 1, []string{"pcspeaker", "no-such-event0"}},
		{"bad config", []string{"good", "--config", filepath.Join(t.TempDir(), "none.toml")}, 1, []string{"none.toml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "failing command" && runtime.GOOS == "windows" {
				t.Skip("shell script beeper")
			}
			_, errOut, code := runBeepCmd(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d: %s", code, tc.code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}
}

func TestBeepPCSpeakerWritesInputEvents(t *testing.T) {
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skip("64-bit Linux input_event layout")
	}
	dev := filepath.Join(t.TempDir(), "event-spkr")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runBeepCmd(t, "good", "--type", "pcspeaker", "--device", dev)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "pcspeaker (evdev "+dev+")") {
		t.Errorf("output %q does not name the device", out)
	}
	got, _ := os.ReadFile(dev)
	// good = one 2000 Hz tone: on (value 0x7d0), then off.
	ev := func(v []byte) []byte { return append(append(make([]byte, 16), 0x12, 0, 0x02, 0), v...) }
	want := append(ev([]byte{0xd0, 0x07, 0, 0}), ev([]byte{0, 0, 0, 0})...)
	if !bytes.Equal(got, want) {
		t.Errorf("device got\n% x\nwant\n% x", got, want)
	}
}
