package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ptyIntruders describes what else has the pty slave at path open, besides
// this test and the binary (pid): the kernel reuses the lowest free
// /dev/pts number, so a process elsewhere on the machine that still retries
// a pty path it used earlier (e.g. a daemon under Wine whose COM5 pointed
// at /dev/pts/0) opens this test's scanner as well. As root, TIOCEXCL does
// not keep it out; it shares the termios (Wine sets VMIN=0) and the input
// queue, so it takes a code and go.bug.st sees an empty read ("Port has been
// closed"). A real port has no such stranger; a failure with an intruder is
// the test machine's, not the product's, and the message says so.
func ptyIntruders(m *os.File, path string, pid int) string {
	var who []string
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		n, err := strconv.Atoi(p.Name())
		if err != nil || n == os.Getpid() || n == pid {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		for _, fd := range fds {
			if l, _ := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name())); l == path {
				cmd, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
				who = append(who, fmt.Sprintf("pid %d (%s)", n, strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))))
				break
			}
		}
	}
	msg := ""
	if len(who) > 0 {
		msg = fmt.Sprintf("\nother processes have %s open (pty number reused by a stale opener): %s", path, strings.Join(who, "; "))
	}
	// On a pty master the termios ioctls address the slave: go.bug.st set
	// VMIN=1, anything else was set by someone else.
	if tio, err := unix.IoctlGetTermios(int(m.Fd()), unix.TCGETS); err == nil && (tio.Cc[unix.VMIN] != 1 || tio.Cc[unix.VTIME] != 0) {
		msg += fmt.Sprintf("\nslave termios VMIN=%d VTIME=%d: reconfigured by another opener", tio.Cc[unix.VMIN], tio.Cc[unix.VTIME])
	}
	return msg
}
