package status

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/offcircd/offcircd/devices"
)

// Metric names of the metrics file, in the Prometheus text format that
// node_exporter's textfile collector reads. Every metric has the station's
// name as its "station" label, so one collector can carry several stations.
const (
	MetricInfo          = "offcircd_info"
	MetricRunning       = "offcircd_running"
	MetricRecords       = "offcircd_records"
	MetricRecordsToday  = "offcircd_records_today"
	MetricSpool         = "offcircd_spool_records"
	MetricDegraded      = "offcircd_degraded"
	MetricNotStored     = "offcircd_not_stored"
	MetricDamagedSpool  = "offcircd_damaged_spool_files"
	MetricClockBehind   = "offcircd_clock_behind_seconds"
	MetricScanner       = "offcircd_scanner_connected"
	MetricScannerScan   = "offcircd_scanner_last_scan_timestamp_seconds"
	MetricLastScan      = "offcircd_last_scan_timestamp_seconds"
	MetricStarted       = "offcircd_start_time_seconds"
	MetricUpdated       = "offcircd_status_updated_timestamp_seconds"
	metricsStationLabel = "station"
)

// WriteMetrics writes s to path in the Prometheus text format through
// client_golang's registry and prometheus.WriteToTextfile: a temporary file
// in the same folder, renamed over path, as node_exporter requires (it
// never reads a half-written file, and ignores the temporary one, whose
// name does not end in .prom). No port is opened. The file holds no
// patron data.
func WriteMetrics(path string, s Status) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("status: metrics: %w", err)
	}
	if err := prometheus.WriteToTextfile(path, metricsOf(s)); err != nil {
		return fmt.Errorf("status: metrics: %w", err)
	}
	return nil
}

// metricsOf builds a registry holding s's figures.
func metricsOf(s Status) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	station := prometheus.Labels{metricsStationLabel: s.Station}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: station})
		reg.MustRegister(g)
		return g
	}
	vec := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: station}, labels)
		reg.MustRegister(g)
		return g
	}
	flag := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	seconds := func(g prometheus.Gauge, t time.Time) { g.Set(float64(t.Unix())) }

	vec(MetricInfo, "offcircd's version on this station (always 1).", "version").WithLabelValues(s.Version).Set(1)
	gauge(MetricRunning, "1 while the daemon runs, 0 once it stopped (a crash leaves 1 behind: watch "+MetricUpdated+" too).").
		Set(flag(s.State == Running))
	records := vec(MetricRecords, "Records this station wrote to the data file since its state_dir was created, by type.", "type")
	records.WithLabelValues("loan").Set(float64(s.RecordsTotal - s.ReturnsTotal))
	records.WithLabelValues("return").Set(float64(s.ReturnsTotal))
	today := vec(MetricRecordsToday, "Records this station wrote to the data file today (local date), by type.", "type")
	today.WithLabelValues("loan").Set(float64(s.RecordsToday - s.ReturnsToday))
	today.WithLabelValues("return").Set(float64(s.ReturnsToday))
	gauge(MetricSpool, "Records waiting in the spool for the data file to be writable again (0 when healthy).").Set(float64(s.SpoolDepth))
	gauge(MetricDegraded, "1 while the data file cannot be written (records go to the spool, the alarm sounds).").Set(flag(s.Degraded))
	gauge(MetricNotStored, "1 while nothing can be stored (neither the data file nor the spool): scans are refused.").Set(flag(s.NotStored))
	gauge(MetricDamagedSpool, "Side files in state_dir holding damaged spool lines, set aside for staff (0 when none).").Set(float64(len(s.DamagedSpool)))
	gauge(MetricClockBehind, "How far the wall clock is behind the newest time the station has seen (0 when the clock is fine; records keep the wall time).").
		Set(s.ClockBehindSeconds)
	connected := vec(MetricScanner, "1 while the scanner (or keypad) is connected, 0 while it is missing, waiting or failing.", "scanner")
	scans := vec(MetricScannerScan, "When the scanner last read a code (Unix time).", "scanner")
	var last int64
	for _, sc := range s.Scanners {
		connected.WithLabelValues(sc.Name).Set(flag(sc.State == string(devices.StateConnected)))
		if !sc.LastScan.IsZero() {
			scans.WithLabelValues(sc.Name).Set(float64(sc.LastScan.Unix()))
			last = max(last, sc.LastScan.Unix())
		}
	}
	if last > 0 {
		gauge(MetricLastScan, "When any scanner of the station last read a code (Unix time).").Set(float64(last))
	}
	seconds(gauge(MetricStarted, "When the daemon started (Unix time)."), s.StartedAt)
	seconds(gauge(MetricUpdated, "When the daemon last wrote its status (Unix time)."), s.UpdatedAt)
	return reg
}
