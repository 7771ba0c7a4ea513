//go:build !windows

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
)

// needsPrivilege says plainly, before anything is tried, that installing
// needs root.
func needsPrivilege() error {
	if os.Geteuid() != 0 {
		return errors.New("install: needs root (it writes the systemd unit and checks the configuration as the service account): run it with sudo")
	}
	return nil
}

// checkAsAccount runs `offcircd config check --service-account FILE` as
// the service account, so that the configuration file, the data and state
// folders, the device nodes and this executable itself are checked with
// that account's rights, not the installer's. It returns the problems
// found, one per line.
func checkAsAccount(exe, cfgPath, name string) ([]string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("install: --user %s: %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("install: --user %s: uid %q gid %q are not numbers", name, u.Uid, u.Gid)
	}
	var groups []uint32
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				groups = append(groups, uint32(g))
			}
		}
	}
	cmd := exec.Command(exe, "config", "check", "--service-account", cfgPath)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + u.HomeDir, "LANG=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		var probs []string
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if l != "" && !strings.HasSuffix(l, ": ok") {
				probs = append(probs, l)
			}
		}
		return probs, nil
	case errors.As(err, &ee):
		return nil, fmt.Errorf("install: checking as %s failed: %v: %s", name, err, bytes.TrimSpace(out.Bytes()))
	}
	// The account cannot even start this executable: the service could not either.
	return []string{fmt.Sprintf("%s: the service account %s cannot run it: %v (install offcircd where every account can read it, e.g. /usr/local/bin)", exe, name, err)}, nil
}
