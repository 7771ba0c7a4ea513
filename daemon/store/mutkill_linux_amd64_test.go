package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A station killed at the moment it writes (power switch, kill -9, the
// OOM killer) must leave OffCirc.dat holding whole lines only: staff may
// upload the file to Alma before the station runs again, and a loan torn
// inside the patron ID reads as a valid loan for another patron. That
// holds only because each record goes to the file in one write call; the
// kernel either ran that call or did not.
//
// The test runs the crash helper (records appended as fast as it can)
// under ptrace and kills it with SIGKILL at the entry of its k-th write
// call to the data file, for several k, then reads the file before
// anything repairs it: exactly the acknowledged records, each a whole
// line, nothing after them.
func TestKillAtAnyWriteLeavesWholeLines(t *testing.T) {
	for k := 1; k <= 4; k++ {
		t.Run(strconv.Itoa(k), func(t *testing.T) {
			e := newEnv(t)
			acked := killAtWrite(t, e, k)
			b, err := os.ReadFile(e.path())
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			got := string(b)
			if got != "" && !strings.HasSuffix(got, "\n") {
				t.Fatalf("killed at data-file write %d: the file ends in part of a line: %q", k, got)
			}
			want := ""
			for _, n := range acked {
				want += line(t, testRec(n))
			}
			if got != want {
				t.Fatalf("killed at data-file write %d (acknowledged %v): file %q\nwant %q", k, acked, got, want)
			}
			// Every write before the k-th was a whole record, acknowledged.
			if len(acked) != k-1 {
				t.Fatalf("killed at data-file write %d: %d records acknowledged, want %d (one write per record)", k, len(acked), k-1)
			}
		})
	}
}

// killAtWrite runs the crash helper on e traced, kills it at the entry of
// its k-th write call on the data file and returns the records it
// acknowledged.
func killAtWrite(t *testing.T, e *env, k int) []int {
	t.Helper()
	if err := os.MkdirAll(e.data, 0o750); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		helperEnv+"="+e.data+string(os.PathListSeparator)+e.state,
		helperStart+"=0", helperSpoolEnv+"=0")
	cmd.Stdout = w // an *os.File: no copying goroutine, nothing to Wait for
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}

	// ptrace requests must come from the thread that started the child.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	pid := cmd.Process.Pid
	dir, err := filepath.EvalSymlinks(e.data) // /proc names the file by its real path
	if err != nil {
		t.Fatal(err)
	}
	traceErr := traceUntilWrite(pid, filepath.Join(dir, filepath.Base(e.path())), k)
	if traceErr != nil {
		syscall.Kill(pid, syscall.SIGKILL)
		for {
			wpid, err := syscall.Wait4(-1, nil, syscall.WALL, nil)
			if err != nil || wpid == pid {
				break
			}
		}
		t.Fatalf("tracing the helper: %v", traceErr)
	}
	var acked []int
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 1 && f[0] == "READY":
		case len(f) == 2 && f[0] == "ACK":
			n, _ := strconv.Atoi(f[1])
			acked = append(acked, n)
		default:
			t.Errorf("helper: %s", sc.Text())
		}
	}
	return acked
}

// traceUntilWrite follows every thread of the stopped, traced process pid
// through its system calls and kills it with SIGKILL when a thread enters
// its k-th write call on path. It returns once pid has exited.
func traceUntilWrite(pid int, path string, k int) error {
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, syscall.WALL, nil); err != nil {
		return err
	}
	if !ws.Stopped() {
		return fmt.Errorf("helper did not stop at exec: %v", ws)
	}
	const exitKill = 0x100000 // PTRACE_O_EXITKILL: a failed test leaves no helper behind
	if err := syscall.PtraceSetOptions(pid, syscall.PTRACE_O_TRACESYSGOOD|syscall.PTRACE_O_TRACECLONE|exitKill); err != nil {
		return fmt.Errorf("ptrace: %w (is ptrace allowed here?)", err)
	}
	if err := syscall.PtraceSyscall(pid, 0); err != nil {
		return err
	}
	writes, killed := 0, false
	for {
		wpid, err := syscall.Wait4(-1, &ws, syscall.WALL, nil)
		if err != nil {
			return err
		}
		if ws.Exited() || ws.Signaled() {
			if wpid == pid {
				if !killed {
					return fmt.Errorf("helper ended by itself after %d writes: %v", writes, ws)
				}
				return nil
			}
			continue
		}
		if !ws.Stopped() {
			continue
		}
		sig := 0
		switch s := ws.StopSignal(); {
		case s == syscall.SIGTRAP|0x80: // a system call stop
			var regs syscall.PtraceRegs
			if syscall.PtraceGetRegs(wpid, &regs) == nil && isWriteEntry(&regs) && !killed {
				fd, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", wpid, regs.Rdi))
				if fd == path {
					writes++
					if writes == k {
						syscall.Kill(pid, syscall.SIGKILL)
						killed = true
					}
				}
			}
		case s == syscall.SIGTRAP, s == syscall.SIGSTOP:
			// clone events and the first stop of new threads
		default:
			sig = int(s) // the runtime's own signals (SIGURG ...) go through
		}
		syscall.PtraceSyscall(wpid, sig) // ESRCH once killed: ignored
	}
}

// isWriteEntry reports whether regs are those of a thread entering a
// write-like system call (at entry, amd64 holds -ENOSYS in rax).
func isWriteEntry(regs *syscall.PtraceRegs) bool {
	if int64(regs.Rax) != -int64(syscall.ENOSYS) {
		return false
	}
	switch regs.Orig_rax {
	case syscall.SYS_WRITE, syscall.SYS_PWRITE64, syscall.SYS_WRITEV, syscall.SYS_PWRITEV:
		return true
	}
	return false
}
