//go:build linux

package main

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestInstallChecksAsServiceAccount: install --user checks the
// configuration with the service account's rights (folders, device nodes,
// the executable), not the installer's, so a service that would start and
// fail in a loop is never installed.
func TestInstallChecksAsServiceAccount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: checking as another account means switching to it")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no account nobody")
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	// Not t.TempDir: its parent folder is for root only.
	base, err := os.MkdirTemp("", "offcircd-account-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	// The binary somewhere every account can run it, and one where only
	// root can.
	src, err := os.ReadFile(offcircdBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "offcircd")
	private := filepath.Join(base, "private")
	for _, d := range []string{private} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{bin, filepath.Join(private, "offcircd")} {
		if err := os.WriteFile(p, src, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mkdir := func(name string, owned bool) string {
		d := filepath.Join(base, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if owned {
			if err := os.Chown(d, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	rootFiles, rootState := mkdir("root-files", false), mkdir("root-state", false)
	ownFiles, ownState := mkdir("own-files", true), mkdir("own-state", true)
	port := "/dev/shm/offcircd-test-port-" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(port, nil, 0o600); err != nil {
		t.Skip("no /dev/shm:", err)
	}
	t.Cleanup(func() { os.Remove(port) })
	config := func(name, files, state, extra string) string {
		p := filepath.Join(base, name)
		body := "data_dir = '" + files + "'\nstate_dir = '" + state + "'\n" + extra
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		bin  string
		cfg  string
		code int
		want string
	}{
		{"folders the account owns", bin, config("ok.toml", ownFiles, ownState, ""), 0, "ExecStart="},
		{"folders only root may write", bin, config("root.toml", rootFiles, rootState, ""), 1, "data_dir " + rootFiles + " is not writable"},
		{"a port the account cannot open", bin, config("port.toml", ownFiles, ownState,
			"[[scanner]]\nname = \"desk\"\ntype = \"serial\"\nport = '"+port+"'\n"), 1,
			":6: scanner \"desk\": " + port + " (its port): this account cannot open it"},
		{"an executable the account cannot run", filepath.Join(private, "offcircd"), config("ok2.toml", ownFiles, ownState, ""), 1,
			"the service account nobody cannot run it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCommand(t, tt.bin, base, "", "install", "--dry-run", "--user", "nobody", "--config", tt.cfg)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.want) {
				t.Fatalf("exit %d (want %d), stdout:\n%s\nstderr:\n%s\nwant %q", code, tt.code, stdout, stderr, tt.want)
			}
			if code != 0 && !strings.Contains(stderr, "the service account nobody cannot use") && !strings.Contains(stderr, "cannot run it") {
				t.Errorf("stderr does not say why: %s", stderr)
			}
		})
	}
	// Without root, install says so before trying anything.
	cmd := exec.Command(bin, "install", "--config", filepath.Join(base, "ok.toml"))
	cmd.Dir = base
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "install: needs root") {
		t.Errorf("install as nobody: %v: %s", err, out)
	}
	// As the installer (root) the same configuration passes: the check
	// is the account's.
	if _, stderr, code := runCommand(t, bin, base, "", "install", "--dry-run", "--config", filepath.Join(base, "root.toml")); code != 0 {
		t.Fatalf("as root: exit %d: %s", code, stderr)
	}
}
