package config

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A path that is not a config file gets a clear error at once: /dev/zero
// was read until memory ran out, a FIFO waited for a writer forever.
func TestLoadRefusesWhatIsNotAConfigFile(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.toml")
	// Comments only: valid TOML, so only the size can refuse it.
	os.WriteFile(big, bytes.Repeat([]byte("# a comment line of the right kind\n"), MaxFileSize/35+1), 0o600)
	justRight := filepath.Join(dir, "ok.toml")
	body := append(bytes.Clone(DefaultTOML), bytes.Repeat([]byte("#"), MaxFileSize-len(DefaultTOML)-1)...)
	os.WriteFile(justRight, append(body, '\n'), 0o600)
	tests := []struct {
		name, path, msg string // msg "" = loads
		unixOnly        bool
	}{
		{"a folder", dir, "cannot read: not a regular file (a folder)", false},
		{"a character device", "/dev/zero", "cannot read: not a regular file (a character device): give the path of the configuration file", true},
		{"a named pipe", filepath.Join(dir, "fifo"), "cannot read: not a regular file (a named pipe)", true},
		{"larger than 1 MiB", big, "cannot read: larger than 1024 KiB, which no configuration is", false},
		{"exactly 1 MiB", justRight, "", false},
		{"missing", filepath.Join(dir, "missing.toml"), "cannot read: ", false},
	}
	if runtime.GOOS != "windows" {
		if err := mkfifo(filepath.Join(dir, "fifo")); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.unixOnly && runtime.GOOS == "windows" {
				t.Skip("no such file on Windows")
			}
			for name, load := range map[string]func(string) (*Config, error){"Load": Load, "LoadForReading": LoadForReading} {
				_, err := load(tt.path)
				if tt.msg == "" {
					if err != nil {
						t.Errorf("%s: %v", name, err)
					}
					continue
				}
				if err == nil || !strings.HasPrefix(err.Error(), tt.path+": "+tt.msg) {
					t.Errorf("%s: error %v\nwant %s: %s", name, err, tt.path, tt.msg)
				}
			}
		})
	}
}
