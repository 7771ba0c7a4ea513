package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/internal/golden"
)

// TestScenarios runs every whole scanning scenario under testdata/scenarios
// through the real binary: replayed scanner captures with their recorded
// times go in; the OffCirc.dat bytes and the feedback pattern sequence (a
// command beeper appends each pattern name to feedback.txt) must match the
// golden files expected.dat and expected-feedback.txt.
func TestScenarios(t *testing.T) {
	bin := offcircdBinary(t)
	dirs, err := filepath.Glob("../../testdata/scenarios/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			work := t.TempDir()
			copyDir(t, dir, work)
			relaxWriteTimeout(t, filepath.Join(work, "config.toml"))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "run", "--config", "config.toml", "--until-done")
			cmd.Dir = work
			var logs bytes.Buffer
			cmd.Stderr = &logs
			if err := cmd.Run(); err != nil {
				t.Fatalf("offcircd run: %v\n%s", err, logs.String())
			}
			compareGolden(t, filepath.Join(work, "files", "OffCirc.dat"), filepath.Join(dir, "expected.dat"), logs.String())
			compareGolden(t, filepath.Join(work, "feedback.txt"), filepath.Join(dir, "expected-feedback.txt"), logs.String())
		})
	}
}

func compareGolden(t *testing.T, gotPath, wantPath, logs string) {
	t.Helper()
	got, err := os.ReadFile(gotPath)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	golden.Check(t, wantPath, got, "--- logs ---\n"+logs)
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
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

// relaxWriteTimeout gives a scenario the longest write_timeout: scenarios
// decide scans, and under a loaded make test an fsync can take longer than
// the 2 s default (measured), which would turn a good beep into a spooled
// write-failure. The bound itself has its own tests.
func relaxWriteTimeout(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	top := fmt.Sprintf("write_timeout = %q\n", config.MaxWriteTimeout.String())
	if err := os.WriteFile(path, append([]byte(top), b...), 0o600); err != nil {
		t.Fatal(err)
	}
}
