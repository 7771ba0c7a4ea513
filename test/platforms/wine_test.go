//go:build platforms

package platforms

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The Windows smoke test: the cross-built offcircd.exe under Wine must
// behave exactly like the Linux build, down to the bytes of OffCirc.dat.

func TestWineVersion(t *testing.T) {
	lin := linux(t, ".", "version")
	win := wine(t, ".", "version")
	if lin.code != 0 || win.code != 0 {
		t.Fatalf("version failed\nlinux: %s\nwindows: %s", lin, win)
	}
	// Same stamped version, commit and build date; only the platform differs.
	want := strings.Replace(string(lin.stdout), "linux/amd64", "windows/amd64", 1)
	if got := string(win.stdout); got != want || !strings.Contains(got, "windows/amd64") {
		t.Errorf("windows version = %q, want %q", got, want)
	}
	if strings.Contains(want, "offcircd dev ") || strings.Contains(want, "commit unknown") {
		t.Errorf("version not stamped by the linker: %q", want)
	}
}

func TestWineConfig(t *testing.T) {
	lin := linux(t, ".", "config")
	win := wine(t, ".", "config")
	if win.code != 0 || !bytes.Equal(win.stdout, lin.stdout) {
		t.Errorf("offcircd config differs between windows and linux\nlinux: %s\nwindows: %s", lin, win)
	}
}

func TestWineConfigCheck(t *testing.T) {
	root := repoRoot(t)
	// The zip's CRLF example config is what a Windows user edits first.
	example := artifact(t, "windows_amd64/config.example.toml")
	if win := wine(t, filepath.Dir(example), "config", "check", "config.example.toml"); win.code != 0 {
		t.Errorf("config check of the zip's example config:\n%s", win)
	}
	dir := filepath.Join(root, "testdata", "config")
	files, _ := filepath.Glob(filepath.Join(dir, "*.toml"))
	if len(files) == 0 {
		t.Fatal("no configs in testdata/config")
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			lin := linux(t, dir, "config", "check", name)
			win := wine(t, dir, "config", "check", name)
			// Absolute paths in messages are one expected difference.
			win.stdout, win.stderr = unixPaths(win.stdout), unixPaths(win.stderr)
			// The other: config check looks beeper commands up, and a
			// Unix program such as /usr/bin/true is no Windows program.
			if m := unixCommand.FindAll(win.stdout, -1); len(m) > 0 && lin.code == 0 && win.code == 1 {
				if rest := unixCommand.ReplaceAll(win.stdout, nil); len(bytes.TrimSpace(rest)) != 0 {
					t.Errorf("config check %s under Wine: more than the Unix beeper command refused:\n%s", name, win)
				}
				t.Logf("Windows refuses the Unix beeper command, as it should: %s", bytes.TrimSpace(m[0]))
				return
			}
			if lin.code != win.code || !bytes.Equal(lin.stdout, win.stdout) || !bytes.Equal(lin.stderr, win.stderr) {
				t.Errorf("config check %s differs\nlinux: %s\nwindows: %s", name, lin, win)
			}
			if strings.HasPrefix(name, "bad") && win.code == 0 {
				t.Errorf("config check %s accepted a bad config", name)
			}
		})
	}
}

// dataFiles are the OffCirc.dat samples check and merge are tried on.
func dataFiles(t *testing.T) []string {
	t.Helper()
	root := repoRoot(t)
	var files []string
	for _, pat := range []string{"testdata/alma/*.dat", "testdata/check/*", "testdata/merge/*", "testdata/scenarios/*/expected.dat"} {
		m, _ := filepath.Glob(filepath.Join(root, pat))
		for _, f := range m {
			if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() && !strings.HasSuffix(f, ".md") && !strings.HasSuffix(f, ".want") {
				rel, _ := filepath.Rel(root, f)
				files = append(files, rel)
			}
		}
	}
	if len(files) == 0 {
		t.Fatal("no data files in testdata")
	}
	return files
}

func TestWineCheck(t *testing.T) {
	root := repoRoot(t)
	// One run over every sample: Wine starts slowly, and check reports each
	// file's problems under its name anyway.
	files := dataFiles(t)
	for _, strict := range []bool{false, true} {
		args := []string{"check"}
		if strict {
			args = append(args, "--strict")
		}
		args = append(args, files...)
		lin := linux(t, root, args...)
		win := wine(t, root, args...)
		if lin.code != win.code || !bytes.Equal(lin.stdout, win.stdout) || !bytes.Equal(lin.stderr, win.stderr) {
			t.Errorf("offcircd %s differs\nlinux: %s\nwindows: %s", strings.Join(args, " "), lin, win)
		}
		if lin.code != 1 {
			t.Errorf("check of files with known errors (testdata/check/errors.dat) exited %d, want 1", lin.code)
		}
	}
}

func TestWineMerge(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "testdata", "merge")
	w := wineSetup(t)
	tests := []struct {
		name string
		args []string
		want string // golden output in testdata/merge; "" = nothing written
		code int
	}{
		{"two desks", []string{"desk-1.dat", "desk-2.dat"}, "desk-1+2.want", 0},
		{"skip bad", []string{"--skip-bad", "desk-1.dat", "desk-2.dat", "kiosk.dat"}, "all-skip-bad.want", 0},
		{"refuses bad input", []string{"desk-1.dat", "kiosk.dat"}, "", 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			linOut := filepath.Join(t.TempDir(), "merged.dat")
			winName := fmt.Sprintf("merged-%d.dat", i)
			winOut := filepath.Join(w.driveC(), "offcircd-smoke", winName)
			os.Remove(winOut)
			if err := os.MkdirAll(filepath.Dir(winOut), 0o755); err != nil {
				t.Fatal(err)
			}
			winArg := `C:\offcircd-smoke\` + winName
			lin := linux(t, dir, append([]string{"merge", "-o", linOut}, tt.args...)...)
			win := wine(t, dir, append([]string{"merge", "-o", winArg}, tt.args...)...)
			// The summary names the output file, the one expected difference.
			lin.stderr = bytes.ReplaceAll(lin.stderr, []byte(linOut), []byte("OUT"))
			win.stderr = bytes.ReplaceAll(win.stderr, []byte(winArg), []byte("OUT"))
			if lin.code != tt.code || win.code != tt.code || !bytes.Equal(lin.stderr, win.stderr) {
				t.Fatalf("merge: want exit %d and the same messages\nlinux: %s\nwindows: %s", tt.code, lin, win)
			}
			if tt.want == "" {
				if _, err := os.Stat(winOut); err == nil {
					t.Errorf("windows merge wrote %s despite refusing its inputs", winOut)
				}
				return
			}
			compareFiles(t, winOut, linOut)
			compareFiles(t, winOut, filepath.Join(dir, tt.want))
		})
	}
}

// unixPaths turns the Windows view of checkout paths (Z:\work\...) back
// into Unix paths, so messages naming an absolute path compare equal.
func unixPaths(b []byte) []byte {
	return winPath.ReplaceAllFunc(b, func(m []byte) []byte {
		return bytes.ReplaceAll(m[2:], []byte(`\`), []byte("/"))
	})
}

var winPath = regexp.MustCompile(`Z:\\[^\s:]*`)

// unixCommand is config check's line for a beeper command given as a Unix
// path, which a Windows station cannot run.
var unixCommand = regexp.MustCompile(`(?m)^\S+\.toml:\d+: beeper \d+: command "/[^"]*" cannot be run: .*\n`)

// TestWineRun plays every golden scenario's capture through a replay scanner
// on both builds, the Windows one writing into a C:\...\OffCirc\files folder
// with spaces in its path; the two OffCirc.dat files must be byte-identical
// (CRLF, padding, local time in the configured zone) and equal the golden file.
func TestWineRun(t *testing.T) {
	root := repoRoot(t)
	w := wineSetup(t)
	dirs, _ := filepath.Glob(filepath.Join(root, "testdata", "scenarios", "*"))
	if len(dirs) == 0 {
		t.Fatal("no scenarios")
	}
	for _, src := range dirs {
		name := filepath.Base(src)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, err := os.ReadFile(filepath.Join(src, "config.toml"))
			if err != nil {
				t.Fatal(err)
			}

			lin := t.TempDir()
			copyFiles(t, src, lin)
			writeConfig(t, filepath.Join(lin, "config.toml"), cfg, filepath.Join(lin, "OffCirc"))
			lr := linux(t, lin, "run", "--config", "config.toml", "--until-done")
			if lr.code != 0 {
				t.Fatalf("linux run: %s", lr)
			}

			winBase := `C:\Alma Offline Circulation\` + name
			unixBase := filepath.Join(w.driveC(), "Alma Offline Circulation", name)
			os.RemoveAll(unixBase)
			copyFiles(t, src, unixBase)
			writeConfig(t, filepath.Join(unixBase, "config.toml"), cfg, winBase+`\OffCirc`)
			// Working directory elsewhere: the Windows paths must carry it.
			wr := wine(t, w.driveC(), "run", "--config", winBase+`\config.toml`, "--until-done")
			if wr.code != 0 {
				t.Fatalf("windows run: %s", wr)
			}

			winDat := filepath.Join(unixBase, "OffCirc", "files", "OffCirc.dat")
			compareFiles(t, winDat, filepath.Join(lin, "OffCirc", "files", "OffCirc.dat"))
			compareFiles(t, winDat, filepath.Join(src, "expected.dat"))
		})
	}
}

var (
	dataDirLine  = regexp.MustCompile(`(?m)^data_dir\s*=.*$`)
	stateDirLine = regexp.MustCompile(`(?m)^state_dir\s*=.*$`)
)

// writeConfig writes a scenario config with data and state under base and
// the scenario's shell-command beeper replaced by none (no sh on Windows).
func writeConfig(t *testing.T, path string, cfg []byte, base string) {
	t.Helper()
	sep := "/"
	if strings.HasPrefix(base, `C:\`) {
		sep = `\`
	}
	s := string(cfg)
	if !dataDirLine.MatchString(s) || !stateDirLine.MatchString(s) {
		t.Fatalf("%s: no data_dir/state_dir line to rewrite", path)
	}
	// TOML literal strings: backslashes stay as they are.
	s = dataDirLine.ReplaceAllLiteralString(s, "data_dir = '"+base+sep+"files'")
	s = stateDirLine.ReplaceAllLiteralString(s, "state_dir = '"+base+sep+"state'")
	var out []string
	skip := false
	for _, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") {
			skip = trimmed == "[[beeper]]"
		}
		if !skip {
			out = append(out, line)
		}
	}
	s = strings.Join(out, "\n") + "\n[[beeper]]\ntype = \"none\"\n"
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func compareFiles(t *testing.T, got, want string) {
	t.Helper()
	g, err := os.ReadFile(got)
	if err != nil {
		t.Fatalf("windows output: %v", err)
	}
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s differs from %s\n--- windows ---\n%q\n--- want ---\n%q", got, want, g, w)
	}
	if len(g) == 0 {
		t.Errorf("%s is empty", got)
	}
}

// waitFor polls cond until it holds or d has passed.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return cond()
}

// TestWinePrivateFolders runs the Windows tests of internal/privdir (the
// private ACL of the folders the station creates) under Wine: the folders
// are created and an existing folder's ACL is kept. Wine keeps no file
// ACLs of its own, so the ACL test itself skips there, and says so.
func TestWinePrivateFolders(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "privdir.test.exe")
	build := exec.Command("go", "test", "-c", "-o", exe, "./internal/privdir")
	build.Dir = repoRoot(t)
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the Windows test of internal/privdir: %v\n%s", err, out)
	}
	r := wineTool(t, 2*time.Minute, exe, "-test.v")
	if r.code != 0 || !strings.Contains(string(r.stdout), "PASS") {
		t.Fatalf("internal/privdir under Wine: %s", r)
	}
	for _, l := range strings.Split(string(r.stdout), "\n") {
		if strings.Contains(l, "Wine keeps no file ACLs") {
			t.Logf("FINDING: %s", strings.TrimSpace(l))
		}
	}
}
