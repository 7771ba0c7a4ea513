//go:build !windows

package store

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openFile opens path for reading and appending. With create it creates the
// file (exclusively, so created is exact) when it does not exist; the mode is
// set explicitly afterwards because the umask must not widen or narrow it.
// A symbolic link as the last path element is refused (O_NOFOLLOW, ELOOP
// classified as ErrSymlink): offcircd truncates torn tails and undone lines,
// and must never do that to a file it did not create.
func openFile(path string, create bool, perm os.FileMode) (f *os.File, created bool, err error) {
	for {
		f, err = os.OpenFile(path, os.O_RDWR|os.O_APPEND|unix.O_NOFOLLOW, 0)
		if err == nil || !create || !errors.Is(err, fs.ErrNotExist) {
			return f, false, err
		}
		f, err = os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, perm)
		if errors.Is(err, fs.ErrExist) {
			continue // lost a race with another creator: open theirs
		}
		if err != nil {
			return nil, false, err
		}
		_ = f.Chmod(perm) // best effort: some file systems (vfat, smb) have no modes
		return f, true, nil
	}
}

// openRead opens path read-only without following a symbolic link.
func openRead(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW, 0)
}

// writeAppend writes b at the end of f with one write call. O_APPEND makes
// the kernel place it at the real end even if size is stale.
func writeAppend(f *os.File, b []byte, _ int64) (int, error) {
	return f.Write(b)
}

// syncDir makes a directory entry (a just created file) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = syncFile(d)
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		err = nil // file systems that cannot sync directories
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// fileIdentity returns the device and inode of an open file: what os.SameFile
// compares, in a form that can be stored in the drain log.
func fileIdentity(f *os.File) (fileID, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileID{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, errors.New("no inode information")
	}
	return fileID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, nil //nolint:unconvert // Dev is int32 on some platforms
}

// classifyPlatform maps errno values to failure classes.
func classifyPlatform(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return ErrDiskFull
	case errors.Is(err, syscall.EROFS):
		return ErrReadOnly
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return ErrPermission
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENOTDIR):
		return ErrFolderMissing
	case errors.Is(err, syscall.ETXTBSY):
		return ErrLocked
	case errors.Is(err, syscall.ELOOP):
		return ErrSymlink
	}
	return nil
}

// readableByOthers is whether every user of the machine may read the file
// behind fi: its mode gives "other" any right.
func readableByOthers(fi fs.FileInfo) bool { return fi.Mode().Perm()&0o007 != 0 }
