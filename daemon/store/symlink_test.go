package store

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The station's own files are never followed through a symbolic link: a
// spool.dat pointing at another file must not get that file truncated or
// filled, and a symlinked data file is refused (records spool) rather than
// repaired or appended to.
func TestSymlinksRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("creating symbolic links needs a privilege on Windows")
	}
	victimText := "someone else's file\nwith a torn tail"
	tests := []struct {
		name    string
		link    func(e *env) string // returns the link path
		openErr bool
	}{
		{"spool", func(e *env) string { return filepath.Join(e.state, spoolName) }, true},
		{"drain log", func(e *env) string { return filepath.Join(e.state, drainLogName) }, true},
		{"lock file", func(e *env) string { return filepath.Join(e.state, LockFileName) }, false},
		{"data file", func(e *env) string { return e.path() }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			os.MkdirAll(e.state, 0o750)
			os.MkdirAll(e.data, 0o750)
			victim := filepath.Join(t.TempDir(), "victim")
			os.WriteFile(victim, []byte(victimText), 0o640)
			link := tt.link(e)
			if err := os.Symlink(victim, link); err != nil {
				t.Fatal(err)
			}
			if tt.name == "lock file" {
				_, err := LockState(e.state, Owner{PID: 1})
				if !errors.Is(err, ErrSymlink) {
					t.Errorf("LockState: %v, want ErrSymlink", err)
				}
			} else {
				s, err := Open(e.opts())
				switch {
				case tt.openErr && (err == nil || !errors.Is(err, ErrSymlink) || !strings.Contains(err.Error(), link)):
					t.Errorf("Open: %v, want ErrSymlink naming %s", err, link)
				case !tt.openErr && err != nil:
					t.Fatalf("Open: %v", err)
				case !tt.openErr:
					mustAppend(t, s, 1, true) // the data file is refused: spooled
					if st := s.Status(); !strings.Contains(st.LastError, "symbolic link") {
						t.Errorf("status %+v does not say why", st)
					}
				}
			}
			if b, _ := os.ReadFile(victim); string(b) != victimText {
				t.Errorf("link target changed: %q", b)
			}
		})
	}
}
