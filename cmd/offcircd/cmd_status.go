package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kardianos/service"
	"github.com/spf13/cobra"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/clock"
	offsvc "github.com/offcircd/offcircd/daemon/service"
	"github.com/offcircd/offcircd/daemon/station"
	"github.com/offcircd/offcircd/daemon/status"
)

// exitNotRunning is `offcircd status`'s code when the service is not
// running (3, "program is not running", as LSB init scripts and systemctl
// status use it), so monitoring scripts can test it.
const exitNotRunning = 3

// statusReport is `offcircd status --json`: the service manager's view plus
// the daemon's status file.
type statusReport struct {
	Service      string         `json:"service"` // running | stopped | failed | not installed | unknown
	ServiceError string         `json:"service_error,omitempty"`
	Platform     string         `json:"platform"`
	StatusFile   string         `json:"status_file"`
	StatusError  string         `json:"status_error,omitempty"`
	Daemon       *status.Status `json:"daemon"` // null when there is no status file
	Stale        bool           `json:"stale"`  // the file says running but its process is gone
	Running      bool           `json:"running"`
	// Clock is "ok" or "clock behind by …" (the wall clock against the
	// newest time the station saw and its newest record); ClockSynced is
	// yes, no or unknown (the kernel's time-sync state).
	Clock        string         `json:"clock"`
	ClockFix     string         `json:"clock_fix,omitempty"`
	ClockSynced  string         `json:"clock_synchronised"`
	now          time.Time      `json:"-"`
	serviceState service.Status `json:"-"`
}

func init() {
	var cfgFlag string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--config FILE] [--json]",
		Short: "show the service state and the station's status (scanners, mode, records, spool)",
		Long: `Status prints the service manager's state of offcircd and the daemon's status file
(state_dir/status.json): mode, whether a patron session is open (never the patron ID), each
scanner's state, last scan and last error, records today and in total, spool depth and the last
write error. Exit status 0 when the service is running, 3 when it is not (stopped, not
installed or unknown).

Without --config it reads ./OffCirc/state/status.json when that exists (a trial run,
'make run', in this folder), else the state_dir of the installed service's configuration
(` + "`/etc/offcircd/offcircd.toml`" + `, or offcircd.toml beside offcircd.exe), else the built-in
service defaults. The "status file" line says which file it read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := gatherStatus(cmd.ErrOrStderr(), cfgFlag)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(r); err != nil {
					return err
				}
			} else {
				printStatus(cmd.OutOrStdout(), r)
			}
			if !r.Running {
				return exitCode(exitNotRunning)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&cfgFlag, "config", "c", "", "configuration file (default: ./OffCirc of a trial run in this folder, else the installed service's)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for machines")
	rootCmd.AddCommand(cmd)
}

// gatherStatus asks the service manager and reads the status file from the
// configuration's state_dir.
func gatherStatus(errOut io.Writer, cfgFlag string) (*statusReport, error) {
	cfg, err := findConfig(cfgFlag)
	if err != nil {
		return nil, err
	}
	r := &statusReport{Platform: service.Platform()}
	if svc, err := newService(&service.Config{Name: offsvc.Name}); err != nil {
		r.Service, r.ServiceError = "unknown", err.Error()
	} else {
		st, err := svc.Status()
		r.serviceState = st
		r.Platform = svc.Platform()
		r.Service, r.ServiceError = describeService(st, err)
	}
	r.StatusFile = filepath.Join(cfg.StateDir, status.FileName)
	if abs, err := filepath.Abs(r.StatusFile); err == nil {
		r.StatusFile = abs // a trial's ./OffCirc: say which folder's
	}
	if s, err := status.Read(r.StatusFile); err != nil {
		r.StatusError = err.Error()
		if errors.Is(err, status.ErrNoStatus) {
			r.StatusError = "none yet: the daemon has not run with this state_dir"
		}
		if errors.Is(err, fs.ErrPermission) {
			r.StatusError += " (run it with sudo, or as a member of the service's group)"
		}
	} else {
		r.Daemon = &s
		r.Stale = s.State == status.Running && !status.ProcessAlive(s.PID)
	}
	r.now = time.Now()
	r.Running = r.Service == "running"
	r.Clock, r.ClockFix, r.ClockSynced = describeClock(cfg)
	return r, nil
}

// describeClock compares the wall clock with what the station has seen, as
// the daemon does, and reads the kernel's time-sync state.
func describeClock(cfg *config.Config) (state, fix, synced string) {
	loc, _ := cfg.Location()
	newest := clock.NewestOwn(loc, cfg.StateDir)
	r := clock.Open(cfg.StateDir, newest, nil, nil).Peek()
	state = r.String()
	if r.Behind > 0 {
		fix = clock.Fix
	}
	synced = "unknown"
	if ok, known := clock.Synced(); known && ok {
		synced = "yes"
	} else if known {
		synced = "no (no time source is disciplining the clock: the network is down, or timesyncd/chrony is not running)"
	}
	return state, fix, synced
}

// findConfig picks the station configuration a command without --config
// means (status: whose state_dir holds the status file; sheet: whose
// control_prefix to print), in this order: an explicit --config (which must load); the trial
// station of the current folder, when ./OffCirc/state/status.json exists
// (what `offcircd run` without --config, and so `make run`, writes there);
// the installed service's default config file, when it exists; the
// built-in service defaults.
func findConfig(cfgFlag string) (*config.Config, error) {
	if cfgFlag == "" {
		trial := config.Trial()
		if _, err := os.Stat(filepath.Join(trial.StateDir, status.FileName)); err == nil {
			return trial, nil
		}
	}
	exe, _ := os.Executable()
	cwd, _ := os.Getwd()
	path := offsvc.ResolveConfigPath(cfgFlag, runtime.GOOS, filepath.Dir(exe), cwd)
	if cfgFlag == "" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			// The MSI's configuration, when there is none beside the executable.
			if p := installedConfigPath(); p != "" {
				if _, err := os.Stat(p); err == nil {
					return config.Load(p)
				}
			}
			return config.Default(), nil
		}
	}
	return config.LoadForReading(path) // status reads; it needs no write access
}

// describeService turns kardianos' answer into words.
func describeService(st service.Status, err error) (string, string) {
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		return "not installed", ""
	case err != nil && strings.Contains(err.Error(), "failed state"):
		// systemd gave up on it or it is between restarts after a crash.
		return "failed", "see journalctl -u " + offsvc.Name
	case err != nil:
		return "unknown", err.Error()
	case st == service.StatusRunning:
		return "running", ""
	case st == service.StatusStopped:
		return "stopped", ""
	}
	return "unknown", ""
}

// printStatus writes the report as a table a person reads at a glance.
func printStatus(w io.Writer, r *statusReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, a...)) }
	svc := r.Service
	if r.ServiceError != "" {
		svc += " (" + r.ServiceError + ")"
	}
	row("service", "%s [%s]", svc, r.Platform)
	s := r.Daemon
	if s == nil {
		row("status file", "%s: %s", r.StatusFile, r.StatusError)
		tw.Flush()
		return
	}
	row("status file", "%s", r.StatusFile)
	state := s.State
	switch {
	case r.Stale:
		state = fmt.Sprintf("not running (pid %d is gone: the daemon crashed or was killed)", s.PID)
	case s.State == status.Running:
		state = fmt.Sprintf("running since %s (pid %d)", stamp(s.StartedAt), s.PID)
	case s.State == status.Stopped:
		state = fmt.Sprintf("stopped at %s", stamp(s.UpdatedAt))
	}
	row("daemon", "%s", state)
	row("station", "%s (offcircd %s)", s.Station, s.Version)
	row("mode", "%s", describeMode(s, r.Stale))
	row("data file", "%s", s.DataFile)
	row("records", "%d today (%s), %d in total", s.RecordsToday, s.Day, s.RecordsTotal)
	row("spool", "%s", describeSpool(s))
	if len(s.DamagedSpool) > 0 {
		row("damaged spool", "%s (check, add what is missing by hand, then delete)", strings.Join(s.DamagedSpool, ", "))
	}
	row("last write error", "%s", orDash(s.LastWriteError))
	row("clock", "%s", r.Clock)
	if r.ClockFix != "" {
		row("", "fix: %s", r.ClockFix)
	}
	row("clock sync", "%s", r.ClockSynced)
	row("updated", "%s (%s ago)", stamp(s.UpdatedAt), r.now.Sub(s.UpdatedAt).Round(time.Second))
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCANNER\tSTATE\tLAST SCAN\tLAST ERROR")
	if len(s.Scanners) == 0 {
		fmt.Fprintln(tw, "(none configured)\t\t\t")
	}
	for _, sc := range s.Scanners {
		last := "-"
		if !sc.LastScan.IsZero() {
			last = stamp(sc.LastScan)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", sc.Name, orDefault(sc.State, "starting"), last, orDash(sc.LastError))
	}
	tw.Flush()
}

// describeMode is the mode row. A patron session lives only in a running
// daemon's memory: once it stopped (or crashed, leaving "running" behind)
// there is no session, whatever its last snapshot said.
func describeMode(s *status.Status, stale bool) string {
	switch {
	case stale || s.State != status.Running:
		return s.Mode + " when it stopped (no patron session)"
	case s.PatronPresent:
		return s.Mode + fmt.Sprintf(", patron session open (%d items)", s.ItemsInSession)
	case s.Mode == string(station.ModeLoan):
		return s.Mode + ", no patron"
	}
	return s.Mode
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
