//go:build windows

package status

import "golang.org/x/sys/windows"

// stillActive is the exit code GetExitCodeProcess reports for a live process.
const stillActive = 259

// ProcessAlive reports whether a process with pid exists, so `offcircd
// status` can tell a running daemon from a status file a crash left behind.
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		// Access denied still means the process exists (another account's service).
		return err == windows.ERROR_ACCESS_DENIED
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return false
	}
	return code == stillActive
}
