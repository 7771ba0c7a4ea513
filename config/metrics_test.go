package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMetricsDir(t *testing.T) {
	base := t.TempDir()
	os.WriteFile(filepath.Join(base, "a-file"), nil, 0o640)
	tests := []struct {
		name, toml string
		want       string // "" = accepted
		path       string // MetricsPath when accepted
	}{
		{"off by default", "data_dir = 'files'\nstate_dir = 'state'\n", "", ""},
		{"relative to the config", "data_dir = 'files'\nstate_dir = 'state'\nmetrics_dir = 'metrics'\n", "", filepath.Join(base, "metrics", "offcircd.prom")},
		{"the data file", "data_dir = 'files'\nstate_dir = 'state'\nfile_name = 'offcircd.prom'\nmetrics_dir = 'files'\n", "t.toml:4: metrics_dir", ""},
		{"not a folder", "data_dir = 'files'\nstate_dir = 'state'\nmetrics_dir = 'a-file'\n", "t.toml:3: metrics_dir", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(filepath.Join(base, "t.toml"), []byte(tt.toml))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("accepted, want an error with %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %v, want %q", err, tt.want)
			case tt.want == "" && c.MetricsPath() != tt.path:
				t.Fatalf("MetricsPath %q, want %q", c.MetricsPath(), tt.path)
			}
		})
	}
}
