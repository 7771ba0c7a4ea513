package config

import (
	"errors"
	"testing"
)

func mkfifo(string) error { return errors.New("no named pipes in the file system on Windows") }

// groupHasOthers: no mode bits on Windows (TestCheckPermissions skips).
func groupHasOthers(*testing.T, string) bool { return false }
