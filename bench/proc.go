//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat. It is
// 100 on every Linux architecture offcircd targets (x86, arm, arm64); the
// kernel keeps it fixed for user space whatever CONFIG_HZ is.
const clockTicks = 100

var errProcFormat = errors.New("bench: unexpected /proc format")

// parseStat returns utime and stime (clock ticks) from the contents of
// /proc/<pid>/stat. The command name in parentheses may itself contain
// spaces and parentheses, so fields are counted after the last ')'.
func parseStat(b []byte) (utime, stime uint64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("%w: stat has no command name", errProcFormat)
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("%w: stat has %d fields after the name", errProcFormat, len(f))
	}
	if utime, err = strconv.ParseUint(string(f[11]), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("%w: utime: %w", errProcFormat, err)
	}
	if stime, err = strconv.ParseUint(string(f[12]), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("%w: stime: %w", errProcFormat, err)
	}
	return utime, stime, nil
}

// parseStatusKB returns the value of a "Key:   1234 kB" line of
// /proc/<pid>/status in kB.
func parseStatusKB(b []byte, key string) (int64, error) {
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		k, v, ok := bytes.Cut(line, []byte{':'})
		if !ok || string(k) != key {
			continue
		}
		f := bytes.Fields(v)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("%w: %s: %q", errProcFormat, key, v)
		}
		n, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%w: %s: %q", errProcFormat, key, v)
		}
		return n, nil
	}
	return 0, fmt.Errorf("%w: no %s line", errProcFormat, key)
}

// parseSchedstat returns the first field of /proc/<pid>/task/<tid>/schedstat:
// nanoseconds on CPU, a finer clock than stat's ticks.
func parseSchedstat(b []byte) (uint64, error) {
	f := bytes.Fields(b)
	if len(f) < 1 {
		return 0, fmt.Errorf("%w: empty schedstat", errProcFormat)
	}
	n, err := strconv.ParseUint(string(f[0]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: schedstat: %w", errProcFormat, err)
	}
	return n, nil
}

// procSample is one reading of a process's CPU time and memory.
type procSample struct {
	ticks   uint64 // utime + stime, clock ticks
	schedNS uint64 // sum over live threads of schedstat run time (0 when unavailable)
	rssKB   int64
	hwmKB   int64 // peak RSS
}

// cpuSeconds is ticks in seconds.
func (s procSample) cpuSeconds() float64 { return float64(s.ticks) / clockTicks }

// sampleProc reads /proc for pid.
func sampleProc(pid int) (procSample, error) {
	var s procSample
	dir := fmt.Sprintf("/proc/%d", pid)
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return s, fmt.Errorf("bench: %w", err)
	}
	u, st, err := parseStat(b)
	if err != nil {
		return s, err
	}
	s.ticks = u + st
	if b, err = os.ReadFile(filepath.Join(dir, "status")); err != nil {
		return s, fmt.Errorf("bench: %w", err)
	}
	if s.rssKB, err = parseStatusKB(b, "VmRSS"); err != nil {
		return s, err
	}
	if s.hwmKB, err = parseStatusKB(b, "VmHWM"); err != nil {
		return s, err
	}
	// Threads that exit between samples take their schedstat with them;
	// Go keeps its threads, so the sum is a fair fine-grained cross-check.
	tasks, _ := filepath.Glob(filepath.Join(dir, "task", "*", "schedstat"))
	for _, t := range tasks {
		if b, err := os.ReadFile(t); err == nil {
			if n, err := parseSchedstat(b); err == nil {
				s.schedNS += n
			}
		}
	}
	return s, nil
}
