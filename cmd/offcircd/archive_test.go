package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runArchive runs `offcircd archive` with args and returns output and exit code.
func runArchive(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	out, errb, code := runOffcircd(t, dir, "", append([]string{"archive"}, args...)...)
	return out + errb, code
}

func TestArchiveCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "files")
	cfg := filepath.Join(dir, "offcircd.toml")
	toml := fmt.Sprintf("data_dir = %q\nstate_dir = %q\ntimezone = \"UTC\"\n", data, filepath.Join(dir, "state"))
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	pad := func(s string) string { return s + strings.Repeat(" ", 80-len(s)) }
	good := "202501021504L" + pad("39001001") + "P123456\r\n" + "202501021505R" + pad("39001002") + "\r\n"
	tests := []struct {
		name     string
		content  *string // nil: no data file
		args     []string
		wantCode int
		want     []string // regexps the output must match
	}{
		{"nothing to archive", nil, []string{"--config", cfg}, 0, []string{`nothing to archive: .*OffCirc\.dat is missing or empty`}},
		{"archives and checks", &good, []string{"--config", cfg}, 0, []string{
			`moved .*files/OffCirc\.dat -> .*files/archive/OffCirc-\d{8}-\d{6}-\d{3}\.dat`,
			`OffCirc-\d{8}-\d{6}-\d{3}\.dat: 2 lines, 1 loans, 1 returns, 0 errors, 0 warnings`,
		}},
		{"archived file with a torn line", archiveStrPtr(good + "2025"), []string{"--config", cfg}, 1, []string{
			`moved `, `:3: error: `, `1 errors`, `fix them`,
		}},
		{"extra argument", nil, []string{"--config", cfg, "extra"}, 2, []string{`unknown command|accepts 0 arg`}},
		{"missing config", nil, []string{"--config", filepath.Join(dir, "nope.toml")}, 1, []string{`nope\.toml`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.RemoveAll(data)
			if tt.content != nil {
				os.MkdirAll(data, 0o750)
				if err := os.WriteFile(filepath.Join(data, "OffCirc.dat"), []byte(*tt.content), 0o640); err != nil {
					t.Fatal(err)
				}
			}
			out, code := runArchive(t, dir, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tt.wantCode, out)
			}
			for _, re := range tt.want {
				if !regexp.MustCompile(re).MatchString(out) {
					t.Errorf("output does not match %q:\n%s", re, out)
				}
			}
			if tt.content != nil && tt.wantCode != 2 {
				if _, err := os.Stat(filepath.Join(data, "OffCirc.dat")); !os.IsNotExist(err) {
					t.Errorf("data file still in place")
				}
				files, _ := filepath.Glob(filepath.Join(data, "archive", "OffCirc-*.dat"))
				if len(files) != 1 {
					t.Fatalf("archives %v", files)
				}
				if b, _ := os.ReadFile(files[0]); string(b) != *tt.content {
					t.Errorf("archived content %q", b)
				}
			}
		})
	}
}

func archiveStrPtr(s string) *string { return &s }
