package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// fileID identifies a file independent of its name (device+inode, or volume
// serial+file index on Windows), so a moved or replaced file is recognised.
type fileID struct{ Dev, Ino uint64 }

// placement says where a line landed in a data or spool file.
type placement struct {
	id  fileID
	off int64 // first byte of the line
}

// appendFile appends line to path with one write and an fsync, creating the
// file (and fsyncing its directory) when needed. Before writing it makes
// sure the file ends with a line end, moving a torn tail aside (repair), so
// the new line can never be glued to a partial one. before, when set, runs
// after the end of the file is known and before the write (the drain intent).
// On a failed or short write the file is truncated back to where it was.
func (s *Store) appendFile(path string, line []byte, before func(size int64, id fileID) error) (placement, error) {
	f, created, err := openLocked(path, true, s.opts.FileMode)
	if err != nil {
		return placement{}, err
	}
	defer f.Close() // after Sync the data is durable; a close error adds nothing; closing unlocks
	if err := s.step("open", path); err != nil {
		return placement{}, err
	}
	id, err := fileIdentity(f)
	if err != nil {
		return placement{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		return placement{}, err
	}
	size := fi.Size()
	if size > 0 {
		var last [1]byte
		if _, err := f.ReadAt(last[:], size-1); err != nil {
			return placement{}, err
		}
		if last[0] != '\n' {
			if size, err = s.repairTail(f, path, size); err != nil {
				return placement{}, err
			}
		}
	}
	if before != nil {
		if err := before(size, id); err != nil {
			return placement{}, &takenBackError{err} // nothing written
		}
	}
	n, err := writeAppend(f, line, size)
	if err == nil && n != len(line) {
		err = io.ErrShortWrite
	}
	if err == nil {
		s.step("write", path)
		if err = syncFile(f); err == nil {
			err = s.step("sync", path)
		}
	}
	if err != nil {
		// A short write (ENOSPC in the middle of the line) or an fsync
		// failure: take the line back so nothing partial or unacknowledged
		// stays. After a failed fsync the kernel may have marked the pages
		// clean, so the line is never assumed to be on disk. If even the
		// truncate fails, the caller must look (checkPlacement).
		if s.takeBack(f, path, size) == nil {
			return placement{}, &takenBackError{err}
		}
		return placement{}, err
	}
	if created {
		if err := syncDir(filepath.Dir(path)); err != nil {
			// The line itself is fsynced; only the new name may not survive a
			// power cut. Refusing now would write the record twice later.
			s.log.Warn("store: directory fsync failed after creating file", "path", path, "err", err)
		}
	}
	return placement{id: id, off: size}, nil
}

// takeBack cuts f (path) back to size and fsyncs it: a line whose write or
// fsync failed is certainly not in the file afterwards.
func (s *Store) takeBack(f *os.File, path string, size int64) error {
	if err := s.step("truncate", path); err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		return err
	}
	return syncFile(f)
}

// openLocked is openFile plus the exclusive advisory lock (lockFile) that
// every station writing path takes around its append, torn-tail repair,
// undo or drain: two stations on one file on a share never interleave
// their lines, and neither can take the other's half-written line for a
// torn tail. Closing the file releases the lock.
func openLocked(path string, create bool, perm os.FileMode) (*os.File, bool, error) {
	f, created, err := openFile(path, create, perm)
	if err != nil {
		return nil, false, err
	}
	if err := lockFile(f, true); err != nil {
		f.Close()
		return nil, false, err
	}
	return f, created, nil
}

// repairTail moves the bytes after the last line end of f (a torn write) to
// a side file in the state directory and truncates them off. f must be
// open with openLocked: only the lock makes sure the bytes are torn and not
// another station's line being written. It never
// completes the partial line instead: a loan torn inside the patron ID looks
// like a valid loan for another patron.
func (s *Store) repairTail(f *os.File, path string, size int64) (int64, error) {
	keep, err := lastLineEnd(f, size)
	if err != nil {
		return size, fmt.Errorf("looking for the last line end: %w", err)
	}
	torn := make([]byte, size-keep)
	if _, err := f.ReadAt(torn, keep); err != nil {
		return size, fmt.Errorf("reading torn tail: %w", err)
	}
	side, err := s.writeSide(filepath.Base(path)+tornMark, torn)
	if err != nil {
		return size, fmt.Errorf("saving torn tail: %w", err)
	}
	if err := f.Truncate(keep); err != nil {
		return size, fmt.Errorf("truncating torn tail: %w", err)
	}
	if err := syncFile(f); err != nil {
		return size, fmt.Errorf("truncating torn tail: %w", err)
	}
	s.log.Warn("store: torn last line moved aside (it had no line end)",
		"file", path, "bytes", len(torn), "side_file", side)
	return keep, nil
}

// tornMark names torn-tail side files: <file>.torn-<time>.
const tornMark = ".torn-"

// lastLineEnd returns the offset just after the last '\n' in f's first size
// bytes (0 when there is none).
func lastLineEnd(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 4096)
	end := size
	for end > 0 {
		start := max(end-int64(len(buf)), 0)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// writeSide stores b durably in a new file prefix+YYYYMMDD-HHMMSS in the
// state directory and returns its path.
func (s *Store) writeSide(prefix string, b []byte) (string, error) {
	base := filepath.Join(s.opts.StateDir, prefix+s.now().Format("20060102-150405"))
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name += "-" + strconv.Itoa(i)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, s.opts.FileMode)
		if errors.Is(err, fs.ErrExist) && i < 1000 {
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = f.Write(b)
		if err == nil {
			err = syncFile(f)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = syncDir(s.opts.StateDir)
		}
		if err != nil {
			// Incomplete: what it was to hold is still where it came from
			// (the caller keeps it on an error), and a side file staff are
			// told to check must never be a partial one.
			os.Remove(name)
			return "", err
		}
		return name, nil
	}
}

// truncateFile cuts path back to size and fsyncs it.
func truncateFile(path string, size int64) error {
	f, _, err := openLocked(path, false, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	return syncFile(f)
}

// readOwn reads a whole file without following a symbolic link.
func readOwn(path string) ([]byte, error) {
	f, err := openRead(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// timeNow is the default clock.
func timeNow() time.Time { return time.Now() }
