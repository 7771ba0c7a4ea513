//go:build !windows

package privdir

// restrict does nothing on Unix: MkdirAll created the folders 0750, and the
// umask can only take bits away.
func restrict(string) error { return nil }
