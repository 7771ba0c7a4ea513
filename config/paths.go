package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// The station's own files in state_dir. They are spelled out here so config
// depends on nothing; the daemon's and the store's tests check that their
// names are in this list.
const (
	SpoolFileName    = "spool.dat"     // records waiting for the data file
	DrainLogFileName = "spool.drain"   // drain intents
	StatusFileName   = "status.json"   // what `offcircd status` reads
	LockFileName     = "offcircd.lock" // the running station's lock
	WindowsLogName   = "offcircd.log"  // the Windows service's log when log_file is ""
	ClockFileName    = "clock"         // the newest wall time the station has seen
)

// StateFiles are the fixed names of the station's own files in state_dir.
var StateFiles = []string{SpoolFileName, DrainLogFileName, StatusFileName, LockFileName, WindowsLogName, ClockFileName}

// Side files the station creates in state_dir: torn tails
// (<file>.torn-<time>), damaged spool lines (spool.dat.damaged-<time>) and
// the status file's temporary copies (.status-*.tmp).
const (
	TornMark    = ".torn-"
	DamagedMark = ".damaged-"
	statusTemp  = ".status-"
)

// ownName reports whether name (in state_dir) is or could become one of the
// station's own files, and which.
func ownName(name string) (string, bool) {
	fold := func(s string) string {
		if runtime.GOOS == "windows" {
			return strings.ToLower(s)
		}
		return s
	}
	n := fold(name)
	for _, own := range StateFiles {
		if n == fold(own) {
			return own, true
		}
	}
	switch {
	case strings.HasPrefix(n, fold(SpoolFileName)+"."), strings.HasPrefix(n, fold(DrainLogFileName)+"."):
		return "a spool side file", true
	case strings.Contains(n, TornMark):
		return "a torn-tail side file (" + TornMark + "<time>)", true
	case strings.Contains(n, DamagedMark):
		return "a damaged-spool side file (" + DamagedMark + "<time>)", true
	case strings.HasPrefix(n, statusTemp):
		return "a temporary status file", true
	case strings.HasPrefix(n, "."+fold(ClockFileName)+".tmp-"):
		return "a temporary clock file", true
	}
	return "", false
}

// ResolvePath returns the file p names, for comparing paths: absolute,
// cleaned, with every symbolic link of the part that exists resolved, and
// case-folded on Windows (NTFS names are case-insensitive).
func ResolvePath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	p = filepath.Clean(p)
	rest := ""
	for cur := p; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			p = filepath.Join(r, rest)
			break
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			break
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
	if runtime.GOOS == "windows" {
		p = strings.ToLower(p)
	}
	return p
}

// sameFile reports whether a and b are one file: the same resolved path, or
// two names (hard links) of one existing file.
func sameFile(a, b string) bool {
	if ResolvePath(a) == ResolvePath(b) {
		return true
	}
	ai, err1 := os.Stat(a)
	bi, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(ai, bi)
}

// pathProblems refuses configurations whose files collide: the data file,
// the log file and the station's own files in state_dir must all be
// different files, and the data file's name must not be one the station
// uses for itself in state_dir (a data_dir equal to state_dir).
func (v *validator) paths() {
	c := v.c
	if c.DataDir == "" || c.StateDir == "" || c.FileName == "" || strings.ContainsAny(c.FileName, `/\`) {
		return // reported by top()
	}
	data := filepath.Join(c.DataDir, c.FileName)
	state := ResolvePath(c.StateDir)
	inState := ResolvePath(c.DataDir) == state
	if what, ok := ownName(c.FileName); ok && inState {
		v.errorf("file_name", "file_name %q in data_dir %s would be %s of the station (data_dir is state_dir); use another file_name or data_dir", c.FileName, c.DataDir, what)
	} else {
		for _, own := range StateFiles {
			if sameFile(data, filepath.Join(c.StateDir, own)) {
				v.errorf("file_name", "data file %s is the station's own %s in state_dir; use another file_name or data_dir", data, own)
			}
		}
	}
	if fi, err := os.Lstat(data); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		v.warnf("file_name", "data file %s is a symbolic link: offcircd writes only a regular file it owns and will spool every record (alarm) until it is replaced; point data_dir at the folder instead", data)
	}
	if c.LogFile == "" {
		return
	}
	// Its folder is created at start like state_dir; a log file that cannot
	// be opened would stop the station before it reads a scan.
	if fi, err := os.Stat(c.LogFile); err != nil || !fi.IsDir() { // a directory: validate says so
		v.dir("log_file", filepath.Dir(c.LogFile))
	}
	switch {
	case sameFile(c.LogFile, data):
		v.errorf("log_file", "log_file %s is the data file: log lines would go into the upload", c.LogFile)
	case ResolvePath(filepath.Dir(c.LogFile)) == state:
		if what, ok := ownName(filepath.Base(c.LogFile)); ok && what != WindowsLogName {
			v.errorf("log_file", "log_file %s would be %s of the station; use offcircd.log or another folder", c.LogFile, what)
		}
	default:
		for _, own := range StateFiles {
			if own != WindowsLogName && sameFile(c.LogFile, filepath.Join(c.StateDir, own)) {
				v.errorf("log_file", "log_file %s is the station's own %s", c.LogFile, own)
			}
		}
	}
}

// ErrOutputRefused is wrapped by CheckOutput's refusals.
var ErrOutputRefused = errors.New("refusing to write there")

// CheckOutput refuses out as a file a tool (capture) writes: never the data
// file, never inside state_dir, and never an existing file unless force.
func (c *Config) CheckOutput(out string, force bool) error {
	if c != nil {
		if sameFile(out, c.DataPath()) {
			return fmt.Errorf("%w: %s is the data file %s", ErrOutputRefused, out, c.DataPath())
		}
		state := ResolvePath(c.StateDir)
		if r := ResolvePath(out); r == state || strings.HasPrefix(r, state+string(filepath.Separator)) {
			return fmt.Errorf("%w: %s is inside state_dir %s, the station's own folder", ErrOutputRefused, out, c.StateDir)
		}
	}
	fi, err := os.Lstat(out)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("%w: %s is a directory", ErrOutputRefused, out)
	case err == nil && !force:
		return fmt.Errorf("%w: %s exists (use --force to overwrite it)", ErrOutputRefused, out)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s: %w", ErrOutputRefused, out, err)
	}
	return nil
}

// storeKeys checks the keys of the durable store: data_dir, the paths of
// every file (none may collide), and write_timeout.
func (v *validator) storeKeys() {
	v.dataDir()
	v.paths()
	v.writeTimeout()
}

// dataDir checks data_dir. Unlike state_dir, a data folder that is not
// writable (or not there, or not reachable) is only a warning: the station
// starts and spools, with the alarm, exactly as when the folder fails while
// it runs. Only a data_dir that cannot be a folder is an error.
func (v *validator) dataDir() {
	dir := v.c.DataDir
	if dir == "" {
		v.errorf("data_dir", "data_dir must not be empty")
		return
	}
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		v.errorf("data_dir", "data_dir %s exists but is not a directory", dir)
	case err == nil:
		if werr := v.writable(dir); werr != nil {
			v.warnf("data_dir", "data_dir %s is not writable (%v): records will be spooled in state_dir, with the alarm, until it is", dir, werr)
		}
	default:
		parent := existingParent(dir)
		if parent == "" {
			return
		}
		if pi, perr := os.Stat(parent); perr == nil && !pi.IsDir() {
			v.errorf("data_dir", "data_dir %s cannot be created: %s is not a directory", dir, parent)
		} else if !errors.Is(err, fs.ErrNotExist) {
			v.warnf("data_dir", "data_dir %s: %v: records will be spooled in state_dir, with the alarm, until it is usable", dir, unwrapPath(err))
		} else if werr := v.writable(parent); werr != nil {
			v.warnf("data_dir", "data_dir %s does not exist and this user cannot create it in %s (%v); the service account must be able to, or records are spooled", dir, parent, werr)
		}
	}
}

// writeTimeout checks write_timeout's bounds.
func (v *validator) writeTimeout() {
	if d := v.c.WriteTimeout.Duration; d < MinWriteTimeout || d > MaxWriteTimeout {
		v.errorf("write_timeout", "write_timeout must be between %v and %v, not %v", MinWriteTimeout, MaxWriteTimeout, d)
	}
}

// LoadForReading is Load for commands that only read the station's files
// (`offcircd status`): a data_dir or state_dir this user cannot write is
// fine then, so any user who can read status.json can ask for it.
func LoadForReading(path string) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return parse(path, data, true)
}

// writable is the folder check of validation; skipped for reading.
func (v *validator) writable(dir string) error {
	if v.c.forReading {
		return nil
	}
	return writable(dir)
}
