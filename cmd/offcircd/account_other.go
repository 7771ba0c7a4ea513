//go:build !linux

package main

import "github.com/offcircd/offcircd/config"

// deviceNodeProblems finds nothing where device nodes are not files with
// owners (Windows opens scanners by device interface; the service runs as
// LocalSystem).
func deviceNodeProblems(*config.Config) []config.Problem { return nil }
