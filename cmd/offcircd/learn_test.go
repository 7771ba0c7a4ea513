package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestLearnFromAlma: learn --from the Alma documentation's examples
// classifies every line right, and its patterns are the ones the golden
// scenario busy-desk-learned runs with.
func TestLearnFromAlma(t *testing.T) {
	alma := filepath.Join("..", "..", "testdata", "alma", "OffCirc.dat")
	stdout, stderr, code := runOffcircd(t, "", "", "learn", "--print", "--from", alma)
	if code != 0 || !strings.Contains(stdout, alma+": 6 lines: every item classified as an item, every patron as a patron") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	scenario, err := os.ReadFile(filepath.Join("..", "..", "testdata", "scenarios", "busy-desk-learned", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"patron_pattern", "item_pattern"} {
		re := regexp.MustCompile(`(?m)^` + key + `\s*=\s*('[^']*')`)
		got, want := re.FindStringSubmatch(stdout), re.FindStringSubmatch(string(scenario))
		if got == nil || want == nil || got[1] != want[1] {
			t.Errorf("%s: learn prints %v, the scenario has %v", key, got, want)
		}
	}
}

// TestLearnAtTheDesk: the interactive learn writes the patterns into the
// configuration, keeping its comments and other keys, shows how every
// example is classified, and refuses cards and items it cannot tell apart.
func TestLearnAtTheDesk(t *testing.T) {
	dir := t.TempDir()
	orig := "# Front desk, ground floor.\n" +
		"station = \"desk-1\"   # shown in status\n" +
		"data_dir = 'files'\nstate_dir = 'state'\n" +
		"patron_pattern = \"\"   # learned below\n" +
		"\n# The scanner on the left.\n[[beeper]]\ntype = \"none\"\n"
	cfg := filepath.Join(dir, "offcircd.toml")
	if err := os.WriteFile(cfg, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	scans := "21234000123456\n21234000998877\n\n21234001000001\n\n31234000555555\n31234009999999\nOFFCIRC:DONE\n31234000000017\noffcirc:done\n"
	stdout, stderr, code := runOffcircd(t, dir, scans, "learn", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"patron_pattern = '^2123400[0-9]{7}$'", "item_pattern   = '^3123400[0-9]{7}$'",
		"  2 so far; 3 needed",
		"patron  21234001000001                 → patron",
		"item    31234000000017                 → item",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	got := readFile(t, cfg)
	want := strings.Replace(orig, "patron_pattern = \"\"   # learned below\n",
		"patron_pattern = '^2123400[0-9]{7}$'   # learned below\n", 1)
	want = strings.Replace(want, "# learned below\n", "# learned below\n# Learned by offcircd learn.\nitem_pattern = '^3123400[0-9]{7}$'\n", 1)
	if got != want {
		t.Fatalf("config now:\n%s\nwant:\n%s", got, want)
	}
	if out, _, code := runOffcircd(t, "", "", "config", "check", cfg); code != 0 {
		t.Fatalf("config check after learn: %s", out)
	}

	// Cards and items of one shape: refused, the file untouched.
	stdout, stderr, code = runOffcircd(t, dir, "1234\n5678\n9012\n\n1111\n2222\n3333\n\n", "learn", "--config", cfg)
	if code != 1 || !strings.Contains(stderr, "no safe patterns") || !strings.Contains(stderr, "would match both") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if readFile(t, cfg) != got {
		t.Fatal("a refused learn changed the configuration")
	}
}

// TestLearnOnTheScanners: learn takes the examples from the configured
// scanners (here a replayed capture of a desk scanner), with the patron
// beep for each card and the good beep for each item, while the terminal
// has nothing to say (a closed standard input).
func TestLearnOnTheScanners(t *testing.T) {
	dir := t.TempDir()
	var cap strings.Builder
	cap.WriteString("# offcircd capture 1\n# decoder: serial\n")
	for i, s := range []string{"21234000123456", "21234000998877", "21234001000001", "OFFCIRC:DONE",
		"31234000555555", "31234009999999", "31234000000017", "offcirc:done"} {
		cap.WriteString(fmt.Sprintf("%d\t%s0d\n", i*300, hex.EncodeToString([]byte(s))))
	}
	if err := os.WriteFile(filepath.Join(dir, "desk.cap"), []byte(cap.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "offcircd.toml")
	body := "data_dir = 'files'\nstate_dir = 'state'\n" +
		"[[beeper]]\ntype = \"command\"\ncommand = [\"sh\", \"-c\", \"echo \\\"$0\\\" >> feedback.txt\"]\n" +
		"[[scanner]]\nname = \"desk\"\ntype = \"replay\"\ndecoder = \"serial\"\nterminator = \"cr\"\nfile = \"desk.cap\"\n"
	if err := os.WriteFile(cfg, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runOffcircd(t, dir, "", "learn", "--print", "--config", cfg)
	if code != 0 || !strings.Contains(stdout, "patron_pattern = '^2123400[0-9]{7}$'") || !strings.Contains(stdout, "item_pattern   = '^3123400[0-9]{7}$'") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if fb := readFile(t, filepath.Join(dir, "feedback.txt")); fb != strings.Repeat("patron\n", 3)+strings.Repeat("good\n", 3) {
		t.Errorf("beeps %q", fb)
	}
}

// TestLearnInputEndsEarly: when the terminal's input ends (a closed pipe,
// </dev/null) before both lists have their examples, learn neither waits
// for input that cannot come nor learns from too few examples: it says
// how many of each it got, leaves the configuration as it was and exits 1.
// Input that ends right after enough examples still ends the last list.
func TestLearnInputEndsEarly(t *testing.T) {
	const patrons = "21234000123456\n21234000998877\n21234001000001\n"
	const items = "31234000555555\n31234009999999\n31234000000017\n"
	tests := []struct {
		name, stdin string
		want        string // in stderr; "" means learn succeeds
	}{
		{"no input", "", "0 of 3 patron cards, 0 of 3 item barcodes"},
		{"one card", "21234000123456\n", "1 of 3 patron cards, 0 of 3 item barcodes"},
		{"cards, no end of list", patrons, "3 of 3 patron cards, 0 of 3 item barcodes"},
		{"cards and DONE", patrons + "OFFCIRC:DONE\n", "3 of 3 patron cards, 0 of 3 item barcodes"},
		{"cards and one item", patrons + "\n31234000555555\n", "3 of 3 patron cards, 1 of 3 item barcodes"},
		{"cards and items, no end of list", patrons + "\n" + items, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "offcircd.toml")
			orig := "data_dir = 'files'\nstate_dir = 'state'\n"
			if err := os.WriteFile(cfg, []byte(orig), 0o640); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code := runOffcircdWithin(t, 15*time.Second, dir, tt.stdin, "learn", "--config", cfg)
			if tt.want == "" {
				if code != 0 || !strings.Contains(readFile(t, cfg), "item_pattern = '^3123400[0-9]{7}$'") {
					t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
				}
				return
			}
			want := "learn: the input ended before learning was complete: " + tt.want + "; nothing written"
			if code != 1 || !strings.Contains(stderr, want) {
				t.Fatalf("exit %d, stderr %q; want exit 1 and %q", code, stderr, want)
			}
			if readFile(t, cfg) != orig {
				t.Fatal("the configuration changed")
			}
		})
	}
}

// TestLearnThroughSymlink: a configuration reached through a symbolic link
// is written through: the link is kept, the file it points to gets the
// patterns (keeping its mode), and learn names the file it wrote.
func TestLearnThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"etc", "managed"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	target := filepath.Join(dir, "managed", "desk-1.toml")
	link := filepath.Join(dir, "etc", "offcircd.toml")
	if err := os.WriteFile(target, []byte("data_dir = 'files'\nstate_dir = 'state'\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "managed", "desk-1.toml"), link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	scans := "21234000123456\n21234000998877\n21234001000001\n\n31234000555555\n31234009999999\n31234000000017\n"
	stdout, stderr, code := runOffcircd(t, dir, scans, "learn", "--config", link)
	if code != 0 || !strings.Contains(stdout, "written into "+target+" ("+link+" leads there through a symbolic link, which is kept)") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link is gone: %v %v", fi, err)
	}
	if got := readFile(t, target); !strings.Contains(got, "item_pattern = '^3123400[0-9]{7}$'") {
		t.Errorf("the linked file lacks the patterns:\n%s", got)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o640 && runtime.GOOS != "windows" {
		t.Errorf("the linked file's mode: %v %v", fi, err)
	}
}
