package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/kardianos/service"
	"github.com/spf13/cobra"

	offsvc "github.com/offcircd/offcircd/daemon/service"
)

// installFlags are the flags of `offcircd install`.
type installFlags struct {
	config string
	user   string
	force  bool
	dryRun bool
}

// errAlreadyInstalled is the expected state "install over an existing service".
var errAlreadyInstalled = errors.New("service: offcircd is already installed — use `offcircd uninstall` first or `offcircd install --force`")

func init() {
	var f installFlags
	install := &cobra.Command{
		Use:   "install [--config FILE] [--user NAME] [--force]",
		Short: "install offcircd as a system service (systemd, Windows service)",
		Long: `Install registers offcircd with the service manager so it starts at boot and restarts
within seconds if it stops. The service runs "offcircd run --config FILE" with FILE's absolute
path. Without --config, FILE is ` + offsvc.DefaultUnixConfig + ` (Linux) or offcircd.toml beside
offcircd.exe (Windows); on Windows a relative FILE is taken from the executable's folder.
The configuration is checked first: install refuses a configuration with problems.
Needs root (Linux) or an Administrator prompt (Windows). --dry-run prints what would be
installed (the systemd unit on Linux) without installing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runInstall(cmd, f) },
	}
	install.Flags().StringVarP(&f.config, "config", "c", "", "configuration file the service runs with")
	install.Flags().StringVar(&f.user, "user", "", "account the service runs as (default: root / LocalSystem)")
	install.Flags().BoolVar(&f.force, "force", false, "replace an installed offcircd service")
	install.Flags().BoolVar(&f.dryRun, "dry-run", false, "print the service definition instead of installing it")
	rootCmd.AddCommand(install)

	for _, c := range []struct{ name, short string }{
		{"uninstall", "remove the offcircd service (data, state and config stay)"},
		{"start", "start the installed offcircd service"},
		{"stop", "stop the offcircd service (finishes the record in hand, at most 5 s)"},
		{"restart", "restart the offcircd service (after editing its configuration)"},
	} {
		action := c.name
		rootCmd.AddCommand(&cobra.Command{
			Use:   action,
			Short: c.short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				svc, err := newService(&service.Config{Name: offsvc.Name})
				if err != nil {
					return err
				}
				if err := controlService(svc, action); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "offcircd: %s: done\n", action)
				return nil
			},
		})
	}
}

// newService binds the kardianos service for control commands; the
// program is never run from here.
func newService(c *service.Config) (service.Service, error) {
	s, err := service.New(offsvc.NewProgram(nil, nil), c)
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	return s, nil
}

// controlService runs one of uninstall, start, stop, restart with errors a
// person can act on.
func controlService(svc service.Service, action string) error {
	var err error
	switch action {
	case "uninstall":
		svc.Stop() // a running service would keep its files open
		err = svc.Uninstall()
	case "start":
		err = svc.Start()
	case "stop":
		err = svc.Stop()
	case "restart":
		err = svc.Restart()
	default:
		return usageErr("unknown service action %q", action)
	}
	if err != nil {
		return fmt.Errorf("service: %s: %w%s", action, err, privilegeHint(err))
	}
	return nil
}

// privilegeHint explains the usual cause of a failing service command.
func privilegeHint(err error) string {
	if errors.Is(err, fs.ErrPermission) || strings.Contains(strings.ToLower(err.Error()), "access is denied") ||
		strings.Contains(strings.ToLower(err.Error()), "permission denied") {
		if runtime.GOOS == "windows" {
			return " (run it from a command prompt opened with \"Run as administrator\")"
		}
		return " (run it as root, e.g. with sudo)"
	}
	return ""
}

// installPlan is everything install decided before touching the system.
type installPlan struct {
	opts offsvc.InstallOptions
	cfg  *service.Config
}

func runInstall(cmd *cobra.Command, f installFlags) error {
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("install: cannot find the offcircd executable: %w", err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	cwd, _ := os.Getwd()
	plan, err := planInstall(f, exe, cwd, runtime.GOOS)
	if err != nil {
		return err
	}
	probs, ok := checkConfig(plan.opts.ConfigPath)
	for _, p := range probs {
		fmt.Fprintln(errOut, p)
	}
	if !ok {
		hint := ""
		if _, err := os.Stat(plan.opts.ConfigPath); errors.Is(err, fs.ErrNotExist) {
			hint = fmt.Sprintf("; create one with: offcircd config > %s", plan.opts.ConfigPath)
		}
		return fmt.Errorf("install: refusing to install with configuration %s: fix the problems above%s", plan.opts.ConfigPath, hint)
	}
	if as := plan.opts.UserName; as != "" && as != "root" && runtime.GOOS != "windows" {
		if os.Geteuid() != 0 {
			fmt.Fprintf(errOut, "offcircd: install: not checked as %s (that needs root)\n", as)
		} else {
			probs, err := checkAsAccount(exe, plan.opts.ConfigPath, as)
			if err != nil {
				return err
			}
			for _, p := range probs {
				fmt.Fprintln(errOut, p)
			}
			if len(probs) > 0 {
				return fmt.Errorf("install: refusing to install: the service account %s cannot use configuration %s as it is: fix the problems above", as, plan.opts.ConfigPath)
			}
		}
	}
	if f.dryRun {
		return printPlan(out, plan)
	}
	if err := needsPrivilege(); err != nil {
		return err
	}
	svc, err := newService(plan.cfg)
	if err != nil {
		return err
	}
	if err := installService(out, svc, f.force); err != nil {
		return err
	}
	who := plan.opts.UserName
	if who == "" {
		who = "the system account"
	}
	fmt.Fprintf(out, "offcircd: installed service %q (%s) running as %s:\n  %s %s\n",
		offsvc.Name, svc.Platform(), who, plan.opts.Executable, strings.Join(offsvc.Args(plan.opts.ConfigPath), " "))
	fmt.Fprintln(out, "offcircd: start it with `offcircd start`, then check it with `offcircd status`")
	return nil
}

// planInstall resolves paths and builds the service configuration.
func planInstall(f installFlags, exe, cwd, goos string) (installPlan, error) {
	if !filepath.IsAbs(exe) {
		exe = filepath.Join(cwd, exe)
	}
	o := offsvc.InstallOptions{
		Executable: exe,
		ConfigPath: offsvc.ResolveConfigPath(f.config, goos, filepath.Dir(exe), cwd),
		UserName:   f.user,
		GOOS:       goos,
	}
	if f.user != "" && goos != "windows" {
		if _, err := user.Lookup(f.user); err != nil {
			return installPlan{}, usageErr("install: --user %s: %v (create it first, see README \"Installing as a service\")", f.user, err)
		}
	}
	c, err := offsvc.Config(o)
	if err != nil {
		return installPlan{}, fmt.Errorf("install: %w", err)
	}
	return installPlan{opts: o, cfg: c}, nil
}

// printPlan shows what install would register.
func printPlan(w io.Writer, p installPlan) error {
	fmt.Fprintf(w, "# service %s: %s %s\n", p.cfg.Name, p.opts.Executable, strings.Join(p.cfg.Arguments, " "))
	if unit, ok := p.cfg.Option["SystemdScript"].(string); ok {
		fmt.Fprintf(w, "# /etc/systemd/system/%s.service (under systemd; other init systems get kardianos' script)\n%s", p.cfg.Name, unit)
		return nil
	}
	for _, k := range []string{"StartType", "DelayedAutoStart", "OnFailure", "OnFailureDelayDuration", "OnFailureResetPeriod"} {
		if v, ok := p.cfg.Option[k]; ok {
			fmt.Fprintf(w, "%s = %v\n", k, v)
		}
	}
	return nil
}

// serviceInstaller is what installService needs of a kardianos service.
type serviceInstaller interface {
	Status() (service.Status, error)
	Install() error
	Uninstall() error
	Stop() error
}

// installService installs svc, refusing to overwrite an installed service
// unless force is set.
func installService(out io.Writer, svc serviceInstaller, force bool) error {
	if isInstalled(svc) {
		if !force {
			return errAlreadyInstalled
		}
		svc.Stop() // may already be stopped
		if err := svc.Uninstall(); err != nil {
			return fmt.Errorf("install: removing the installed service: %w%s", err, privilegeHint(err))
		}
		fmt.Fprintln(out, "offcircd: removed the installed service (--force)")
	}
	if err := svc.Install(); err != nil {
		if strings.Contains(err.Error(), "already exists") {
			return errAlreadyInstalled
		}
		return fmt.Errorf("install: %w%s", err, privilegeHint(err))
	}
	return nil
}

// isInstalled asks the service manager. kardianos reports a failed systemd
// unit as an error, but it is installed all the same.
func isInstalled(svc serviceInstaller) bool {
	_, err := svc.Status()
	if err == nil {
		return true
	}
	return !errors.Is(err, service.ErrNotInstalled) && strings.Contains(err.Error(), "failed state")
}
