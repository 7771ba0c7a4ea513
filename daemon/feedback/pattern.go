// Package feedback owns what the station says back to people: named beep
// patterns, the sinks that play them (scanner-side, PC speaker, command,
// bell) and the dispatcher that routes patterns to sinks without ever
// blocking scanning.
package feedback

// Pattern names one kind of feedback; the names are part of the config
// (`[patterns]`) and of the command sink's argument.
type Pattern string

// The patterns of SPEC §3.
const (
	Good         Pattern = "good"          // record durable on disk
	Patron       Pattern = "patron"        // patron accepted
	ModeLoan     Pattern = "mode-loan"     // station switched to loan
	ModeReturn   Pattern = "mode-return"   // station switched to return
	Double       Pattern = "double"        // double read ignored
	Reject       Pattern = "reject"        // scan rejected
	WriteFailure Pattern = "write-failure" // record spooled / could not be written
	Undo         Pattern = "undo"          // last record taken back
)

// All lists every pattern in a stable order (for `offcircd beep all`).
var All = []Pattern{Good, Patron, ModeLoan, ModeReturn, Double, Reject, WriteFailure, Undo}
