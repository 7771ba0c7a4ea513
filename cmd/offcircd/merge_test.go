package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/internal/golden"
)

// mergeDir copies testdata/merge into a temporary folder so tests can
// write next to the inputs.
func mergeDir(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "merge")
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMergeGolden(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		want   string // golden file in testdata/merge
		stderr string
	}{
		{"two desks", []string{"desk-1.dat", "desk-2.dat"}, "desk-1+2.want",
			"merged 2 files into out.dat: 7 lines written, 1 duplicates dropped, 0 bad lines skipped\n"},
		{"skip bad", []string{"--skip-bad", "desk-1.dat", "desk-2.dat", "kiosk.dat"}, "all-skip-bad.want",
			"kiosk.dat:4: skipped: item barcode is empty\n" +
				"merged 3 files into out.dat: 10 lines written, 2 duplicates dropped, 1 bad lines skipped\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := mergeDir(t)
			stdout, stderr, code := runInDir(t, dir, "", append([]string{"merge", "-o", "out.dat"}, tt.args...)...)
			if code != 0 || stderr != tt.stderr || stdout != "" {
				t.Fatalf("exit %d stdout %q stderr %q; want stderr %q", code, stdout, stderr, tt.stderr)
			}
			golden.Check(t, filepath.Join("..", "..", "testdata", "merge", tt.want), []byte(readFile(t, filepath.Join(dir, "out.dat"))))
			fi, err := os.Stat(filepath.Join(dir, "out.dat"))
			if err != nil {
				t.Fatal(err)
			}
			if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o640 {
				t.Errorf("mode %v, want 0640", fi.Mode().Perm())
			}
			if leftovers, _ := filepath.Glob(filepath.Join(dir, ".out.dat.tmp-*")); len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
			// The result is clean and a fixed point of merge.
			if out, _, code := runInDir(t, dir, "", "check", "--strict", "out.dat"); code != 0 {
				t.Errorf("check of merged file: exit %d\n%s", code, out)
			}
			if _, stderr, code := runInDir(t, dir, "", "merge", "-o", "again.dat", "out.dat"); code != 0 ||
				readFile(t, filepath.Join(dir, "again.dat")) != readFile(t, filepath.Join(dir, "out.dat")) {
				t.Errorf("merging the merged file changed it (exit %d, %s)", code, stderr)
			}
		})
	}
}

func TestMergeRefusesBadInputs(t *testing.T) {
	dir := mergeDir(t)
	out := filepath.Join(dir, "out.dat")
	if err := os.WriteFile(out, []byte("previous upload\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runInDir(t, dir, "", "merge", "--force", "-o", "out.dat", "desk-1.dat", "kiosk.dat")
	if code != 1 || stdout != "" {
		t.Fatalf("exit %d stdout %q", code, stdout)
	}
	for _, want := range []string{"kiosk.dat:4: error: item barcode is empty", "refusing inputs with errors: kiosk.dat (1 errors)", "--skip-bad"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if got := readFile(t, out); got != "previous upload\r\n" {
		t.Fatalf("refused merge touched the output: %q", got)
	}
}

func TestMergeRefusesToOverwriteAnInput(t *testing.T) {
	dir := mergeDir(t)
	if err := os.Link(filepath.Join(dir, "desk-1.dat"), filepath.Join(dir, "hardlink.dat")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("desk-2.dat", filepath.Join(dir, "symlink.dat")); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, filepath.Join(dir, "desk-1.dat"))
	tests := []struct {
		name string
		args []string
	}{
		{"same name", []string{"-o", "desk-1.dat", "desk-1.dat", "desk-2.dat"}},
		{"other spelling", []string{"-o", "./sub/../desk-2.dat", "desk-1.dat", "desk-2.dat"}},
		{"hard link", []string{"-o", "hardlink.dat", "desk-1.dat"}},
		{"symlink", []string{"-o", "symlink.dat", "desk-1.dat", "desk-2.dat"}},
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runInDir(t, dir, "", append([]string{"merge"}, tt.args...)...)
			if code != 1 || !strings.Contains(stderr, "output is one of the inputs") {
				t.Fatalf("exit %d stderr %q", code, stderr)
			}
		})
	}
	if readFile(t, filepath.Join(dir, "desk-1.dat")) != before {
		t.Fatal("an input was modified")
	}
}

func TestMergeStdoutAndUsage(t *testing.T) {
	dir := mergeDir(t)
	stdout, stderr, code := runInDir(t, dir, "", "merge", "-o", "-", "desk-1.dat", "desk-2.dat")
	if code != 0 || stdout != readFile(t, filepath.Join(dir, "desk-1+2.want")) {
		t.Fatalf("exit %d stderr %q stdout %q", code, stderr, stdout)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no output", []string{"merge", "desk-1.dat"}, 2, "-o OUT is required"},
		{"no inputs", []string{"merge", "-o", "x.dat"}, 2, "no input files"},
		{"bad zone", []string{"merge", "--timezone", "Nowhere/City", "-o", "x.dat", "desk-1.dat"}, 2, "Nowhere/City"},
		{"missing input", []string{"merge", "-o", "x.dat", "desk-1.dat", "nope.dat"}, 1, "nope.dat"},
		{"output is a folder", []string{"merge", "-o", ".", "desk-1.dat"}, 1, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runInDir(t, dir, "", tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "x.dat")); !os.IsNotExist(err) {
		t.Fatalf("failed merge created its output: %v", err)
	}
}

// TestMergeKeepsFileOrder is the autumn clock change: the desk lent BOOK7
// at 02:50 summer time and took it back at 02:10 winter time. Alma applies
// lines in file order, so merge must keep the return after the loan, or
// the book stays on loan.
func TestMergeKeepsFileOrder(t *testing.T) {
	dir := t.TempDir()
	pad := func(s string) string { return s + strings.Repeat(" ", 93-len(s)) }
	desk := pad("202210300250LBOOK7") + "P1\r\n" + pad("202210300210RBOOK7") + "\r\n"
	kiosk := pad("202210300230RBOOK1") + "\r\n"
	for name, data := range map[string]string{"desk.dat": desk, "kiosk.dat": kiosk} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stdout, stderr, code := runInDir(t, dir, "", "merge", "-o", "-", "desk.dat", "kiosk.dat", "desk.dat")
	want := pad("202210300230RBOOK1") + "\r\n" + desk
	if code != 0 || stdout != want {
		t.Fatalf("exit %d stderr %q\nmerged:\n%s\nwant:\n%s", code, stderr, stdout, want)
	}
	if !strings.Contains(stderr, "3 lines written, 2 duplicates dropped") {
		t.Errorf("stderr %q", stderr)
	}
}

// One station's archives are merged in the order they were made, whatever
// order they are named in: archived, a return scanned, archived again in
// the same second, the loan's file must come first, or Alma applies the
// return before the loan and leaves the item on loan.
func TestMergeTakesArchivesInTheirOrder(t *testing.T) {
	dir := t.TempDir()
	pad := func(s string) string { return s + strings.Repeat(" ", 93-len(s)) }
	archive := filepath.Join(dir, "archive")
	if err := os.MkdirAll(archive, 0o750); err != nil {
		t.Fatal(err)
	}
	loan := func(item string) string { return pad("202603011030L"+item) + "PAT1\r\n" }
	ret := func(item string) string { return pad("202603011030R"+item) + "\r\n" }
	files := map[string]string{
		"OffCirc-20260301-103012-001.dat": loan("BOOK1"),
		"OffCirc-20260301-103012-002.dat": ret("BOOK1"),
		"OffCirc-20260301-103012-003.dat": loan("BOOK2"),
		"OffCirc-20260301-103012-010.dat": ret("BOOK2"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(archive, name), []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	a := func(n string) string { return filepath.Join("archive", "OffCirc-20260301-103012-"+n+".dat") }
	stdout, stderr, code := runInDir(t, dir, "", "merge", "-o", "-", a("010"), a("003"), a("002"), a("001"))
	if want := loan("BOOK1") + ret("BOOK1") + loan("BOOK2") + ret("BOOK2"); code != 0 || stdout != want {
		t.Fatalf("exit %d stderr %q\nmerged:\n%s\nwant:\n%s", code, stderr, stdout, want)
	}
}

// An existing OUT (a running station's OffCirc.dat, yesterday's upload) is
// replaced only with --force: replacing it loses what was in it.
func TestMergeKeepsAnExistingOutput(t *testing.T) {
	dir := mergeDir(t)
	out := filepath.Join(dir, "OffCirc.dat")
	const live = "202612020900LLIVE1" + "                                                                           " + "P1\r\n"
	if err := os.WriteFile(out, []byte(live), 0o640); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runInDir(t, dir, "", "merge", "-o", "OffCirc.dat", "desk-1.dat", "desk-2.dat")
	if code != 1 || !strings.Contains(stderr, "OffCirc.dat exists (use --force") {
		t.Errorf("merge onto an existing file: exit %d, want 1 and the --force hint:\n%s", code, stderr)
	}
	if got := readFile(t, out); got != live {
		t.Fatalf("the existing file was replaced: %q", got)
	}
	if _, stderr, code := runInDir(t, dir, "", "merge", "--force", "-o", "OffCirc.dat", "desk-1.dat", "desk-2.dat"); code != 0 || readFile(t, out) == live {
		t.Errorf("merge --force: exit %d\n%s", code, stderr)
	}
}
