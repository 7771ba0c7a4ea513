package store

import (
	"bytes"
	"testing"
)

// FuzzParseDrainLog: the drain-log parser never panics, and an intent it
// returns round-trips through marshal.
func FuzzParseDrainLog(f *testing.F) {
	f.Add([]byte("0 95 1a2b3c4d 0 2049 131\n"))
	f.Add([]byte("0 95 1a2b3c4d 0 2049 131\n95 103 ffffffff 95 2049 131\n396 9"))
	f.Add([]byte("\n\n  \nx y z\n"))
	f.Add([]byte("-1 95 0 0 0 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, ok := parseDrainLog(b)
		if !ok {
			return
		}
		if in.Len <= 0 || in.SpoolOff < 0 || in.DataSize < 0 {
			t.Fatalf("out of range intent %+v", in)
		}
		again, ok := parseDrainLog(in.marshal())
		if !ok || again != in {
			t.Fatalf("round trip %+v -> %+v", in, again)
		}
	})
}

// FuzzSplitSpool: whatever the spool holds, only canonical whole lines are
// ever offered to the data file, at their true offsets.
func FuzzSplitSpool(f *testing.F) {
	f.Add([]byte(linesOf(f, 0, 3)))
	f.Add([]byte(linesOf(f, 0, 2) + "20250304"))
	f.Add([]byte("202503041030R" + "X\r\n"))
	f.Add([]byte("202503041030LA" + string(bytes.Repeat([]byte(" "), 79)) + "\r\n"))
	f.Add(spoolLine([]byte(line(f, testRec(1)))))
	f.Add(append(spoolLine([]byte(line(f, testRec(1)))), "00000000 x\r\n"...))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range splitSpool(b, func(int64, []byte, error) {}) {
			if r.end > int64(len(b)) || !bytes.HasSuffix(b[r.off:r.end], r.line) {
				t.Fatalf("offset %d..%d does not hold the line", r.off, r.end)
			}
			if err := checkLine(r.line); err != nil {
				t.Fatalf("non-canonical line passed: %q", r.line)
			}
			if bytes.Count(r.line, []byte("\n")) != 1 || bytes.Count(r.line, []byte("\r")) != 1 {
				t.Fatalf("line with embedded line ends: %q", r.line)
			}
		}
	})
}
