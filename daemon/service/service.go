package service

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	kservice "github.com/kardianos/service"
)

// Service identity, as the service manager shows it.
const (
	Name        = "offcircd"
	DisplayName = "offcircd offline circulation"
	Description = "Reads library barcode scanners and appends loans and returns to Alma's OffCirc.dat for offline circulation."
)

// StopTimeout bounds Program.Stop: service managers kill a service that does
// not stop in time (Windows waits about 20 s, systemd TimeoutStopSec), and a
// station that hangs on stop delays a reboot.
const StopTimeout = 5 * time.Second

// RestartDelay is how soon the service manager restarts a crashed daemon: a
// desk that stops beeping is noticed within seconds, so waiting minutes (the
// kardianos default of 120 s) loses scans.
const RestartDelay = 2 * time.Second

// WatchdogInterval is the unit's WatchdogSec: a station whose loop has not
// taken a waiting event for half of it stops feeding the watchdog, and
// systemd restarts it. Generous, because a loaded station fsyncs slowly.
const WatchdogInterval = 30 * time.Second

// Default configuration files of an installed service.
const (
	DefaultUnixConfig    = "/etc/offcircd/offcircd.toml"
	DefaultWindowsConfig = "offcircd.toml" // in the executable's folder
)

// ErrStopTimeout means the daemon did not stop within StopTimeout.
var ErrStopTimeout = errors.New("service: daemon did not stop in time")

// InstallOptions describe the service to install.
type InstallOptions struct {
	Executable string // absolute path of the offcircd binary
	ConfigPath string // absolute path of the configuration file
	UserName   string // account the service runs as ("" = the manager's default: root / LocalSystem)
	GOOS       string // target system, normally runtime.GOOS
}

// Args returns the command line the service manager starts offcircd
// with. The config path is absolute: a service does not start in the folder
// install was run from (System32 on Windows, / under systemd).
func Args(configPath string) []string {
	return []string{"run", "--config", configPath}
}

// DefaultConfigPath is where install and status look for the configuration
// when --config is not given.
func DefaultConfigPath(goos, exeDir string) string {
	if goos == "windows" {
		return filepath.Join(exeDir, DefaultWindowsConfig)
	}
	return DefaultUnixConfig
}

// ResolveConfigPath makes a --config value absolute. On Windows a relative
// path is taken from the executable's folder, never the working directory:
// installers and services run from System32. Elsewhere it is taken from cwd,
// as any shell user expects. An empty path means DefaultConfigPath.
func ResolveConfigPath(path, goos, exeDir, cwd string) string {
	if path == "" {
		return DefaultConfigPath(goos, exeDir)
	}
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	base := cwd
	if goos == "windows" {
		base = exeDir
	}
	return filepath.Join(base, path)
}

// Config builds the kardianos service configuration for o. On Linux
// under systemd it replaces kardianos' unit (RestartSec=120, no state
// directory) with SystemdUnit; on Windows it sets recovery on failure and a
// delayed automatic start, so USB scanners have enumerated before the
// daemon looks for them.
func Config(o InstallOptions) (*kservice.Config, error) {
	if !filepath.IsAbs(o.ConfigPath) {
		return nil, fmt.Errorf("service: config path %q is not absolute", o.ConfigPath)
	}
	c := &kservice.Config{
		Name:        Name,
		DisplayName: DisplayName,
		Description: Description,
		UserName:    o.UserName,
		Arguments:   Args(o.ConfigPath),
		Executable:  o.Executable,
		Option:      kservice.KeyValue{},
	}
	switch o.GOOS {
	case "windows":
		c.Option["StartType"] = "automatic"
		c.Option["DelayedAutoStart"] = true
		c.Option["OnFailure"] = "restart"
		c.Option["OnFailureDelayDuration"] = RestartDelay.String()
		c.Option["OnFailureResetPeriod"] = 60 // seconds without failure before the count resets
	default:
		unit, err := SystemdUnit(o)
		if err != nil {
			return nil, err
		}
		c.Option["SystemdScript"] = unit
		c.Option["Restart"] = "always"
	}
	return c, nil
}

// SystemdUnit renders the complete systemd unit for o. It is passed to
// kardianos as SystemdScript; it holds no template actions (paths with "{{"
// are refused), so what is tested here is exactly what gets installed.
func SystemdUnit(o InstallOptions) (string, error) {
	for _, p := range []string{o.Executable, o.ConfigPath, o.UserName} {
		if strings.Contains(p, "{{") || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return "", fmt.Errorf("service: %q cannot be written into a systemd unit", p)
		}
	}
	if !filepath.IsAbs(o.Executable) {
		return "", fmt.Errorf("service: executable path %q is not absolute", o.Executable)
	}
	var b strings.Builder
	w := func(s ...string) { b.WriteString(strings.Join(s, "") + "\n") }
	w("[Unit]")
	w("Description=", unitValue(Description))
	w("Documentation=https://github.com/offcircd/offcircd#installing-as-a-service")
	// Ordering only (no Wants=): udev settle is deprecated and the daemon
	// waits for missing scanners itself; when something else pulls it in,
	// starting after it avoids a burst of "waiting" states at boot.
	w("After=local-fs.target systemd-udev-settle.service")
	w("ConditionFileIsExecutable=", unitValue(o.Executable))
	// Never give up restarting: the station is unattended and a late mount
	// or a fixed config must bring it back without a person.
	w("StartLimitIntervalSec=0")
	w()
	w("[Service]")
	// notify: `systemctl start` returns once every scanner source is set up
	// (READY=1), and the station's loop feeds the watchdog, so a wedged
	// station is killed and restarted (daemon/notify.go).
	w("Type=notify")
	w("NotifyAccess=main")
	w("WatchdogSec=", fmt.Sprint(int(WatchdogInterval/time.Second)))
	args := append([]string{o.Executable}, Args(o.ConfigPath)...)
	for i, a := range args {
		args[i] = execArg(a)
	}
	w("ExecStart=", strings.Join(args, " "))
	if o.UserName != "" {
		w("User=", unitValue(o.UserName))
	}
	w("Restart=always")
	w("RestartSec=", fmt.Sprint(int(RestartDelay/time.Second)))
	// Stop takes at most StopTimeout; leave the daemon room before SIGKILL.
	w("TimeoutStopSec=", fmt.Sprint(int(2*StopTimeout/time.Second)))
	// /var/lib/offcircd (the default data_dir and state_dir live under it),
	// created and owned by the service user; no access for others because
	// the data file holds patron IDs.
	w("StateDirectory=offcircd")
	w("StateDirectoryMode=0750")
	w("UMask=0027")
	w("NoNewPrivileges=yes")
	// Hardening that costs no device access (systemd-analyze security;
	// measured in the installed e2e station). Not set, because each one
	// does: PrivateDevices and DeviceAllow (scanners are plugged in after
	// start; ttyACM's major exists only once cdc_acm is loaded), ProtectClock
	// (implies a DeviceAllow list), PrivateNetwork (libusb learns of
	// replugged scanners from netlink uevents, which only the host's network
	// namespace receives), PrivateUsers (device nodes are reached through
	// supplementary groups). ProtectSystem=strict and ProtectHome would
	// refuse a data_dir outside /var/lib, such as a mounted share.
	w("ProtectSystem=full")
	w("PrivateTmp=yes")
	w("CapabilityBoundingSet=")
	w("RestrictAddressFamilies=AF_UNIX AF_NETLINK")
	w("ProtectKernelTunables=yes")
	w("ProtectKernelModules=yes")
	w("ProtectKernelLogs=yes")
	w("ProtectControlGroups=yes")
	w("ProtectHostname=yes")
	w("ProtectProc=invisible")
	w("RestrictNamespaces=yes")
	w("RestrictRealtime=yes")
	w("RestrictSUIDSGID=yes")
	w("LockPersonality=yes")
	w("MemoryDenyWriteExecute=yes")
	w("RemoveIPC=yes")
	w("SystemCallArchitectures=native")
	w("SystemCallFilter=@system-service")
	w("SystemCallFilter=~@privileged @resources")
	w("SystemCallErrorNumber=EPERM")
	w()
	w("[Install]")
	w("WantedBy=multi-user.target")
	return b.String(), nil
}

// unitValue escapes systemd specifiers in a plain unit value.
func unitValue(s string) string {
	return strings.ReplaceAll(s, "%", "%%")
}

// execArg quotes one ExecStart word when needed: systemd splits on
// whitespace, unquotes "…" with C escapes, and expands % and $.
func execArg(s string) string {
	s = strings.NewReplacer("%", "%%", "$", "$$").Replace(s)
	if s != "" && !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Program runs the daemon under a service manager: it implements
// kservice.Interface around a run function.
type Program struct {
	run  func(context.Context) error
	fail func(error)

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
	stopped bool
}

// NewProgram wraps run. When run ends with an error on its own (not
// because Stop was called), fail is called with it; the caller should log
// and exit non-zero so the service manager's restart policy applies.
func NewProgram(run func(context.Context) error, fail func(error)) *Program {
	return &Program{run: run, fail: fail}
}

// Start starts run in the background and returns at once: service managers
// give Start seconds, and a missing scanner at boot is normal, never a
// start failure.
func (p *Program) Start(kservice.Service) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		return errors.New("service: already started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() {
		err := p.run(ctx)
		p.mu.Lock()
		p.err = err
		stopped := p.stopped
		p.mu.Unlock()
		close(p.done)
		if !stopped && p.fail != nil {
			if err == nil {
				err = errors.New("service: daemon ended without being stopped")
			}
			p.fail(err)
		}
	}()
	return nil
}

// Stop cancels run and waits for it, at most StopTimeout.
func (p *Program) Stop(kservice.Service) error {
	return p.StopWithin(StopTimeout)
}

// StopWithin is Stop with a chosen limit.
func (p *Program) StopWithin(limit time.Duration) error {
	p.mu.Lock()
	if p.done == nil {
		p.mu.Unlock()
		return nil
	}
	p.stopped = true
	cancel, done := p.cancel, p.done
	p.mu.Unlock()
	cancel()
	select {
	case <-done:
		return p.Err()
	case <-time.After(limit):
		return ErrStopTimeout
	}
}

// Err is run's result once it has returned.
func (p *Program) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
