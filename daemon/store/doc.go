// Package store owns the durable side of offcircd: appending canonical
// OffCirc.dat lines so that an acknowledged record is never lost.
//
// A record is acknowledged only once it is fsynced either in the data file
// or in a spool in the state directory; the spool is drained into the data
// file, in order and exactly once, as soon as the data file can be written
// again. The data file is opened per record (never held), so staff may
// archive or delete it at any time and the next record starts a fresh file.
// Torn tails (a last line without a line end) are moved to a side file
// before anything else is appended, so Alma never reads a partial line.
package store
