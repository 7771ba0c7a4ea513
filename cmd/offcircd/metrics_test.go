package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestRunWritesMetrics runs the built binary with metrics_dir set, scans a
// loan and a return through its console scanner, and reads the metrics
// file it leaves with the Prometheus text parser (and promtool, when
// installed): the figures of the run, the scanner, and "not running".
func TestRunWritesMetrics(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "offcircd.toml")
	body := "station = \"desk-9\"\ndata_dir = \"files\"\nstate_dir = \"state\"\nmetrics_dir = \"metrics\"\n\n[[scanner]]\nname = \"desk\"\ntype = \"console\"\n"
	if err := os.WriteFile(cfg, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runOffcircd(t, dir, "P1234567\n39000001\nOFFCIRC:RETURN\n39000002\n", "run", "--config", cfg, "--until-done")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	prom := filepath.Join(dir, "metrics", "offcircd.prom")
	b, err := os.ReadFile(prom)
	if err != nil {
		t.Fatalf("no metrics file: %v\n%s", err, stderr)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("the Prometheus text parser refuses the file: %v\n%s", err, b)
	}
	value := func(name string, labels ...string) (float64, bool) {
		for _, m := range fams[name].GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetName()+"="+l.GetValue())
			}
			if strings.Join(got, ",") == strings.Join(labels, ",") {
				return m.GetGauge().GetValue(), true
			}
		}
		return 0, false
	}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"offcircd_records", []string{"station=desk-9", "type=loan"}, 1},
		{"offcircd_records", []string{"station=desk-9", "type=return"}, 1},
		{"offcircd_records_today", []string{"station=desk-9", "type=loan"}, 1},
		{"offcircd_spool_records", []string{"station=desk-9"}, 0},
		{"offcircd_degraded", []string{"station=desk-9"}, 0},
		{"offcircd_running", []string{"station=desk-9"}, 0},                           // the run ended
		{"offcircd_scanner_connected", []string{"scanner=desk", "station=desk-9"}, 0}, // stopped with it
	} {
		if got, ok := value(tc.name, tc.labels...); !ok || got != tc.want {
			t.Errorf("%s{%s} = %v (present %v), want %v\n%s", tc.name, strings.Join(tc.labels, ","), got, ok, tc.want, b)
		}
	}
	if _, ok := value("offcircd_scanner_last_scan_timestamp_seconds", "scanner=desk", "station=desk-9"); !ok {
		t.Errorf("no last scan time for the scanner:\n%s", b)
	}
	if _, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command("promtool", "check", "metrics")
		cmd.Stdin = strings.NewReader(string(b))
		if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	} else {
		t.Log("promtool not installed: checked with the text parser only")
	}
}
