//go:build !linux

package clock

// Synced is unknown where the kernel's time-sync state cannot be read.
func Synced() (synced, known bool) { return false, false }
