package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/offcircd/offcircd/internal/privdir"
)

// LockFileName is the station's lock file in state_dir. While a station
// runs it holds an OS lock on it; the file's text names that station.
const LockFileName = "offcircd.lock"

// Owner describes the process holding a state directory, as written into
// the lock file for the message of a second instance.
type Owner struct {
	PID    int
	Since  time.Time
	Config string // configuration file ("" = built-in defaults)
}

// ErrInstanceRunning is wrapped by LockState's refusal: another process
// holds the state directory.
var ErrInstanceRunning = errors.New("another offcircd is running with this state folder")

// InstanceError is LockState's refusal; it names the running station.
type InstanceError struct {
	Dir   string
	Owner Owner // zero when the lock file could not be read
}

// Error names the other instance and how to stop it.
func (e *InstanceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store: %v (%s)", ErrInstanceRunning, e.Dir)
	if o := e.Owner; o.PID > 0 {
		fmt.Fprintf(&b, ": pid %d", o.PID)
		if !o.Since.IsZero() {
			fmt.Fprintf(&b, ", running since %s", o.Since.Local().Format("2006-01-02 15:04:05"))
		}
		if o.Config != "" {
			fmt.Fprintf(&b, ", config %s", o.Config)
		} else {
			b.WriteString(", built-in configuration")
		}
	}
	b.WriteString("; two stations on one state folder would cut each other's records. ")
	pid := "PID"
	if e.Owner.PID > 0 {
		pid = strconv.Itoa(e.Owner.PID)
	}
	if runtime.GOOS == "windows" {
		fmt.Fprintf(&b, "Stop it first: `offcircd stop` (the service) or `taskkill /PID %s`", pid)
	} else {
		fmt.Fprintf(&b, "Stop it first: `systemctl stop offcircd` or `offcircd stop` (the service), or `kill %s`", pid)
	}
	return b.String()
}

// Unwrap lets errors.Is find ErrInstanceRunning.
func (e *InstanceError) Unwrap() error { return ErrInstanceRunning }

// StateLock is a held state-directory lock; Close releases it.
type StateLock struct{ f *os.File }

// LockState takes the state directory dir for this process (creating dir
// if needed) and records me in the lock file. It never waits: when another
// process holds the lock it returns an *InstanceError naming it. The lock
// is the kernel's (flock, LockFileEx), so a killed station's lock is gone
// with the process; a stale lock file's text is only overwritten.
func LockState(dir string, me Owner) (*StateLock, error) {
	if err := privdir.MkdirAll(dir); err != nil {
		return nil, wrapClass("creating state folder", err)
	}
	path := filepath.Join(dir, LockFileName)
	f, _, err := openFile(path, true, 0o644)
	if err != nil {
		return nil, wrapClass("opening lock file "+path, err)
	}
	if err := lockFile(f, false); err != nil {
		f.Close()
		if errors.Is(err, errLockBusy) {
			ie := &InstanceError{Dir: dir}
			if b, err := os.ReadFile(path); err == nil {
				ie.Owner = parseOwner(b)
			}
			return nil, ie
		}
		return nil, wrapClass("locking "+path, err)
	}
	text := fmt.Appendf(nil, "pid=%d\nsince=%s\nconfig=%s\n", me.PID, me.Since.UTC().Format(time.RFC3339), me.Config)
	// WriteAt 0 after Truncate: the file is in append mode on Unix, which
	// writes at the (now zero) end anyway.
	if err := f.Truncate(0); err == nil {
		_, err = writeAppend(f, text, 0)
		if err == nil {
			_ = syncFile(f)
		}
	}
	return &StateLock{f: f}, nil
}

// Close releases the lock. The file stays: removing it would let a third
// instance lock a new file while a second still waits on the old one.
func (l *StateLock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// parseOwner reads the lock file's key=value lines.
func parseOwner(b []byte) Owner {
	var o Owner
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch k {
		case "pid":
			o.PID, _ = strconv.Atoi(v)
		case "since":
			o.Since, _ = time.Parse(time.RFC3339, v)
		case "config":
			o.Config = v
		}
	}
	return o
}
