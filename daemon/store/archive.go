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

// Archive moves dataDir/fileName to dataDir/archive/<stem>-YYYYMMDD-HHMMSS<ext>
// (OffCirc-20250102-150405.dat) with one rename, and returns the new path.
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
	base := filepath.Join(dir, strings.TrimSuffix(fileName, ext)+"-"+now.Format("20060102-150405"))
	for i := 1; ; i++ {
		dst := base + ext
		if i > 1 {
			dst = base + "-" + strconv.Itoa(i) + ext
		}
		// Never overwrite an earlier archive (two archives in one second).
		if _, err := os.Lstat(dst); err == nil {
			if i >= 1000 {
				return "", fmt.Errorf("store: archive: too many archives named %s*", base)
			}
			continue
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
}
