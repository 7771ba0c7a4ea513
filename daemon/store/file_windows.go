//go:build windows

package store

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// openFile opens path with share modes that let staff (and Alma's upload
// tool, Explorer, antivirus) read, rename and delete the file while we hold
// it: FILE_SHARE_READ|WRITE|DELETE. os.OpenFile does not grant DELETE
// sharing, hence CreateFile. FILE_FLAG_OPEN_REPARSE_POINT opens a symbolic
// link or junction itself instead of its target, which is then refused
// (ErrSymlink), the Windows form of O_NOFOLLOW.
func openFile(path string, create bool, _ os.FileMode) (*os.File, bool, error) {
	const access = windows.GENERIC_READ | windows.GENERIC_WRITE
	for {
		f, err := createFile(path, access, windows.OPEN_EXISTING)
		if err == nil {
			return f, false, nil
		}
		if !create || !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
			return nil, false, err
		}
		f, err = createFile(path, access, windows.CREATE_NEW)
		if errors.Is(err, windows.ERROR_FILE_EXISTS) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		return f, true, nil
	}
}

// openRead opens path read-only without following a reparse point.
func openRead(path string) (*os.File, error) {
	return createFile(path, windows.GENERIC_READ, windows.OPEN_EXISTING)
}

// createFile is CreateFile with the sharing above and reparse points refused.
func createFile(path string, access, disposition uint32) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	const share = windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE
	h, err := windows.CreateFile(p, access, share, nil, disposition,
		windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &info); err != nil {
		windows.CloseHandle(h)
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if info.FileAttributes&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0 {
		windows.CloseHandle(h)
		return nil, &os.PathError{Op: "open", Path: path, Err: ErrSymlink}
	}
	return os.NewFile(uintptr(h), path), nil
}

// writeAppend writes b at offset size (the end observed by the caller) with
// one WriteFile call; Windows has no O_APPEND on a handle opened for truncation.
func writeAppend(f *os.File, b []byte, size int64) (int, error) {
	return f.WriteAt(b, size)
}

// syncDir is a no-op: Windows cannot fsync a directory and NTFS journals
// the directory entry itself.
func syncDir(string) error { return nil }

// fileIdentity returns the volume serial number and file index, which is what
// os.SameFile compares on Windows.
func fileIdentity(f *os.File) (fileID, error) {
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(windows.Handle(f.Fd()), &info); err != nil {
		return fileID{}, err
	}
	return fileID{Dev: uint64(info.VolumeSerialNumber), Ino: uint64(info.FileIndexHigh)<<32 | uint64(info.FileIndexLow)}, nil
}

// classifyPlatform maps Windows error codes to failure classes.
func classifyPlatform(err error) error {
	switch {
	case errors.Is(err, windows.ERROR_DISK_FULL), errors.Is(err, windows.ERROR_HANDLE_DISK_FULL):
		return ErrDiskFull
	case errors.Is(err, windows.ERROR_WRITE_PROTECT):
		return ErrReadOnly
	case errors.Is(err, windows.ERROR_SHARING_VIOLATION), errors.Is(err, windows.ERROR_LOCK_VIOLATION):
		return ErrLocked
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		return ErrPermission
	case errors.Is(err, windows.ERROR_PATH_NOT_FOUND), errors.Is(err, windows.ERROR_FILE_NOT_FOUND):
		return ErrFolderMissing
	}
	return nil
}

// readableByOthers is false on Windows: Go reports the mode 0666 for every
// file that is not read-only, so the Unix test would warn on every start.
// Who may read the file is its folder's ACL; the folders the station
// creates get a private one (internal/privdir).
func readableByOthers(os.FileInfo) bool { return false }
