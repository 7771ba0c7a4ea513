package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offcircd/offcircd/encoder"
)

func TestResolveConfigPath(t *testing.T) {
	tests := []struct {
		name, path, goos, exeDir, cwd, want string
	}{
		{"linux default", "", "linux", "/usr/bin", "/home/a", DefaultUnixConfig},
		{"windows default beside exe", "", "windows", "/opt/offcircd", "/sys32", "/opt/offcircd/offcircd.toml"},
		{"linux relative from cwd", "conf/o.toml", "linux", "/usr/bin", "/home/a", "/home/a/conf/o.toml"},
		{"windows relative from exe dir, not cwd", "conf/o.toml", "windows", "/opt/offcircd", "/sys32", "/opt/offcircd/conf/o.toml"},
		{"absolute kept", "/etc/x/../o.toml", "linux", "/usr/bin", "/home/a", "/etc/o.toml"},
		{"absolute kept on windows", "/etc/o.toml", "windows", "/opt", "/sys32", "/etc/o.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResolveConfigPath(tt.path, tt.goos, tt.exeDir, tt.cwd); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestServiceConfig(t *testing.T) {
	tests := []struct {
		name    string
		opts    InstallOptions
		options map[string]any // options that must be set
		wantErr bool
	}{
		{
			name: "windows recovery and delayed start",
			opts: InstallOptions{Executable: "/opt/offcircd.exe", ConfigPath: "/opt/offcircd.toml", GOOS: "windows"},
			options: map[string]any{"OnFailure": "restart", "OnFailureDelayDuration": "2s", "DelayedAutoStart": true,
				"StartType": "automatic", "OnFailureResetPeriod": 60},
		},
		{
			name:    "linux systemd unit and restart",
			opts:    InstallOptions{Executable: "/usr/bin/offcircd", ConfigPath: "/etc/offcircd/offcircd.toml", UserName: "offcircd", GOOS: "linux"},
			options: map[string]any{"Restart": "always"},
		},
		{name: "relative config refused", opts: InstallOptions{Executable: "/usr/bin/offcircd", ConfigPath: "o.toml", GOOS: "linux"}, wantErr: true},
		{name: "template in path refused", opts: InstallOptions{Executable: "/usr/bin/offcircd", ConfigPath: "/a/{{Path}}.toml", GOOS: "linux"}, wantErr: true},
		{name: "newline in user refused", opts: InstallOptions{Executable: "/usr/bin/offcircd", ConfigPath: "/a.toml", UserName: "a\nExecStartPre=/bin/sh", GOOS: "linux"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Config(tt.opts)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != Name || c.Description == "" || c.DisplayName == "" {
				t.Errorf("identity %q %q %q", c.Name, c.DisplayName, c.Description)
			}
			if want := []string{"run", "--config", tt.opts.ConfigPath}; !reflect.DeepEqual(c.Arguments, want) {
				t.Errorf("arguments %q, want %q", c.Arguments, want)
			}
			if c.Executable != tt.opts.Executable || c.UserName != tt.opts.UserName {
				t.Errorf("executable %q user %q", c.Executable, c.UserName)
			}
			for k, v := range tt.options {
				if !reflect.DeepEqual(c.Option[k], v) {
					t.Errorf("option %s = %#v, want %#v", k, c.Option[k], v)
				}
			}
			if tt.opts.GOOS != "windows" {
				unit, _ := c.Option["SystemdScript"].(string)
				if !strings.Contains(unit, "RestartSec=2\n") || strings.Contains(unit, "{{") {
					t.Errorf("systemd script:\n%s", unit)
				}
			}
		})
	}
}

func TestSystemdUnitLines(t *testing.T) {
	unit, err := SystemdUnit(InstallOptions{Executable: "/opt/off circ/offcircd", ConfigPath: "/etc/o 100%/$x.toml", UserName: "offcircd"})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		`ExecStart="/opt/off circ/offcircd" run --config "/etc/o 100%%/$$x.toml"`,
		"ConditionFileIsExecutable=/opt/off circ/offcircd",
		"User=offcircd",
		"Restart=always",
		"RestartSec=2",
		"After=local-fs.target systemd-udev-settle.service",
		"StateDirectory=offcircd",
		"StartLimitIntervalSec=0",
		"WantedBy=multi-user.target",
	} {
		if !strings.Contains(unit, line+"\n") {
			t.Errorf("unit lacks %q:\n%s", line, unit)
		}
	}
}

// TestSystemdUnitVerifies runs systemd-analyze verify on the unit as it
// would be installed, for a plain path and for one that needs quoting.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (Debian: apt-get install systemd); the unit is not verified")
	}
	dir := t.TempDir()
	for _, sub := range []string{"bin", "with space"} {
		exe := filepath.Join(dir, sub, "offcircd")
		os.MkdirAll(filepath.Dir(exe), 0o755)
		if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		unit, err := SystemdUnit(InstallOptions{Executable: exe, ConfigPath: filepath.Join(dir, sub, "o%.toml"), UserName: "root"})
		if err != nil {
			t.Fatal(err)
		}
		udir := filepath.Join(dir, "units-"+strings.ReplaceAll(sub, " ", "-"))
		os.MkdirAll(udir, 0o755)
		path := filepath.Join(udir, Name+".service")
		if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(analyze, "verify", path).CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s\n--- unit ---\n%s", sub, err, out, unit)
		}
	}
}

func TestProgramStartStop(t *testing.T) {
	t.Run("stop cancels and waits", func(t *testing.T) {
		var stopped bool
		var failed error
		p := NewProgram(func(ctx context.Context) error {
			<-ctx.Done()
			time.Sleep(20 * time.Millisecond) // finishing the record in hand
			stopped = true
			return nil
		}, func(err error) { failed = err })
		if err := p.Start(nil); err != nil {
			t.Fatal(err)
		}
		if err := p.Start(nil); err == nil {
			t.Error("second Start accepted")
		}
		start := time.Now()
		if err := p.Stop(nil); err != nil {
			t.Fatal(err)
		}
		if !stopped || time.Since(start) > StopTimeout {
			t.Errorf("stopped %v after %v", stopped, time.Since(start))
		}
		if failed != nil {
			t.Errorf("fail called on a requested stop: %v", failed)
		}
	})
	t.Run("stop gives up after the limit", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		p := NewProgram(func(ctx context.Context) error { <-release; return nil }, nil)
		p.Start(nil)
		start := time.Now()
		if err := p.StopWithin(50 * time.Millisecond); !errors.Is(err, ErrStopTimeout) {
			t.Errorf("err %v, want ErrStopTimeout", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("stop took %v", d)
		}
	})
	t.Run("a run that ends on its own reports failure", func(t *testing.T) {
		got := make(chan error, 1)
		p := NewProgram(func(ctx context.Context) error { return errors.New("store: state dir unwritable") }, func(err error) { got <- err })
		p.Start(nil)
		select {
		case err := <-got:
			if !strings.Contains(err.Error(), "state dir unwritable") {
				t.Errorf("fail got %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("fail not called")
		}
	})
	t.Run("stop before start", func(t *testing.T) {
		if err := NewProgram(nil, nil).Stop(nil); err != nil {
			t.Error(err)
		}
	})
}

// fakeSysLog records what reached the system log.
type fakeSysLog struct {
	mu    sync.Mutex
	lines []string
}

func (f *fakeSysLog) add(kind string, v []any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines = append(f.lines, kind+": "+fmt.Sprint(v...))
	return nil
}
func (f *fakeSysLog) Warning(v ...any) error { return f.add("warning", v) }
func (f *fakeSysLog) Error(v ...any) error   { return f.add("error", v) }

func TestTeeHandler(t *testing.T) {
	var main bytes.Buffer
	sys := &fakeSysLog{}
	h := NewTeeHandler(slog.NewTextHandler(&main, &slog.HandlerOptions{Level: slog.LevelDebug}), sys, slog.LevelWarn)
	log := slog.New(h).With("scanner", "desk").WithGroup("g")
	patron := "PATRON123456"
	log.Debug("patron accepted", "patron", patron) // debug may show the ID, never in the system log
	log.Info("record written", "item", "3900001")
	log.Warn("scan rejected", "patron", encoder.MaskPatron(patron), "reason", "no patron")
	log.Error("store failed", "err", errors.New("disk full"))

	want := []string{
		`warning: scan rejected scanner=desk g.patron=PA***56 g.reason="no patron"`,
		`error: store failed scanner=desk g.err="disk full"`,
	}
	if !reflect.DeepEqual(sys.lines, want) {
		t.Errorf("system log\n got %q\nwant %q", sys.lines, want)
	}
	for _, l := range sys.lines {
		if strings.Contains(l, patron) {
			t.Errorf("unmasked patron in system log: %q", l)
		}
	}
	if n := strings.Count(main.String(), "\n"); n != 4 {
		t.Errorf("main log has %d lines, want all 4:\n%s", n, main.String())
	}
}

func TestTeeHandlerLevels(t *testing.T) {
	// The main log at error only: warnings still reach the system log.
	var main bytes.Buffer
	sys := &fakeSysLog{}
	log := slog.New(NewTeeHandler(slog.NewTextHandler(&main, &slog.HandlerOptions{Level: slog.LevelError}), sys, slog.LevelWarn))
	log.Info("x")
	log.Warn("y")
	if main.Len() != 0 {
		t.Errorf("main log got %q", main.String())
	}
	if len(sys.lines) != 1 || sys.lines[0] != "warning: y" {
		t.Errorf("system log %q", sys.lines)
	}
}
