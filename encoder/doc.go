// Package encoder owns the OffCirc.dat record: the fixed-width line that
// Alma's Offline Circulation upload reads (SPEC §1), its validation, a
// tolerant streaming reader for files written by us or by other tools, the
// checks run before upload, and the merge of several stations' files.
//
// Encode/AppendLine are the only way bytes reach a data file. Reader and
// ParseLine accept LF or CRLF, a tab or any run of blanks between item and
// patron, and unpadded returns. Check reports, with 1-based line numbers as
// in Alma's job report:
//
//   - errors (the line is unusable): bad date/time, a time before 2000, a
//     time more than FutureTolerance ahead of the checking computer's clock,
//     type other than L/R, empty or too long item, bytes outside printable
//     ASCII, loan without patron, patron too long or containing blanks, a
//     line too short or too long, a last line without line end (torn);
//   - warnings (Alma accepts the line, a person should look): return with a
//     patron, an exact duplicate (same as the previous line for the same item
//     in the same minute: the lines merge drops), time going backwards
//     (Alma applies lines in file order), empty lines.
//
// Times are compared as their 12 wall-clock digits, never converted: the
// station wrote local time, and that is what Alma reads.
package encoder
