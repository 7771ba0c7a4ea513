package store

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/encoder"
)

// The drain log's last line can be damaged (a crash while it was written,
// a flipped byte): such a line is ignored and the intent before it
// decides what was drained. Whatever the damage, a restart puts every
// spooled record into the data file exactly once: here records 1 and 2
// were drained (the intent for 2 is the last good one), 3 was not.
func TestDamagedDrainLogLineIgnored(t *testing.T) {
	l := func(i int) string { return line(t, testRec(i)) }
	s1, s2, s3 := spoolLine([]byte(l(1))), spoolLine([]byte(l(2))), spoolLine([]byte(l(3)))
	off2 := int64(len(s1))
	d1, d2 := int64(len(l(0))), int64(len(l(0)+l(1)))
	crc1, crc2 := crc32.ChecksumIEEE([]byte(l(1))), crc32.ChecksumIEEE([]byte(l(2)))
	n1, n2 := len(l(1)), len(l(2))

	tests := []struct {
		name string
		log  func(dev, ino uint64) string // the drain log after the good intents
	}{
		{"nothing after", func(dev, ino uint64) string { return "" }},
		{"length 0", func(dev, ino uint64) string {
			return fmt.Sprintf("%d 0 %08x %d %d %d\n", off2, crc2, d2, dev, ino)
		}},
		{"length over 1 MiB", func(dev, ino uint64) string {
			return fmt.Sprintf("%d %d %08x %d %d %d\n", off2, 1<<20+1, crc2, d2, dev, ino)
		}},
		{"checksum of nine digits", func(dev, ino uint64) string {
			return fmt.Sprintf("%d %d %09x %d %d %d\n", off2, n2, uint64(crc2^1)|1<<32, d2, dev, ino)
		}},
		{"spool offset beyond 2^62", func(dev, ino uint64) string {
			return fmt.Sprintf("%d %d %08x %d %d %d\n", uint64(1)<<62+1, n2, crc2, d2, dev, ino)
		}},
		{"data size beyond 2^62", func(dev, ino uint64) string {
			return fmt.Sprintf("%d %d %08x %d %d %d\n", off2, n2, crc2, uint64(1)<<62+1, dev, ino)
		}},
		{"five fields", func(dev, ino uint64) string {
			return fmt.Sprintf("%d %d %08x %d %d\n", off2, n2, crc2, d2+5, dev)
		}},
		{"not a number", func(dev, ino uint64) string {
			return fmt.Sprintf("%d %d %08x %dx %d %d\n", off2, n2, crc2, d2+5, dev, ino)
		}},
		{"torn", func(dev, ino uint64) string { return fmt.Sprintf("%d %d %08x", off2, n2, crc2) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			os.MkdirAll(e.data, 0o750)
			os.MkdirAll(e.state, 0o750)
			os.WriteFile(e.path(), []byte(l(0)+l(1)+l(2)), 0o640)
			os.WriteFile(filepath.Join(e.state, spoolName), []byte(string(s1)+string(s2)+string(s3)), 0o600)
			id := dataID(t, e)
			good := intent{SpoolOff: 0, Len: n1, CRC: crc1, DataSize: d1, ID: id}.marshal()
			good = append(good, intent{SpoolOff: off2, Len: n2, CRC: crc2, DataSize: d2, ID: id}.marshal()...)
			os.WriteFile(filepath.Join(e.state, drainLogName), append(good, tt.log(id.Dev, id.Ino)...), 0o600)

			s := e.open(t)
			if st := s.Status(); st.SpoolDepth != 1 {
				t.Errorf("after restart %d records pending, want 1 (record 3)", st.SpoolDepth)
			}
			if err := s.Drain(); err != nil {
				t.Fatal(err)
			}
			if got, want := e.content(t), linesOf(t, 0, 4); got != want {
				t.Fatalf("data file %q\nwant %q", got, want)
			}
		})
	}
}

// A blank line in the drain log does not hide the intents after it.
func TestDrainLogBlankLine(t *testing.T) {
	l := func(i int) string { return line(t, testRec(i)) }
	s1, s2 := spoolLine([]byte(l(1))), spoolLine([]byte(l(2)))
	e := newEnv(t)
	os.MkdirAll(e.data, 0o750)
	os.MkdirAll(e.state, 0o750)
	os.WriteFile(e.path(), []byte(l(0)+l(1)+l(2)), 0o640)
	os.WriteFile(filepath.Join(e.state, spoolName), []byte(string(s1)+string(s2)), 0o600)
	id := dataID(t, e)
	log := intent{SpoolOff: 0, Len: len(l(1)), CRC: crc32.ChecksumIEEE([]byte(l(1))), DataSize: int64(len(l(0))), ID: id}.marshal()
	log = append(log, '\n')
	log = append(log, intent{SpoolOff: int64(len(s1)), Len: len(l(2)), CRC: crc32.ChecksumIEEE([]byte(l(2))), DataSize: int64(len(l(0) + l(1))), ID: id}.marshal()...)
	os.WriteFile(filepath.Join(e.state, drainLogName), log, 0o600)
	s := e.open(t)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), linesOf(t, 0, 3); got != want {
		t.Fatalf("data file %q\nwant %q", got, want)
	}
}

// dataID returns the identity of e's data file, as an intent names it.
func dataID(t *testing.T, e *env) fileID {
	t.Helper()
	f, err := os.Open(e.path())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, err := fileIdentity(f)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A blank line in the spool (an editor, a stray newline) is set aside
// like any damaged line; the records after it still drain.
func TestSpoolBlankLineDoesNotHideLaterRecords(t *testing.T) {
	e := newEnv(t)
	os.MkdirAll(e.state, 0o750)
	spool := string(spoolLine([]byte(line(t, testRec(1))))) + "\n" + string(spoolLine([]byte(line(t, testRec(2)))))
	os.WriteFile(filepath.Join(e.state, spoolName), []byte(spool), 0o600)
	s := e.open(t)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), linesOf(t, 1, 3); got != want {
		t.Fatalf("data file %q\nwant %q", got, want)
	}
}

// A clean start (no spool yet, an empty one, or one with good records)
// reports no damaged spool line: staff must be able to trust that error.
func TestCleanStartReportsNoDamage(t *testing.T) {
	for _, spool := range []string{"", "empty", "records"} {
		e := newEnv(t)
		os.MkdirAll(e.state, 0o750)
		switch spool {
		case "empty":
			os.WriteFile(filepath.Join(e.state, spoolName), nil, 0o600)
		case "records":
			os.WriteFile(filepath.Join(e.state, spoolName), spoolLine([]byte(line(t, testRec(1)))), 0o600)
		}
		s := e.open(t)
		if st := s.Status(); len(st.Damaged) != 0 {
			t.Errorf("spool %q: status %+v", spool, st)
		}
		if strings.Contains(e.logs.String(), "damaged") {
			t.Errorf("spool %q: a clean start logged damage:\n%s", spool, e.logs)
		}
	}
}

// The drain log's last intent names a line that was undone from the spool
// and replaced by another of the same length, which the data file already
// holds at the intent's place (the same loan scanned again and written
// directly before the share failed once more). The spooled copy is a
// record of its own, acknowledged: it must be drained, not taken for the
// intent's line.
func TestIntentForAReplacedLineOfTheSameLength(t *testing.T) {
	l := func(i int) string { return line(t, testRec(i)) }
	y, r := l(2), l(4) // loans of the same length
	if len(y) != len(r) {
		t.Fatal("test records differ in length")
	}
	e := newEnv(t)
	os.MkdirAll(e.data, 0o750)
	os.MkdirAll(e.state, 0o750)
	os.WriteFile(e.path(), []byte(l(0)+y), 0o640)
	os.WriteFile(filepath.Join(e.state, spoolName), spoolLine([]byte(y)), 0o600)
	id := dataID(t, e)
	in := intent{SpoolOff: 0, Len: len(r), CRC: crc32.ChecksumIEEE([]byte(r)), DataSize: int64(len(l(0))), ID: id}
	os.WriteFile(filepath.Join(e.state, drainLogName), in.marshal(), 0o600)
	s := e.open(t)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), l(0)+y+y; got != want {
		t.Fatalf("data file %q\nwant %q", got, want)
	}
}

// Every checksum value is possible, the largest too: a record line whose
// CRC-32 is ffffffff, drained just before a crash, is recognised from its
// intent at the next start and not written a second time.
func TestIntentWithTheLargestChecksum(t *testing.T) {
	l := func(i int) string { return line(t, testRec(i)) }
	rec := testRec(2)
	rec.Patron = forgePatron(t, rec, 0xFFFFFFFF)
	big := line(t, rec)
	if crc32.ChecksumIEEE([]byte(big)) != 0xFFFFFFFF {
		t.Fatal("forged patron does not give the checksum")
	}
	e := newEnv(t)
	os.MkdirAll(e.data, 0o750)
	os.MkdirAll(e.state, 0o750)
	os.WriteFile(e.path(), []byte(l(0)+big), 0o640)
	os.WriteFile(filepath.Join(e.state, spoolName), []byte(string(spoolLine([]byte(big)))+string(spoolLine([]byte(l(3))))), 0o600)
	writeIntent(t, e, []byte(big), 0, len(big), int64(len(l(0))))
	s := e.open(t)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.content(t), l(0)+big+l(3); got != want {
		t.Fatalf("data file %q\nwant %q", got, want)
	}
}

// forgePatron returns a patron ID of printable characters for which rec's
// line has the CRC-32 want: CRC-32 is affine over GF(2), so flipping low
// bits of the patron's characters (which keeps them in 0x40..0x5F) moves
// the checksum by the XOR of each flip's own change, and a set of flips
// that reaches want is found by Gaussian elimination.
func forgePatron(t *testing.T, rec encoder.Record, want uint32) string {
	t.Helper()
	base := []byte("P" + strings.Repeat("A", 12))
	crcOf := func(p []byte) uint32 {
		r := rec
		r.Patron = string(p)
		b, err := encoder.Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		return crc32.ChecksumIEEE(b)
	}
	c0 := crcOf(base)
	type vec struct {
		delta uint32
		flips uint64 // which (char, bit) flips make it
	}
	var basis []vec
	n := 0
	for i := 1; i < len(base); i++ {
		for bit := range 5 {
			p := bytes.Clone(base)
			p[i] ^= 1 << bit
			v := vec{crcOf(p) ^ c0, 1 << n}
			n++
			for _, b := range basis { // reduce by the pivots found so far
				if v.delta&highBit(b.delta) != 0 {
					v.delta ^= b.delta
					v.flips ^= b.flips
				}
			}
			if v.delta != 0 {
				for j := range basis { // keep the basis reduced
					if basis[j].delta&highBit(v.delta) != 0 {
						basis[j].delta ^= v.delta
						basis[j].flips ^= v.flips
					}
				}
				basis = append(basis, v)
			}
		}
	}
	need, flips := want^c0, uint64(0)
	for _, b := range basis {
		if need&highBit(b.delta) != 0 {
			need ^= b.delta
			flips ^= b.flips
		}
	}
	if need != 0 {
		t.Fatal("checksum not reachable with these flips")
	}
	p := bytes.Clone(base)
	n = 0
	for i := 1; i < len(base); i++ {
		for bit := range 5 {
			if flips&(1<<n) != 0 {
				p[i] ^= 1 << bit
			}
			n++
		}
	}
	return string(p)
}

// highBit returns the highest set bit of v.
func highBit(v uint32) uint32 {
	if v == 0 {
		return 0
	}
	return 1 << (31 - bits.LeadingZeros32(v))
}
