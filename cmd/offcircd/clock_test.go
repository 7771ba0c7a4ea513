package main

import (
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/daemon/status"
)

// TestClockBehind is a Raspberry Pi without a clock battery: it boots with
// a wall clock behind what the station has already seen (its own saved
// newest time, or its newest record). The clock alarm sounds, the log and
// `status` say "clock behind by …" with the fix, records are still written
// with the wall time, and `check` flags them.
func TestClockBehind(t *testing.T) {
	pad := func(s string) string { return s + strings.Repeat(" ", 93-len(s)) }
	tests := []struct {
		name   string
		seed   func(files, state string)
		behind string // "clock behind by " + this, at least
	}{
		{"the station saw a later time", func(files, state string) {
			write(t, filepath.Join(state, "clock"), time.Now().Add(2*time.Hour).Format(time.RFC3339Nano)+"\n")
		}, "2h0m"},
		{"its spool holds a later record", func(files, state string) {
			// Within check's 10 minutes for "in the future": a usable line.
			// The station's own record, waiting in its spool (the data file
			// may be shared, and is not what the clock is compared with).
			line := pad(time.Now().UTC().Add(9*time.Minute).Format("200601021504")+"R3000000001") + "\r\n"
			write(t, filepath.Join(state, "spool.dat"), fmt.Sprintf("%08x %s", crc32.ChecksumIEEE([]byte(line)), line))
		}, "8m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files, state := filepath.Join(dir, "files"), filepath.Join(dir, "state")
			for _, d := range []string{files, state} {
				if err := os.MkdirAll(d, 0o750); err != nil {
					t.Fatal(err)
				}
			}
			tt.seed(files, state)
			cfg := filepath.Join(dir, "offcircd.toml")
			write(t, cfg, "data_dir = 'files'\nstate_dir = 'state'\ntimezone = 'UTC'\nalarm_interval = '1s'\nmetrics_dir = 'metrics'\n"+
				"[[scanner]]\nname = \"desk\"\ntype = \"console\"\n"+
				"[[beeper]]\ntype = \"command\"\ncommand = [\"sh\", \"-c\", \"echo \\\"$0\\\" >> feedback.txt\"]\n")
			_, stderr, code := runOffcircd(t, dir, "OFFCIRC:RETURN\n3000000002\n", "run", "--config", cfg, "--until-done")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if !strings.Contains(stderr, "CLOCK BEHIND: clock behind by "+tt.behind) && !strings.Contains(stderr, "CLOCK BEHIND: clock behind by "+strings.Replace(tt.behind, "8m", "7m", 1)) || !strings.Contains(stderr, "timedatectl set-time") {
				t.Errorf("log does not report the clock:\n%s", stderr)
			}
			data := readFile(t, filepath.Join(files, "OffCirc.dat"))
			if !strings.Contains(data, "R3000000002") {
				t.Fatalf("the scan was not written:\n%s", data)
			}
			if fb := readFile(t, filepath.Join(dir, "feedback.txt")); !strings.Contains(fb, "good") {
				t.Errorf("feedback %q: the record's good beep is missing", fb)
			}
			if !strings.Contains(stderr, "alarm on") {
				t.Errorf("the clock raised no alarm:\n%s", stderr)
			}
			// The fleet sees it too: status.json and the metrics file.
			st, err := status.Read(filepath.Join(state, status.FileName))
			if err != nil || st.ClockBehindSeconds < 60 {
				t.Errorf("status.json clock_behind_seconds = %v (%v), want the clock's lag", st.ClockBehindSeconds, err)
			}
			prom := readFile(t, filepath.Join(dir, "metrics", "offcircd.prom"))
			m := regexp.MustCompile(`(?m)^offcircd_clock_behind_seconds\{[^}]*\} (\S+)$`).FindStringSubmatch(prom)
			if v, err := strconv.ParseFloat(append(m, "", "")[1], 64); err != nil || v < 60 {
				t.Errorf("metrics file does not show the clock behind (%v):\n%s", err, prom)
			}
			out, _, _ := runOffcircd(t, dir, "", "status", "--config", cfg)
			if !strings.Contains(out, "clock behind by ") || !strings.Contains(out, "fix: set the clock") || !strings.Contains(out, "clock sync ") {
				t.Errorf("status:\n%s", out)
			}
			if strings.Contains(tt.name, "record") {
				out, _, _ := runOffcircd(t, dir, "", "check", filepath.Join(files, "OffCirc.dat"))
				if !strings.Contains(out, ":2: warning:") || !strings.Contains(out, "is the station's clock right?") {
					t.Errorf("check does not flag the record written behind:\n%s", out)
				}
			}
		})
	}
}

// TestClockNotBehindAnotherStation: stations may share one data file, and
// another station's clock a few minutes ahead is not this station's clock
// being behind. Its lines in the shared file raise no alarm here, `status`
// says the clock is fine, and this station's records are written as usual.
func TestClockNotBehindAnotherStation(t *testing.T) {
	pad := func(s string) string { return s + strings.Repeat(" ", 93-len(s)) }
	dir := t.TempDir()
	files, state := filepath.Join(dir, "files"), filepath.Join(dir, "state")
	for _, d := range []string{files, state} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	// The other desk's clock runs 3 minutes fast; it wrote just now.
	write(t, filepath.Join(files, "OffCirc.dat"), pad(time.Now().UTC().Add(3*time.Minute).Format("200601021504")+"R3000000001")+"\r\n")
	// This station ran before and saw the right time.
	write(t, filepath.Join(state, "clock"), time.Now().Add(-time.Minute).Format(time.RFC3339Nano)+"\n")
	cfg := filepath.Join(dir, "offcircd.toml")
	write(t, cfg, "data_dir = 'files'\nstate_dir = 'state'\ntimezone = 'UTC'\nalarm_interval = '1s'\n"+
		"[[scanner]]\nname = \"desk\"\ntype = \"console\"\n"+
		"[[beeper]]\ntype = \"command\"\ncommand = [\"sh\", \"-c\", \"echo \\\"$0\\\" >> feedback.txt\"]\n")
	_, stderr, code := runOffcircd(t, dir, "OFFCIRC:RETURN\n3000000002\n", "run", "--config", cfg, "--until-done")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if strings.Contains(stderr, "CLOCK BEHIND") || strings.Contains(stderr, "alarm on") {
		t.Errorf("another station's lines raised the clock alarm:\n%s", stderr)
	}
	if data := readFile(t, filepath.Join(files, "OffCirc.dat")); !strings.Contains(data, "R3000000002") {
		t.Fatalf("the scan was not written:\n%s", data)
	}
	if fb := readFile(t, filepath.Join(dir, "feedback.txt")); !strings.Contains(fb, "good") || strings.Contains(fb, "failure") {
		t.Errorf("feedback %q: want the good beep and no alarm", fb)
	}
	st, err := status.Read(filepath.Join(state, status.FileName))
	if err != nil || st.ClockBehindSeconds != 0 {
		t.Errorf("status.json clock_behind_seconds = %v (%v), want 0", st.ClockBehindSeconds, err)
	}
	out, _, _ := runOffcircd(t, dir, "", "status", "--config", cfg)
	if strings.Contains(out, "clock behind") {
		t.Errorf("status:\n%s", out)
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o640); err != nil {
		t.Fatal(err)
	}
}
