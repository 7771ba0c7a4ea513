package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill go when the wrapper dies: gremlins
// kills the wrapper (its "go") when a mutant's test run times out, and the
// real go must not go on running behind it.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
