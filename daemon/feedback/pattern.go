package feedback

import "github.com/offcircd/offcircd/config"

// Pattern names one kind of feedback. The names are config's table (one list
// for config, station, devices and docs); this package gives them sound.
type Pattern = config.Pattern

// The patterns of SPEC §3, under the names the station uses.
const (
	Good         = config.PatternGood         // record durable on disk
	Patron       = config.PatternPatron       // patron accepted
	ModeLoan     = config.PatternModeLoan     // station switched to loan
	ModeReturn   = config.PatternModeReturn   // station switched to return
	Double       = config.PatternDouble       // double read ignored
	Reject       = config.PatternReject       // scan rejected
	WriteFailure = config.PatternWriteFailure // record spooled / could not be written
	Undo         = config.PatternUndo         // last record taken back
	NotStored    = config.PatternNotStored    // record stored nowhere (neither data file nor spool)
)

// All lists every pattern in a stable order (for `offcircd beep all`).
var All = config.Patterns
