// Package feedback owns what the station says back to people: named beep
// patterns, the sinks that play them (scanner-side, PC speaker, command,
// bell) and the dispatcher that routes patterns to sinks without ever
// blocking scanning.
package feedback
