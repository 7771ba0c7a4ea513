package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCollidingPaths(t *testing.T) {
	base := t.TempDir()
	state := filepath.Join(base, "state")
	files := filepath.Join(base, "files")
	os.MkdirAll(state, 0o750)
	os.MkdirAll(files, 0o750)
	link := filepath.Join(base, "link-to-state")
	if err := os.Symlink(state, link); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(state, SpoolFileName), nil, 0o640)
	os.Link(filepath.Join(state, SpoolFileName), filepath.Join(files, "hard.dat"))
	tests := []struct {
		name, toml string
		want       string // "" = accepted
	}{
		{"separate folders", "data_dir = 'files'\nstate_dir = 'state'\n", ""},
		{"same folder, own name", "data_dir = 'state'\nstate_dir = 'state'\nfile_name = 'OffCirc.dat'\n", ""},
		{"data file is the spool", "data_dir = 'state'\nstate_dir = 'state'\nfile_name = 'spool.dat'\n", "t.toml:3: file_name"},
		{"data file is the drain log", "data_dir = 'state'\nstate_dir = 'state'\nfile_name = 'spool.drain'\n", "t.toml:3: file_name"},
		{"data file is status.json", "data_dir = 'state'\nstate_dir = 'state'\nfile_name = 'status.json'\n", "would be status.json"},
		{"data file is the lock", "data_dir = 'state'\nstate_dir = 'state'\nfile_name = 'offcircd.lock'\n", "would be offcircd.lock"},
		{"data file named like a torn side file", "data_dir = 'state'\nstate_dir = 'state'\nfile_name = 'OffCirc.dat.torn-1'\n", "torn-tail side file"},
		{"data file named like a damaged side file", "data_dir = 'state'\nstate_dir = 'state'\nfile_name = 'spool.dat.damaged-1'\n", "spool side file"},
		{"data file is the spool through a symlinked folder", "data_dir = 'link-to-state'\nstate_dir = 'state'\nfile_name = 'spool.dat'\n", "file_name"},
		{"data file is the spool through an unclean path", "data_dir = 'files/../state/.'\nstate_dir = 'state'\nfile_name = 'spool.dat'\n", "file_name"},
		{"data file is a hard link to the spool", "data_dir = 'files'\nstate_dir = 'state'\nfile_name = 'hard.dat'\n", "is the station's own spool.dat"},
		{"log file is the data file", "data_dir = 'files'\nstate_dir = 'state'\nlog_file = 'files/OffCirc.dat'\n", "t.toml:3: log_file"},
		{"log file is the data file through a symlink", "data_dir = 'state'\nstate_dir = 'state'\nlog_file = 'link-to-state/OffCirc.dat'\n", "is the data file"},
		{"log file is the spool", "data_dir = 'files'\nstate_dir = 'state'\nlog_file = 'state/spool.dat'\n", "log_file"},
		{"log file is status.json", "data_dir = 'files'\nstate_dir = 'state'\nlog_file = 'link-to-state/status.json'\n", "log_file"},
		{"log file is the lock", "data_dir = 'files'\nstate_dir = 'state'\nlog_file = 'state/offcircd.lock'\n", "log_file"},
		{"log file is offcircd.log in state_dir", "data_dir = 'files'\nstate_dir = 'state'\nlog_file = 'state/offcircd.log'\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(filepath.Join(base, "t.toml"), []byte(tt.toml))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("accepted, want an error with %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSymlinkedDataFileWarns(t *testing.T) {
	base := t.TempDir()
	os.MkdirAll(filepath.Join(base, "files"), 0o750)
	os.WriteFile(filepath.Join(base, "elsewhere.dat"), nil, 0o640)
	os.Symlink(filepath.Join(base, "elsewhere.dat"), filepath.Join(base, "files", "OffCirc.dat"))
	c, err := Parse(filepath.Join(base, "t.toml"), []byte("data_dir = 'files'\nstate_dir = 'state'\n"))
	if err != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Msg, "symbolic link") {
		t.Fatalf("err %v, warnings %v", err, c.Warnings)
	}
}

func TestCheckOutput(t *testing.T) {
	base := t.TempDir()
	c := Default()
	c.DataDir, c.StateDir = filepath.Join(base, "files"), filepath.Join(base, "state")
	os.MkdirAll(c.DataDir, 0o750)
	os.MkdirAll(c.StateDir, 0o750)
	os.WriteFile(c.DataPath(), []byte("x"), 0o640)
	os.WriteFile(filepath.Join(base, "old.cap"), []byte("x"), 0o640)
	os.Symlink(c.DataPath(), filepath.Join(base, "sneaky.cap"))
	tests := []struct {
		out   string
		force bool
		want  string
	}{
		{filepath.Join(base, "new.cap"), false, ""},
		{filepath.Join(base, "old.cap"), false, "exists (use --force"},
		{filepath.Join(base, "old.cap"), true, ""},
		{c.DataPath(), true, "is the data file"},
		{filepath.Join(base, "files", ".", "OffCirc.dat"), true, "is the data file"},
		{filepath.Join(base, "sneaky.cap"), true, "is the data file"},
		{filepath.Join(c.StateDir, "x.cap"), true, "inside state_dir"},
		{c.StateDir, true, "inside state_dir"},
		{base, true, "is a directory"},
	}
	for _, tt := range tests {
		err := c.CheckOutput(tt.out, tt.force)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s force=%v: %v", tt.out, tt.force, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s force=%v: %v, want %q", tt.out, tt.force, err, tt.want)
		}
	}
}

func TestWriteTimeoutBounds(t *testing.T) {
	base := t.TempDir()
	for _, tt := range []struct {
		val string
		ok  bool
	}{{"2s", true}, {"100ms", true}, {"1m", true}, {"50ms", false}, {"2m", false}, {"0s", false}} {
		_, err := Parse(filepath.Join(base, "t.toml"), []byte("data_dir = 'f'\nstate_dir = 's'\nwrite_timeout = '"+tt.val+"'\n"))
		if (err == nil) != tt.ok || (err != nil && !strings.Contains(err.Error(), "t.toml:3: write_timeout")) {
			t.Errorf("write_timeout %s: %v", tt.val, err)
		}
	}
	if c := Default(); c.WriteTimeout.Duration != DefaultWriteTimeout {
		t.Errorf("default write_timeout %v", c.WriteTimeout)
	}
}
