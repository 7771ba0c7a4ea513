//go:build !linux && !windows

package config

// hasACL is false: on this system only the mode bits are read.
func hasACL(string) bool { return false }
