package status

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/offcircd/offcircd/daemon/store"
)

// parseMetrics reads a metrics file with the Prometheus text parser and
// returns every sample as "name{label=value,...}" → value.
func parseMetrics(t *testing.T, path string) map[string]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("the Prometheus text parser refuses %s: %v", path, err)
	}
	out := map[string]float64{}
	for name, fam := range fams {
		if fam.GetType() != dto.MetricType_GAUGE {
			t.Errorf("%s is a %v, want a gauge", name, fam.GetType())
		}
		if fam.GetHelp() == "" {
			t.Errorf("%s has no help text", name)
		}
		for _, m := range fam.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			out[name+"{"+strings.Join(labels, ",")+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}

// promtoolCheck runs `promtool check metrics` (Prometheus' own linter) on
// the file when promtool is installed (Debian: prometheus; .ci/run installs it).
func promtoolCheck(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Logf("promtool not installed; the text parser check stands alone: %v", err)
		return
	}
	b, _ := os.ReadFile(path)
	cmd := exec.Command("promtool", "check", "metrics")
	cmd.Stdin = strings.NewReader(string(b))
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestWriteMetrics(t *testing.T) {
	at := time.Date(2026, 5, 6, 9, 30, 0, 0, time.UTC)
	s := Status{
		Version: "1.2.3", Station: "desk-1", State: Running, StartedAt: at, UpdatedAt: at.Add(time.Hour),
		Day: "2026-05-06", RecordsToday: 12, ReturnsToday: 5, RecordsTotal: 345, ReturnsTotal: 100,
		SpoolDepth: 3, Degraded: true, NotStored: true, DamagedSpool: []string{"spool.dat.damaged-1"},
		ClockBehindSeconds: 7200,
		Scanners: []Scanner{
			{Name: "desk", State: "connected", LastScan: at.Add(time.Minute)},
			{Name: "drop", State: "waiting", LastError: "serial: no port"},
			{Name: "kiosk", State: "connected", LastScan: at.Add(2 * time.Minute)},
		},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "offcircd.prom")
	if err := WriteMetrics(path, s); err != nil {
		t.Fatal(err)
	}
	got := parseMetrics(t, path)
	st := "station=desk-1"
	want := map[string]float64{
		"offcircd_info{" + st + ",version=1.2.3}":                                1,
		"offcircd_running{" + st + "}":                                           1,
		"offcircd_records{" + st + ",type=loan}":                                 245,
		"offcircd_records{" + st + ",type=return}":                               100,
		"offcircd_records_today{" + st + ",type=loan}":                           7,
		"offcircd_records_today{" + st + ",type=return}":                         5,
		"offcircd_spool_records{" + st + "}":                                     3,
		"offcircd_degraded{" + st + "}":                                          1,
		"offcircd_not_stored{" + st + "}":                                        1,
		"offcircd_damaged_spool_files{" + st + "}":                               1,
		"offcircd_clock_behind_seconds{" + st + "}":                              7200,
		"offcircd_scanner_connected{scanner=desk," + st + "}":                    1,
		"offcircd_scanner_connected{scanner=drop," + st + "}":                    0,
		"offcircd_scanner_connected{scanner=kiosk," + st + "}":                   1,
		"offcircd_scanner_last_scan_timestamp_seconds{scanner=desk," + st + "}":  float64(at.Add(time.Minute).Unix()),
		"offcircd_scanner_last_scan_timestamp_seconds{scanner=kiosk," + st + "}": float64(at.Add(2 * time.Minute).Unix()),
		"offcircd_last_scan_timestamp_seconds{" + st + "}":                       float64(at.Add(2 * time.Minute).Unix()),
		"offcircd_start_time_seconds{" + st + "}":                                float64(at.Unix()),
		"offcircd_status_updated_timestamp_seconds{" + st + "}":                  float64(at.Add(time.Hour).Unix()),
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected sample %s", k)
		}
	}
	promtoolCheck(t, path)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644 (node_exporter runs as its own user)", fi.Mode(), err)
	}
	// Written by rename, never in place: node_exporter may read it at any
	// moment, and a file rewritten in place can be seen half-written. A
	// rename gives the path a new file.
	if err := WriteMetrics(path, s); err != nil {
		t.Fatal(err)
	}
	if fi2, err := os.Stat(path); err != nil || os.SameFile(fi, fi2) {
		t.Errorf("the second write reused the file (%v): not written by temp file + rename", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("folder holds %d files, want only offcircd.prom (no temporary left)", len(ents))
	}
}

// TestWriterWritesMetrics: the metrics file follows the status file: made
// at start, updated after a store snapshot, and says "not running" at stop.
func TestWriterWritesMetrics(t *testing.T) {
	dir := t.TempDir()
	prom := filepath.Join(dir, "metrics", "offcircd.prom")
	w := NewWriter(WriterOptions{Path: filepath.Join(dir, FileName), Station: "s1", Version: "v", Scanners: []string{"desk"},
		Interval: time.Millisecond, MetricsFile: prom})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	waitFor := func(what string, cond func(map[string]float64) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := os.Stat(prom); err == nil {
				if m := parseMetrics(t, prom); cond(m) {
					return
				}
			}
			if time.Now().After(deadline) {
				b, _ := os.ReadFile(prom)
				t.Fatalf("metrics never showed %s:\n%s", what, b)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("a running station", func(m map[string]float64) bool { return m["offcircd_running{station=s1}"] == 1 })
	w.Store(store.Status{Appended: 3, Returns: 1, SpoolDepth: 2, Degraded: true})
	waitFor("the store's figures", func(m map[string]float64) bool {
		return m["offcircd_records{station=s1,type=loan}"] == 2 && m["offcircd_records{station=s1,type=return}"] == 1 &&
			m["offcircd_spool_records{station=s1}"] == 2 && m["offcircd_degraded{station=s1}"] == 1
	})
	// Counts follow the store's counters, not their sum over snapshots.
	w.Store(store.Status{Appended: 5, Returns: 2})
	waitFor("the next snapshot's figures", func(m map[string]float64) bool {
		return m["offcircd_records{station=s1,type=loan}"] == 3 && m["offcircd_records{station=s1,type=return}"] == 2 &&
			m["offcircd_records_today{station=s1,type=return}"] == 2 && m["offcircd_degraded{station=s1}"] == 0
	})
	cancel()
	<-done
	if m := parseMetrics(t, prom); m["offcircd_running{station=s1}"] != 0 {
		t.Errorf("after the stop: running = %v", m["offcircd_running{station=s1}"])
	}
	promtoolCheck(t, prom)
}

// TestREADMEMetricsAndRules: every offcircd_ metric the README names is one
// the file has, and its example alert rules pass `promtool check rules`.
func TestREADMEMetricsAndRules(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prom := filepath.Join(dir, "offcircd.prom")
	now := time.Now()
	if err := WriteMetrics(prom, Status{Station: "s", State: Running, Scanners: []Scanner{{Name: "d", LastScan: now}}, StartedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for name := range parseMetrics(t, prom) {
		have[name[:strings.IndexByte(name, '{')]] = true
	}
	section := regexp.MustCompile(`(?s)### Fleet status.*?(\n##|\z)`).Find(readme)
	if section == nil {
		t.Fatal("README has no Fleet status section")
	}
	for _, name := range regexp.MustCompile(`\boffcircd_[a-z_]+\b`).FindAllString(string(section), -1) {
		if !have[name] {
			t.Errorf("README names %s, which the metrics file does not have", name)
		}
	}
	rules := regexp.MustCompile("(?s)```yaml\n(groups:.*?)```").FindSubmatch(readme)
	if rules == nil {
		t.Fatal("README has no alert rules")
	}
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Skipf("promtool not installed: %v", err)
	}
	path := filepath.Join(dir, "rules.yml")
	os.WriteFile(path, rules[1], 0o600)
	if out, err := exec.Command("promtool", "check", "rules", path).CombinedOutput(); err != nil || !strings.Contains(string(out), "SUCCESS: 2 rules") {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}
