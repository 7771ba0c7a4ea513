//go:build platforms

package platforms

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var distDir = flag.String("dist", "../../dist", "the dist/ folder of `make dist` and `make deb`")

// repoRoot is the top of the checkout: the Wine prefix and testdata live there.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// artifact returns a file of dist/, failing with the command that makes it.
func artifact(t testing.TB, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(*distDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s missing (run make dist deb first): %v", rel, err)
	}
	return p
}

func linuxBinary(t testing.TB) string { return artifact(t, "linux_amd64/offcircd") }
func windowsBinary(t testing.TB) string {
	return artifact(t, "windows_amd64/offcircd.exe")
}

// result is what one command run produced.
type result struct {
	stdout, stderr []byte
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout ---\n%s--- stderr ---\n%s", r.code, r.stdout, r.stderr)
}

// run runs a command in dir with a deadline and returns its output and exit
// code; only a failure to start (or the deadline) fails the test.
func run(t testing.TB, dir string, env []string, timeout time.Duration, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	// Files, not pipes: Wine's helper processes (services.exe,
	// winedevice.exe) inherit the handles and outlive the command, and
	// Wait would block on a pipe they hold open.
	stdout, stderr := tempFile(t), tempFile(t)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	r := result{stdout: readBack(t, stdout), stderr: readBack(t, stderr)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %s: timed out after %v\n%s", name, strings.Join(args, " "), timeout, r)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return r
}

func tempFile(t testing.TB) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readBack(t testing.TB, f *os.File) []byte {
	t.Helper()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// linux runs the Linux build.
func linux(t testing.TB, dir string, args ...string) result {
	t.Helper()
	return run(t, dir, nil, 2*time.Minute, linuxBinary(t), args...)
}

// wine runs offcircd.exe under Wine in the test prefix.
func wine(t testing.TB, dir string, args ...string) result {
	t.Helper()
	w := wineSetup(t)
	return run(t, dir, w.env, 3*time.Minute, "wine", append([]string{windowsBinary(t)}, args...)...)
}

// winePrefix is the prepared Wine environment shared by all tests.
type winePrefix struct {
	dir      string   // WINEPREFIX
	env      []string // WINEPREFIX, WINEDEBUG, ...
	services string   // output of services.exe and its services (Event Log lines)
}

// driveC is the Unix path of C:\ in the prefix.
func (w *winePrefix) driveC() string { return filepath.Join(w.dir, "drive_c") }

var (
	wineOnce sync.Once
	wineEnv  *winePrefix
	wineErr  error
)

// wineSetup creates (once) a headless Wine prefix inside the checkout's
// ignored .cache/ and installs the ProcessPrng shim into its system32.
func wineSetup(t testing.TB) *winePrefix {
	t.Helper()
	wineOnce.Do(func() { wineEnv, wineErr = prepareWine(repoRoot(t)) })
	if wineErr != nil {
		t.Fatalf("wine: %v", wineErr)
	}
	return wineEnv
}

func prepareWine(root string) (*winePrefix, error) {
	for _, tool := range []string{"wine", "wineboot", "wineserver", "x86_64-w64-mingw32-gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s not installed (Debian: wine64 wine gcc-mingw-w64-x86-64): %w", tool, err)
		}
	}
	w := &winePrefix{dir: filepath.Join(root, ".cache", "wine")}
	if d := os.Getenv("OFFCIRCD_WINEPREFIX"); d != "" {
		w.dir = d
	}
	debug := "-all"
	if d := os.Getenv("OFFCIRCD_WINEDEBUG"); d != "" {
		debug = d // e.g. +serial,+comm when digging into the COM port mapping
	}
	w.env = []string{
		"WINEPREFIX=" + w.dir,
		"WINEDEBUG=" + debug,
		"WINEARCH=win64",
		// No Mono/Gecko install dialogs: there is no display and nothing
		// here needs .NET or HTML.
		"WINEDLLOVERRIDES=mscoree,mshtml=",
		"DISPLAY=",
	}
	server := func(timeout time.Duration, args ...string) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "wineserver", args...)
		cmd.Env = append(os.Environ(), w.env...)
		return cmd.Run()
	}
	// A server left by an interrupted run would keep old state and make
	// `wineserver -w` below wait for ever.
	_ = server(30*time.Second, "-k")
	if _, err := os.Stat(filepath.Join(w.dir, "system.reg")); err != nil {
		if err := os.MkdirAll(filepath.Dir(w.dir), 0o755); err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "wineboot", "--init")
		cmd.Env = append(os.Environ(), w.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("wineboot --init: %w\n%s", err, out)
		}
		// The prefix is complete only once the server has flushed the
		// registry and exited.
		if err := server(2*time.Minute, "-w"); err != nil {
			return nil, fmt.Errorf("wineserver -w after wineboot: %w", err)
		}
	}
	// Wine's services.exe gives a starting service 10 s to reach the SCM;
	// Windows gives 30 s (ServicesPipeTimeout). The MSI's StartServices
	// failed once on the 2-core machine at a load average of 17, which that
	// limit explains (an install otherwise took up to 9.7 s there), so the
	// prefix gets Windows' value. Wine reads it
	// as REG_SZ (services.c, load_registry_parameters) and only when
	// services.exe starts: set it with no server running, then wait for
	// the server to write the registry and exit.
	if reg, err := os.ReadFile(filepath.Join(w.dir, "system.reg")); err == nil && !bytes.Contains(reg, []byte(`"ServicesPipeTimeout"`)) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "wine", "reg", "add", `HKLM\System\CurrentControlSet\Control`,
			"/v", "ServicesPipeTimeout", "/t", "REG_SZ", "/d", "30000", "/f")
		cmd.Env = append(os.Environ(), w.env...)
		// Output to a file: the server and services.exe this starts
		// inherit it and outlive the command (see run).
		out, err := os.CreateTemp("", "wine-reg-")
		if err != nil {
			return nil, err
		}
		defer os.Remove(out.Name())
		defer out.Close()
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			b, _ := os.ReadFile(out.Name())
			return nil, fmt.Errorf("setting ServicesPipeTimeout: %w\n%s", err, b)
		}
		if err := server(2*time.Minute, "-w"); err != nil {
			return nil, fmt.Errorf("wineserver -w after reg add: %w", err)
		}
	}
	// A persistent server started here, with its output going nowhere: a
	// server that the first `wine` spawned would inherit that command's
	// output pipes, and every later command would wait for it to exit.
	if err := server(30*time.Second, "-p"); err != nil {
		return nil, fmt.Errorf("wineserver -p: %w", err)
	}
	// Start Wine's own services now, detached from any test's output.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	boot := exec.CommandContext(ctx, "wineboot")
	boot.Env = append(os.Environ(), w.env...)
	// services.exe and the services it starts inherit this environment and
	// output: Wine's ReportEventW writes Event Log warnings and errors to
	// its "eventlog" debug channel, so that channel (and services.exe's
	// own errors, such as a service that failed to start) goes to a file
	// the service tests read (a file, not a pipe: see run).
	w.services = filepath.Join(w.dir, "services-debug.log")
	svcLog, err := os.Create(w.services)
	if err != nil {
		return nil, err
	}
	defer svcLog.Close()
	if os.Getenv("OFFCIRCD_WINEDEBUG") == "" {
		boot.Env = append(boot.Env, "WINEDEBUG=-all,warn+eventlog,err+eventlog,err+service")
	}
	boot.Stdout, boot.Stderr = svcLog, svcLog
	if err := boot.Run(); err != nil {
		return nil, fmt.Errorf("wineboot: %w", err)
	}

	tmp, err := os.MkdirTemp("", "prngshim-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	dll := filepath.Join(tmp, "bcryptprimitives.dll")
	src := filepath.Join(root, "test", "platforms", "prngshim", "processprng.c")
	if out, err := exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-O2", "-s", "-o", dll, src, "-ladvapi32").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the ProcessPrng shim: %w\n%s", err, out)
	}
	b, err := os.ReadFile(dll)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(w.driveC(), "windows", "system32", "bcryptprimitives.dll"), b, 0o644); err != nil {
		return nil, fmt.Errorf("installing the ProcessPrng shim: %w", err)
	}
	return w, nil
}

// TestMain stops the Wine server the tests started, so `go test` does not
// leave it running for its idle timeout.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if wineEnv != nil {
		kill := exec.Command("wineserver", "-k")
		kill.Env = append(os.Environ(), wineEnv.env...)
		_ = kill.Run()
	}
	os.Exit(code)
}

// copyFiles copies the regular files of from into to.
func copyFiles(t testing.TB, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
