package main

import (
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/encoder"
)

// TestHistoryWithoutPatterns: with no patterns, a barcode the station's
// own files (data file, spool, archive) know as a patron ID is a patron
// even while another patron's session is open, and one known as an item
// is an item even with no patron present. A scan the workflow has to guess
// is logged masked: it may be the next patron's card.
func TestHistoryWithoutPatterns(t *testing.T) {
	dir := t.TempDir()
	files, state := filepath.Join(dir, "files"), filepath.Join(dir, "state")
	archive := filepath.Join(files, "archive")
	for _, d := range []string{archive, state} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	pad := func(s string) string { return s + strings.Repeat(" ", 93-len(s)) }
	write := func(path, data string) {
		if err := os.WriteFile(path, []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	// Patron 2000000002 is known from an archive, patron 2000000003 from
	// the spool (a checksummed line), item 3000000009 from the data file.
	write(filepath.Join(archive, "OffCirc-20240301-120000.dat"), pad("202403011100L3000000001")+"2000000002\r\n")
	spoolRec := pad("202403021100L3000000005") + "2000000003\r\n"
	write(filepath.Join(state, "spool.dat"), fmt.Sprintf("%08x %s", crc32.ChecksumIEEE([]byte(spoolRec)), spoolRec))
	write(filepath.Join(files, "OffCirc.dat"), pad("202403021000R3000000009")+"\r\n")
	cfg := filepath.Join(dir, "offcircd.toml")
	write(cfg, "data_dir = 'files'\nstate_dir = 'state'\ntimezone = 'UTC'\n[[scanner]]\nname = \"desk\"\ntype = \"console\"\n")

	scans := "3000000009\n" + // known item, no patron yet: rejected, not taken for a patron
		"2000000001\n3000000011\n" + // unknown patron, then an item lent to them
		"2000000002\n3000000012\n" + // archive's patron: a new session, no DONE needed
		"2000000003\n3000000013\n" + // spool's patron
		"2000000099\n" // unknown: the workflow guesses an item of 2000000003, logged masked
	_, stderr, code := runOffcircd(t, dir, scans, "run", "--config", cfg, "--until-done")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var got []string
	for _, l := range strings.SplitAfter(readFile(t, filepath.Join(files, "OffCirc.dat")), "\n") {
		if l == "" {
			continue
		}
		r, err := encoder.ParseLine([]byte(l), nil)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		got = append(got, strings.TrimSpace(r.Type.String()[:1]+" "+r.Item+" "+r.Patron))
	}
	want := []string{
		"R 3000000009",
		"L 3000000005 2000000003", // the spool, drained at start
		"L 3000000011 2000000001",
		"L 3000000012 2000000002",
		"L 3000000013 2000000003",
		"L 2000000099 2000000003",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("records:\n%s\nwant:\n%s\nlog:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), stderr)
	}
	if !strings.Contains(stderr, "without a patron") {
		t.Errorf("the known item before any patron was not rejected:\n%s", stderr)
	}
	if strings.Contains(stderr, "2000000099") || !strings.Contains(stderr, "20***99") {
		t.Errorf("the guessed item is not logged masked:\n%s", stderr)
	}
	if !strings.Contains(stderr, "no patron_pattern") {
		t.Errorf("run does not warn about the missing patron_pattern:\n%s", stderr)
	}
}

// TestTrialBannerExplainsDone: `make run` (a run without a configuration)
// says how the station tells patrons from items without patterns, and
// where the patterns come from.
func TestTrialBannerExplainsDone(t *testing.T) {
	_, stderr, code := runOffcircd(t, t.TempDir(), "", "run")
	if code != 0 || !strings.Contains(stderr, "scan OFFCIRC:DONE before the next patron") || !strings.Contains(stderr, "offcircd learn") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}
