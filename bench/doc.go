//go:build linux

// Command bench is the performance harness behind `make bench` (issue 10):
// it measures offcircd against its physical floor in one run and prints one
// table, each figure beside the floor or peer it is judged by, and writes
// the same rows to bench/results.json for comparison across commits.
//
// Sections: scan → durable record and scan → good beep through a
// pseudo-terminal serial scanner (daemon in-process), an 8-scanner burst,
// idle cost and start-up of the real binary, and check/merge of a
// generated day of ten desks beside wc -l and GNU sort. See README.md.
package main
