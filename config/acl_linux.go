package config

import "golang.org/x/sys/unix"

// hasACL tells whether path has an extended POSIX access ACL, whose named
// entries the mode bits do not show.
func hasACL(path string) bool {
	n, err := unix.Lgetxattr(path, "system.posix_acl_access", nil)
	return err == nil && n > 0
}
