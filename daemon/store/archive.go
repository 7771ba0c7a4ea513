package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
