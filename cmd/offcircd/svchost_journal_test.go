//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Under systemd the station's standard error is the journal already: a
// second copy through the system log would show every warning twice.
func TestNoSystemLogCopyWhenStderrIsTheJournal(t *testing.T) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(os.Stderr.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", st.Dev, st.Ino))
	l, closeLog, err := openSystemLog()
	if err != nil {
		t.Fatal(err)
	}
	closeLog()
	if l != nil {
		t.Errorf("openSystemLog gave a system logger although standard error is the journal stream")
	}
	t.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", st.Dev, st.Ino+1))
	if l, closeLog, err := openSystemLog(); err == nil {
		closeLog()
		if l == nil {
			t.Errorf("no system logger although standard error is not the journal")
		}
	}
}

// On the journal's stream each line carries its level's priority prefix,
// once, and debug lines are left out even at log_level = "debug"; the log
// file beside it gets every line, plain.
func TestJournalLinesCarryTheirPriority(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var stream bytes.Buffer
		file := filepath.Join(t.TempDir(), "offcircd.log")
		log, closeLog, err := newLoggerTo(&stream, true, format, "debug", file)
		if err != nil {
			t.Fatal(err)
		}
		log = log.With("component", "store")
		log.Debug("d")
		log.Info("i")
		log.Warn("w")
		log.Error("e")
		closeLog()
		lines := strings.Split(strings.TrimSuffix(stream.String(), "\n"), "\n")
		// Debug lines (patron IDs whole) never reach the journal; the
		// log file has them.
		want := []string{"<6>", "<4>", "<3>"}
		if len(lines) != len(want) {
			t.Fatalf("%s: %d lines on the journal stream, want %d:\n%s", format, len(lines), len(want), stream.String())
		}
		for i, l := range lines {
			if !strings.HasPrefix(l, want[i]) || strings.Contains(l[3:], "<") || !strings.Contains(l, "store") {
				t.Errorf("%s: line %d = %q, want the prefix %s once and the logger's attributes", format, i, l, want[i])
			}
		}
		b, _ := os.ReadFile(file)
		if strings.Contains(string(b), "<") || strings.Count(string(b), "\n") != 4 || !(strings.Contains(string(b), "msg=d ") || strings.Contains(string(b), `"msg":"d"`)) {
			t.Errorf("%s: log file %q, want the 4 lines without priority prefixes", format, b)
		}
	}
}
