// Package console owns the "console" scanner type: one scan per line of
// standard input, typed by a person or by a keyboard-wedge scanner (the
// scanner of a config-less `offcircd run`).
package console
