package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWrite(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		write   func(io.Writer) error
		wantErr error
		want    string // content of the file afterwards
	}{
		{"replaces", func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err }, nil, "new\n"},
		{"failed write keeps the old file", func(w io.Writer) error { io.WriteString(w, "half"); return boom }, boom, "old\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.dat")
			if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := Write(path, 0o640, tt.write); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if b, _ := os.ReadFile(path); string(b) != tt.want {
				t.Errorf("content %q, want %q", b, tt.want)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".out.dat.tmp-*")); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
			if fi, err := os.Stat(path); err == nil && tt.wantErr == nil && runtime.GOOS != "windows" && fi.Mode().Perm() != 0o640 {
				t.Errorf("mode %v, want 0640", fi.Mode().Perm())
			}
		})
	}
}
