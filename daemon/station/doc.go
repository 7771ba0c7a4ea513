// Package station owns the loan/return state machine of SPEC §2: it takes
// device events one at a time, classifies each scan, keeps the mode and the
// patron session, asks the store to write and chooses the feedback pattern
// from the store's answer. It does no I/O of its own: the store and the
// feedback dispatcher come in as interfaces.
package station
