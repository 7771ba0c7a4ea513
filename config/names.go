package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The name lists below are the station's vocabulary: the words an operator
// writes in the configuration, on a control barcode or on a keypad binding.
// Each list exists once, here, because config depends on nothing: config
// validation, the station, the feedback dispatcher, the devices and the
// commented default configuration (checked by a test) all read these tables.

// Command is an instruction to the station, sent by a control barcode
// (control_prefix followed by the name, any case) or a keypad key.
type Command string

// The station's commands.
const (
	CmdLoan   Command = "loan"   // switch to loan mode
	CmdReturn Command = "return" // switch to return mode
	CmdToggle Command = "toggle" // switch to the other mode
	CmdDone   Command = "done"   // end the patron session
	CmdUndo   Command = "undo"   // take the last record back (within undo_window)
	CmdAck    Command = "ack"    // silence a repeating write-failure alarm
)

// Commands lists every command, in the order the docs give them.
var Commands = []Command{CmdLoan, CmdReturn, CmdToggle, CmdDone, CmdUndo, CmdAck}

// ParseCommand returns the command named s (any case), or false.
func ParseCommand(s string) (Command, bool) {
	c := Command(strings.ToLower(s))
	return c, slices.Contains(Commands, c)
}

// Pattern names one kind of feedback (SPEC §3); the names are the keys of
// [patterns] and of a scanner's beep_bytes, and the argument of the command
// sink and of `offcircd beep`.
type Pattern string

// The feedback patterns of SPEC §3.
const (
	PatternGood         Pattern = "good"          // record durable on disk
	PatternPatron       Pattern = "patron"        // patron accepted
	PatternModeLoan     Pattern = "mode-loan"     // station switched to loan
	PatternModeReturn   Pattern = "mode-return"   // station switched to return
	PatternDouble       Pattern = "double"        // double read ignored
	PatternReject       Pattern = "reject"        // scan rejected
	PatternWriteFailure Pattern = "write-failure" // record spooled / could not be written
	PatternUndo         Pattern = "undo"          // last record taken back
	PatternNotStored    Pattern = "not-stored"    // record stored nowhere: scan refused, scan again later
)

// Patterns lists every pattern in a stable order (for `offcircd beep all`).
var Patterns = []Pattern{PatternGood, PatternPatron, PatternModeLoan, PatternModeReturn,
	PatternDouble, PatternReject, PatternWriteFailure, PatternUndo, PatternNotStored}

// ErrUnknownPattern is returned for a pattern name that is not one of
// Patterns, wherever the name comes from (a person, a profile, a sink).
var ErrUnknownPattern = errors.New("unknown feedback pattern")

// IsPattern reports whether s is one of Patterns.
func IsPattern(s string) bool { return slices.Contains(Patterns, Pattern(s)) }

// ParsePattern checks a pattern name given by a person (`offcircd beep NAME`).
func ParsePattern(s string) (Pattern, error) {
	if p := Pattern(s); slices.Contains(Patterns, p) {
		return p, nil
	}
	return "", fmt.Errorf("config: %w %q (known: %s)", ErrUnknownPattern, s, joinNames(Patterns, ", "))
}

// joinNames joins the names of a table for a message.
func joinNames[T ~string](names []T, sep string) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, sep)
}
