//go:build !windows

package main

import (
	"fmt"
	"log/slog"

	"github.com/coreos/go-systemd/v22/journal"
	"github.com/kardianos/service"

	offsvc "github.com/offcircd/offcircd/daemon/service"
)

// startedByServiceManager reports whether systemd (or another init system
// kardianos knows) started this process rather than a person.
func startedByServiceManager() bool { return !service.Interactive() }

// stderrIsJournal is whether standard error is the journal's stream:
// systemd names it in JOURNAL_STREAM.
func stderrIsJournal() bool {
	ok, _ := journal.StderrIsJournalStream()
	return ok
}

// openSystemLog opens the service manager's log (syslog / the journal). It
// returns no logger when standard error already goes to the journal (systemd
// says so in JOURNAL_STREAM): every line written there is in the journal
// once, and a copy through syslog would show each warning twice in
// `journalctl -u offcircd`.
func openSystemLog() (offsvc.SystemLogger, func(), error) {
	if stderrIsJournal() {
		return nil, func() {}, nil
	}
	svc, err := service.New(offsvc.NewProgram(nil, nil), &service.Config{Name: offsvc.Name})
	if err != nil {
		return nil, nil, fmt.Errorf("service: %w", err)
	}
	l, err := svc.SystemLogger(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("service: system log: %w", err)
	}
	return l, func() {}, nil
}

// runUnderServiceManager runs prog through kardianos, which calls Start and,
// on stop or shutdown, Stop.
func runUnderServiceManager(prog *offsvc.Program, log *slog.Logger) error {
	svc, err := service.New(prog, &service.Config{Name: offsvc.Name, DisplayName: offsvc.DisplayName, Description: offsvc.Description})
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	if err := svc.Run(); err != nil {
		log.Error("service run failed", "err", err)
		return fmt.Errorf("service: %w", err)
	}
	return nil
}

// installedConfigPath is the Windows installer's configuration file; the
// Linux packages use the default path itself.
func installedConfigPath() string { return "" }
