package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/offcircd/offcircd/internal/privdir"
)

// ArchiveDir is the folder inside the data folder that receives archived files.
const ArchiveDir = "archive"

// SpoolPath is the spool file in stateDir: records waiting for the data
// file (the station's history reads it; its lines start with a checksum).
func SpoolPath(stateDir string) string { return filepath.Join(stateDir, spoolName) }

// Archive moves dataDir/fileName to
// dataDir/archive/<stem>-YYYYMMDD-HHMMSS-NNN<ext> (OffCirc-20250102-150405-001.dat)
// with one rename, and returns the new path. NNN numbers the archives of one
// second from 001, so every name has the same shape and differs from the
// others only in digits: the names sort in the order the files were
// archived, in byte order and in any locale's order (ls, a shell glob,
// Explorer), which is the order their lines must reach Alma.
//
// It is safe while the daemon runs: the daemon opens the data file per
// record, so a record is either wholly in the archived file or starts a new
// one. A missing or empty data file is ErrNothingToArchive.
func Archive(dataDir, fileName string, now time.Time) (string, error) {
	if fileName == "" {
		fileName = "OffCirc.dat"
	}
	src := filepath.Join(dataDir, fileName)
	fi, err := os.Lstat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("store: archive: %s: %w", src, ErrNothingToArchive)
	}
	if err != nil {
		return "", wrapClass("archive", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return "", fmt.Errorf("store: archive: %s %w", src, ErrSymlink)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("store: archive: %s is not a regular file", src)
	}
	// The station's lock: a record being appended right now is finished
	// before the rename, so the archived file never ends in half a line.
	f, _, err := openLocked(src, false, 0)
	if err != nil {
		return "", wrapClass("archive", err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return "", wrapClass("archive", err)
	}
	if fi.Size() == 0 {
		return "", fmt.Errorf("store: archive: %s is empty: %w", src, ErrNothingToArchive)
	}
	dir := filepath.Join(dataDir, ArchiveDir)
	if err := privdir.MkdirAll(dir); err != nil {
		return "", wrapClass("archive", err)
	}
	ext := filepath.Ext(fileName)
	base := strings.TrimSuffix(fileName, ext) + "-" + now.Format("20060102-150405") + "-"
	// The next number after the highest of this second (not the first
	// free one: an archive deleted meanwhile must not give a later file a
	// name that sorts before an earlier one).
	n := 1
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", wrapClass("archive", err)
	}
	for _, e := range entries {
		if seq, ok := archiveSeq(e.Name(), base, ext); ok && seq >= n {
			n = seq + 1
		}
	}
	if n > maxArchiveSeq {
		return "", fmt.Errorf("store: archive: too many archives named %s*%s", filepath.Join(dir, base), ext)
	}
	dst := filepath.Join(dir, fmt.Sprintf("%s%03d%s", base, n, ext))
	// Never overwrite an earlier archive.
	if _, err := os.Lstat(dst); err == nil {
		return "", fmt.Errorf("store: archive: %s already exists", dst)
	}
	if err := os.Rename(src, dst); err != nil {
		return "", wrapClass("archive", err)
	}
	// Make both directory entries durable: a crash must not bring the
	// old name back (and with it records uploaded twice).
	if err := syncDir(dir); err != nil {
		return dst, wrapClass("archive: syncing archive folder", err)
	}
	if err := syncDir(dataDir); err != nil {
		return dst, wrapClass("archive: syncing data folder", err)
	}
	return dst, nil
}

// maxArchiveSeq is the most archives of one second: NNN has three digits.
const maxArchiveSeq = 999

// archiveSeq returns NNN of an archive name base+NNN+ext.
func archiveSeq(name, base, ext string) (int, bool) {
	digits, ok := strings.CutPrefix(name, base)
	if !ok {
		return 0, false
	}
	if digits, ok = strings.CutSuffix(digits, ext); !ok || len(digits) != 3 || !allDigits(digits) {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

// SortArchives puts the archives of each station among paths in the order
// they were made, in place and whatever order they came in (a shell glob in
// a locale that sorts by other rules, a list typed by hand): the places
// that one station's archives (one folder, one stem and extension) hold in
// paths are given to those archives sorted by the time and number in their
// names. Other paths keep their places. Names of earlier versions count
// too: <stem>-YYYYMMDD-HHMMSS<ext> was the first archive of its second,
// -2, -3, … the next ones.
//
// A merge of one station's archives must take them in this order: it
// breaks ties of one minute by input order, and a return taken before the
// loan it follows leaves the item on loan in Alma.
func SortArchives(paths []string) {
	type entry struct {
		pos   int
		order string
	}
	groups := map[string][]entry{}
	var keys []string
	for i, p := range paths {
		station, order, ok := archiveKey(filepath.Base(p))
		if !ok {
			continue
		}
		station = filepath.Dir(p) + string(filepath.Separator) + station
		if _, seen := groups[station]; !seen {
			keys = append(keys, station)
		}
		groups[station] = append(groups[station], entry{i, order})
	}
	for _, k := range keys {
		g := groups[k]
		sorted := make([]entry, len(g))
		copy(sorted, g)
		slices.SortStableFunc(sorted, func(a, b entry) int { return strings.Compare(a.order, b.order) })
		moved := make([]string, len(g))
		for i, e := range sorted {
			moved[i] = paths[e.pos]
		}
		for i, e := range g {
			paths[e.pos] = moved[i]
		}
	}
}

// archiveKey splits an archive's base name into its station's part (stem
// and extension) and an order key YYYYMMDD-HHMMSS-NNN that sorts as the
// archives were made; ok is false for a name that is not an archive's.
func archiveKey(name string) (station, order string, ok bool) {
	ext := filepath.Ext(name)
	rest := strings.TrimSuffix(name, ext)
	seq := "001"
	// -NNN (this version) or -N from 2 up (earlier versions), then the time.
	if i := strings.LastIndexByte(rest, '-'); i >= 0 && len(rest)-i-1 <= 3 && allDigits(rest[i+1:]) {
		if n := rest[i+1:]; len(n) == 3 || n != "0" && n != "1" && n[0] != '0' {
			seq = strings.Repeat("0", 3-len(n)) + n
			rest = rest[:i]
		}
	}
	const stamp = len("-20060102-150405")
	if len(rest) <= stamp {
		return "", "", false
	}
	at := rest[len(rest)-stamp:]
	if at[0] != '-' || at[9] != '-' || !allDigits(at[1:9]) || !allDigits(at[10:]) {
		return "", "", false
	}
	return rest[:len(rest)-stamp] + "\x00" + ext, at[1:] + "-" + seq, true
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
