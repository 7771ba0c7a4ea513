//go:build windows

package config

// CheckPermissions is a no-op on Windows: the install folder's ACLs are the
// installer's business and cannot be judged from mode bits.
func CheckPermissions(path string) error { return nil }
