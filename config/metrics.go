package config

import "path/filepath"

// MetricsFileName is the metrics file's name in metrics_dir; node_exporter's
// textfile collector reads every *.prom file of its folder.
const MetricsFileName = "offcircd.prom"

// MetricsPath is the metrics file, or "" when metrics are off.
func (c *Config) MetricsPath() string {
	if c.MetricsDir == "" {
		return ""
	}
	return filepath.Join(c.MetricsDir, MetricsFileName)
}

// metrics checks metrics_dir: a folder offcircd can write, and never one
// where the metrics file would be the data file.
func (v *validator) metrics() {
	c := v.c
	if c.MetricsDir == "" {
		return
	}
	v.dir("metrics_dir", c.MetricsDir)
	if c.DataDir != "" && sameFile(c.MetricsPath(), filepath.Join(c.DataDir, c.FileName)) {
		v.errorf("metrics_dir", "metrics_dir %s: its %s would be the data file; use another folder", c.MetricsDir, MetricsFileName)
	}
}
