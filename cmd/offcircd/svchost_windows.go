//go:build windows

package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"

	offsvc "github.com/offcircd/offcircd/daemon/service"
)

// startedByServiceManager reports whether the Service Control Manager
// started this process. svc.IsWindowsService also demands session 0, which
// Wine does not give services (measured with Wine 8.0: services.exe and every
// service run in session 1), so a process whose parent is services.exe counts
// too: nothing else starts programs from services.exe.
func startedByServiceManager() bool {
	if ok, err := svc.IsWindowsService(); err == nil && ok {
		return true
	}
	return strings.EqualFold(parentImage(), "services.exe")
}

// parentImage is the executable name of this process's parent, "" if unknown.
func parentImage() string {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return ""
	}
	defer windows.CloseHandle(snap)
	self := windows.GetCurrentProcessId()
	names := map[uint32]string{}
	parent := uint32(0)
	var pe windows.ProcessEntry32
	pe.Size = uint32(unsafe.Sizeof(pe))
	for err := windows.Process32First(snap, &pe); err == nil; err = windows.Process32Next(snap, &pe) {
		names[pe.ProcessID] = windows.UTF16ToString(pe.ExeFile[:])
		if pe.ProcessID == self {
			parent = pe.ParentProcessID
		}
	}
	if parent == 0 {
		return ""
	}
	return names[parent]
}

// Event IDs in the Application log, as kardianos/service uses them with the
// EventCreate.exe message file the installer registers.
const (
	eventIDWarning = 2
	eventIDError   = 3
)

// eventLog sends warnings and errors to the Windows Event Log under the
// source "offcircd" (registered by the MSI or `offcircd install`).
type eventLog struct{ l *eventlog.Log }

func (e eventLog) Warning(v ...any) error { return e.l.Warning(eventIDWarning, fmt.Sprint(v...)) }
func (e eventLog) Error(v ...any) error   { return e.l.Error(eventIDError, fmt.Sprint(v...)) }

// openSystemLog opens the Event Log source of the service.
func openSystemLog() (offsvc.SystemLogger, func(), error) {
	l, err := eventlog.Open(offsvc.Name)
	if err != nil {
		return nil, nil, fmt.Errorf("service: event log: %w", err)
	}
	return eventLog{l}, func() { l.Close() }, nil
}

// runUnderServiceManager hands the process to the Service Control Manager
// and runs prog until the manager stops it. It talks to the SCM through
// x/sys/windows/svc itself: kardianos decides once, at start, with
// svc.IsWindowsService, and under Wine would run the service as a console
// program that never reports "running".
func runUnderServiceManager(prog *offsvc.Program, log *slog.Logger) error {
	if err := svc.Run(offsvc.Name, &scmHandler{prog: prog, log: log}); err != nil {
		log.Error("service run failed", "err", err)
		return fmt.Errorf("service: %w", err)
	}
	return nil
}

// scmHandler answers the Service Control Manager.
type scmHandler struct {
	prog *offsvc.Program
	log  *slog.Logger
}

// Execute reports running at once (a missing scanner is never a start
// failure) and stops the daemon on Stop or Shutdown within StopTimeout.
func (h *scmHandler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	if err := h.prog.Start(nil); err != nil {
		h.log.Error("service start failed", "err", err)
		return true, 1
	}
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for c := range req {
		switch c.Cmd {
		case svc.Interrogate:
			status <- c.CurrentStatus
		case svc.Stop, svc.Shutdown:
			status <- svc.Status{State: svc.StopPending, WaitHint: uint32(2 * offsvc.StopTimeout / time.Millisecond)}
			if err := h.prog.Stop(nil); err != nil {
				h.log.Error("service stop", "err", err)
				return true, 1
			}
			return false, 0
		}
	}
	return false, 0
}

// installedConfigPath is where the MSI puts the service's configuration:
// %ProgramData%\offcircd\offcircd.toml.
func installedConfigPath() string {
	pd := os.Getenv("ProgramData")
	if pd == "" {
		return ""
	}
	return filepath.Join(pd, "offcircd", "offcircd.toml")
}

// stderrIsJournal is false: Windows has no journal; the service's log goes
// to its log file and the Event Log.
func stderrIsJournal() bool { return false }
