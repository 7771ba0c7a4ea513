//go:build !linux

package main

import "os/exec"

// dieWithParent has no portable equivalent of Linux's parent-death signal;
// make mutate runs on Linux.
func dieWithParent(*exec.Cmd) {}
