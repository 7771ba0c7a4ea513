package config

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// okDirs makes data_dir and state_dir point at a writable temp folder so
// that tests about other keys do not trip over /var/lib.
func okDirs(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	return "data_dir = '" + filepath.Join(d, "files") + "'\nstate_dir = '" + filepath.Join(d, "state") + "'\n"
}

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var e *Errors
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not *config.Errors", err, err)
	}
	return e.Problems
}

func TestParseBad(t *testing.T) {
	// Each document starts with two lines (data_dir, state_dir) from okDirs,
	// so the first line of body is line 3.
	tests := []struct {
		name string
		body string
		line int
		msg  string
	}{
		{"unknown top key", "statoin = \"x\"\n", 3, `unknown key "statoin" (did you mean "station"?)`},
		{"unknown scanner key", "[[scanner]]\nname = \"a\"\ntype = \"console\"\nbuad = 1\n", 6, `unknown key "buad" in [[scanner]] (did you mean "baud"?)`},
		{"bad duration", "\n\npatron_timeout = \"30\"\n", 5, `patron_timeout: invalid duration "30"`},
		{"negative duration", "undo_window = \"-1m\"\n", 3, "undo_window -1m0s is outside 0s..24h; 0s turns it off"},
		{"zero timeout", "patron_timeout = \"0s\"\n", 3, "patron_timeout 0s is outside 1s..24h"},
		{"wrong type", "max_items_per_patron = \"ten\"\n", 3, "max_items_per_patron: expected an integer, found a TOML string"},
		{"bad regexp", "item_pattern = '(abc'\n", 3, "item_pattern: bad regular expression"},
		{"bad mode", "default_mode = \"LOAN\"\n", 3, `default_mode "LOAN" is not one of loan | return`},
		{"empty prefix", "control_prefix = \"\"\n", 3, "control_prefix"},
		{"prefix with space", "control_prefix = \"OFF CIRC:\"\n", 3, "without spaces"},
		{"world file mode", "file_mode = \"0644\"\n", 3, "gives other users access"},
		{"non-octal file mode", "file_mode = \"0x640\"\n", 3, "not an octal mode"},
		{"owner cannot write", "file_mode = \"0440\"\n", 3, "owner needs read and write"},
		{"bad timezone", "timezone = \"Europe/Atlantis\"\n", 3, "not an IANA time zone"},
		{"bad log level", "log_level = \"verbose\"\n", 3, "log_level \"verbose\""},
		{"negative max items", "max_items_per_patron = -1\n", 3, "max_items_per_patron must be 0"},
		{"file name with folder", "file_name = \"a/OffCirc.dat\"\n", 3, "plain file name"},
		{"duplicate key", "station = \"a\"\nstation = \"b\"\n", 4, "already defined"},
		{"scanner no name", "[[scanner]]\ntype = \"console\"\n", 3, "scanner 1: name is required"},
		{"scanner dup name", "[[scanner]]\nname = \"a\"\ntype = \"console\"\n[[scanner]]\nname = \"a\"\ntype = \"console\"\n", 7, "name is already used by scanner 1"},
		{"scanner no type", "[[scanner]]\nname = \"a\"\n", 3, `scanner "a": type is required`},
		{"scanner bad type", "[[scanner]]\nname = \"a\"\ntype = \"usb\"\n", 5, `type "usb" is not one of serial | hid-pos`},
		{"serial without port", "[[scanner]]\nname = \"a\"\ntype = \"serial\"\nvid = \"0c2e\"\n", 3, "needs port, or vid and pid"},
		{"hid without pid", "[[scanner]]\nname = \"a\"\ntype = \"hid-pos\"\nvid = \"0c2e\"\n", 3, "needs vid and pid"},
		{"bad vid", "[[scanner]]\nname = \"a\"\ntype = \"hid-pos\"\nvid = \"0x0c2e\"\npid = \"0001\"\n", 6, `vid "0x0c2e" must be 4 hex digits`},
		{"replay no decoder", "[[scanner]]\nname = \"a\"\ntype = \"replay\"\nfile = \"x\"\n", 3, "needs decoder"},
		{"replay missing file", "[[scanner]]\nname = \"a\"\ntype = \"replay\"\ndecoder = \"serial\"\nfile = \"nope.txt\"\n", 7, "file "},
		{"replay bad decoder", "[[scanner]]\nname = \"a\"\ntype = \"replay\"\ndecoder = \"usb\"\nfile = \"x\"\n", 6, `decoder "usb"`},
		{"bad terminator", "[[scanner]]\nname = \"a\"\ntype = \"serial\"\nport = \"COM1\"\nterminator = \"etx\"\n", 7, `terminator "etx"`},
		{"bad parity", "[[scanner]]\nname = \"a\"\ntype = \"serial\"\nport = \"COM1\"\nparity = \"N\"\n", 7, `parity "N"`},
		{"bad stop bits", "[[scanner]]\nname = \"a\"\ntype = \"serial\"\nport = \"COM1\"\nstop_bits = \"3\"\n", 7, `stop_bits "3"`},
		{"stop bits as number", "[[scanner]]\nname = \"a\"\ntype = \"serial\"\nport = \"COM1\"\nstop_bits = 1\n", 7, "scanner 1: stop_bits: expected a string"},
		{"bad data bits", "[[scanner]]\nname = \"a\"\ntype = \"serial\"\nport = \"COM1\"\ndata_bits = 9\n", 7, "data_bits must be 5, 6, 7 or 8"},
		{"zero baud", "[[scanner]]\nname = \"a\"\ntype = \"serial\"\nport = \"COM1\"\nbaud = 0\n", 7, "baud must be greater than 0"},
		{"negative baud", "[[scanner]]\nname = \"a\"\ntype = \"serial\"\nport = \"COM1\"\nbaud = -9600\n", 7, "baud must be greater than 0"},
		{"idle gap too long", "[[scanner]]\nname = \"a\"\ntype = \"serial\"\nport = \"COM1\"\nidle_gap = \"1m\"\n", 7, `scanner "a": idle_gap 1m0s is outside 1ms..10s`},
		{"zero idle gap", "[[scanner]]\nname = \"a\"\ntype = \"serial\"\nport = \"COM1\"\nidle_gap = \"0s\"\n", 7, "idle_gap must be greater than 0"},
		{"bad aim", "[[scanner]]\nname = \"a\"\ntype = \"serial\"\nport = \"COM1\"\naim = \"drop\"\n", 7, `aim "drop"`},
		{"bad addon", "[[scanner]]\nname = \"a\"\ntype = \"serial\"\nport = \"COM1\"\naddon = \"ignore\"\n", 7, `addon "ignore"`},
		{"bad layout", "[[scanner]]\nname = \"a\"\ntype = \"hid-keyboard\"\nvid = \"05e0\"\npid = \"1200\"\nlayout = \"dvorak\"\n", 8, `layout "dvorak"`},
		{"bad pos layout", "[[scanner]]\nname = \"a\"\ntype = \"hid-pos\"\nvid = \"0c2e\"\npid = \"0b87\"\npos_layout = \"zebra\"\n", 8, `pos_layout "zebra"`},
		{"bad beep", "[[scanner]]\nname = \"a\"\ntype = \"console\"\nbeep = \"loud\"\n", 6, `beep "loud" is neither a profile`},
		{"serial beep on hid-pos", "[[scanner]]\nname = \"a\"\ntype = \"hid-pos\"\nvid = \"0c2e\"\npid = \"0b87\"\nbeep = \"zebra-ssi\"\n", 8, `beep "zebra-ssi" is for serial scanners; a hid-pos scanner takes hid-pos | honeywell`},
		{"hid beep on serial", "[[scanner]]\nname = \"a\"\ntype = \"serial\"\nport = \"/dev/ttyS0\"\nbeep = \"hid-pos\"\n", 7, `beep "hid-pos" is for hid-pos scanners; a serial scanner takes bel | honeywell | zebra-ssi | datalogic | none | hex bytes`},
		{"beep on a keyboard scanner", "[[scanner]]\nname = \"a\"\ntype = \"hid-keyboard\"\nvid = \"05e0\"\npid = \"1200\"\nbeep = \"bel\"\n", 8, "cannot beep itself"},
		{"bad beep bytes", "[[scanner]]\nname = \"a\"\ntype = \"console\"\n[scanner.beep_bytes]\ngood = \"1\"\n", 7, `beep_bytes.good: "1" is not hex`},
		{"beep bytes unknown pattern", "[[scanner]]\nname = \"a\"\ntype = \"console\"\nbeep_bytes.great = \"07\"\n", 6, `"great" is not a pattern name`},
		{"scanner mode", "[[scanner]]\nname = \"a\"\ntype = \"console\"\nmode = \"both\"\n", 6, `mode "both"`},
		{"second scanner line", "[[scanner]]\nname = \"a\"\ntype = \"console\"\n\n[[scanner]]\nname = \"b\"\ntype = \"serial\"\nport = \"COM1\"\nterminator = \"x\"\n", 11, `scanner "b": terminator "x"`},
		{"keypad no ids", "[keypad]\nkeys = { KP_1 = \"loan\" }\n", 3, "keypad: vid and pid are required"},
		{"keypad bad key", "[keypad]\nvid = \"04d9\"\npid = \"1203\"\nkeys = { KP_ENTER = \"done\", NUMPAD1 = \"loan\" }\n", 6, `unknown key "NUMPAD1"`},
		{"keypad lower key", "[keypad]\nvid = \"04d9\"\npid = \"1203\"\n[keypad.keys]\nKP_1 = \"loan\"\nkp_enter = \"done\"\n", 8, `upper case: "KP_ENTER"`},
		{"keypad bad command", "[keypad]\nvid = \"04d9\"\npid = \"1203\"\nkeys.KP_1 = \"lend\"\n", 6, `command "lend"`},
		{"keypad multi-line keys", "[keypad]\nvid = \"04d9\"\npid = \"1203\"\nkeys = {\n  KP_1 = \"loan\",\n  KP_2 = \"nope\",\n}\n", 8, `command "nope"`},
		{"beeper bad type", "[[beeper]]\ntype = \"siren\"\n", 4, `type "siren"`},
		{"beeper no command", "[[beeper]]\ntype = \"command\"\n", 3, "needs command"},
		{"pattern unknown", "[patterns]\nhappy = [[1000, 50, 0]]\n", 4, `"happy" is not a pattern name`},
		{"pattern frequency", "[patterns]\ngood = [[1000, 50, 0], [30000, 50, 0]]\n", 4, "tone 2: frequency 30000 Hz"},
		{"pattern multi-line", "[patterns]\nreject = [\n  [400, 100, 0],\n  [400, 0, 0],\n]\n", 6, "tone 2: duration 0 ms"},
		{"pattern short tone", "[patterns]\ngood = [[1000]]\n", 4, "got 1 numbers"},
		{"pattern pause", "[patterns]\ngood = [[1000, 50, -1]]\n", 4, "pause -1 ms"},
		{"syntax error", "station = \"desk\n", 3, "syntax error"},
		{"table header syntax", "[[scanner]\n", 3, "syntax error"},
		{"data_dir is a file", "", 1, "exists but is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := okDirs(t) + tt.body
			if tt.name == "data_dir is a file" {
				f := filepath.Join(t.TempDir(), "f")
				os.WriteFile(f, nil, 0o600)
				doc = "data_dir = '" + f + "'\n" + doc
			}
			c, err := Parse("t.toml", []byte(doc))
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			if c != nil {
				t.Errorf("config returned with errors")
			}
			for _, p := range problemsOf(t, err) {
				if p.Line == tt.line && strings.Contains(p.Msg, tt.msg) && p.File == "t.toml" && !p.Warning {
					return
				}
			}
			t.Errorf("want line %d containing %q, got:\n%v", tt.line, tt.msg, err)
		})
	}
}

// TestParseOtherTypesKey: a key of another scanner type's options (a table
// whose type was changed, a copied table) is said at its line, and the
// configuration still loads: the key does nothing.
func TestParseOtherTypesKey(t *testing.T) {
	doc := okDirs(t) + "[[scanner]]\nname = \"a\"\ntype = \"console\"\nterminator = \"etx\"\nbaud = 9600\n"
	c, err := Parse("t.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.Warnings {
		got = append(got, p.String())
	}
	want := []string{
		`t.toml:6: warning: scanner "a": terminator does nothing on a console scanner (serial, hid-pos, hid-keyboard, replay scanners take it)`,
		`t.toml:7: warning: scanner "a": baud does nothing on a console scanner (serial scanners take it)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings\n got %q\nwant %q", got, want)
	}
}

// TestParseAllAtOnce checks that one file with many mistakes reports every
// one of them, including several wrongly typed values, in line order.
func TestParseAllAtOnce(t *testing.T) {
	_, err := Load(filepath.Join("..", "testdata", "config", "bad-many.toml"))
	if err == nil {
		t.Fatal("no error")
	}
	var lines []int
	for _, p := range problemsOf(t, err) {
		lines = append(lines, p.Line)
		if !strings.HasSuffix(p.File, "bad-many.toml") {
			t.Errorf("problem file %q", p.File)
		}
	}
	want := []int{2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 16, 17, 19, 20, 20, 25, 25, 25, 27, 31, 32}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("problem lines\n got %v\nwant %v\n%v", lines, want, err)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != len(want) {
		t.Errorf("Error() has %d lines, want %d", n, len(want))
	}
}

func TestLoadGood(t *testing.T) {
	c, err := Load(filepath.Join("..", "testdata", "config", "good-full.toml"))
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs(filepath.Join("..", "testdata", "config"))
	checks := []struct {
		name      string
		got, want any
	}{
		{"station", c.Station, "desk-1"},
		{"data_dir relative to the file", c.DataDir, filepath.Join(dir, "out", "files")},
		{"data path", c.DataPath(), filepath.Join(dir, "out", "files", "OffCirc.dat")},
		{"replay file relative to the file", opt(c.Scanners[2], "file"), filepath.Join(dir, "capture.txt")},
		{"mode", c.Mode(), os.FileMode(0o600)},
		{"patron timeout", c.PatronTimeout.Duration, 45 * time.Second},
		{"double read default kept", c.DoubleReadWindow.Duration, 2 * time.Second},
		{"vid lower-cased", opt(c.Scanners[0], "vid"), "0c2e"},
		{"keypad vid lower-cased", c.Keypad.VID, "04d9"},
		{"baud set", opt(c.Scanners[0], "baud"), 115200},
		{"data bits default", opt(c.Scanners[0], "data_bits"), 8}, // the serial transport's
		{"terminator", opt(c.Scanners[0], "terminator"), "crlf"},
		{"terminator default", opt(c.Scanners[2], "terminator"), "cr"},
		{"max length default", opt(c.Scanners[1], "max_length"), 254},
		{"beep default", c.Scanners[1].Beep, "none"},
		{"pos layout", opt(c.Scanners[1], "pos_layout"), "honeywell"},
		{"keys", c.Keypad.Keys["F1"], "ack"},
		{"beeper command", c.Beepers[1].Command, []string{"/usr/bin/true"}},
		{"pattern", c.Patterns["reject"], [][]int{{400, 150, 80}, {400, 150, 0}}},
		{"warnings", len(c.Warnings), 0},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: got %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
	loc, err := c.Location()
	if err != nil || loc.String() != "Europe/Berlin" {
		t.Errorf("Location() = %v, %v", loc, err)
	}
	if c.line("scanner[1].mode") != 30 || c.line("keypad.keys.F1") != 42 {
		t.Errorf("line lookup: scanner[1].mode=%d keypad.keys.F1=%d", c.line("scanner[1].mode"), c.line("keypad.keys.F1"))
	}
}

// TestDefaultRoundTrip checks that the printed default configuration loads
// without a problem and means exactly the built-in defaults.
func TestDefaultRoundTrip(t *testing.T) {
	c, err := Parse("default.toml", DefaultTOML)
	if err != nil {
		t.Fatalf("the default configuration is rejected:\n%v", err)
	}
	want := Default()
	c.Path, c.lines, c.Warnings = "", nil, nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("default.toml differs from Default():\n got %+v\nwant %+v", c, want)
	}
	// Every top-level key must be documented in the file, commented or not.
	for _, k := range knownKeys(nil) {
		if !strings.Contains(string(DefaultTOML), "\n"+k+" ") && !strings.Contains(string(DefaultTOML), "# "+k+" ") &&
			!strings.Contains(string(DefaultTOML), "["+k+"]") {
			t.Errorf("key %q is not in default.toml", k)
		}
	}
	for _, k := range append(knownKeys([]string{"scanner"}), knownKeys([]string{"keypad"})...) {
		if !strings.Contains(string(DefaultTOML), "# "+k) {
			t.Errorf("scanner/keypad key %q is not in default.toml", k)
		}
	}
}

// TestDefaultExamples uncomments the example tables of default.toml: the
// examples people copy must load too.
func TestDefaultExamples(t *testing.T) {
	var b strings.Builder
	b.WriteString(okDirs(t))
	inExamples := false
	for _, l := range strings.Split(string(DefaultTOML), "\n") {
		if strings.HasPrefix(l, "# --- Scanners") {
			inExamples = true
		}
		if inExamples && (strings.HasPrefix(l, "# [") || strings.HasPrefix(l, "# ") && strings.Contains(l, " = ")) {
			l = strings.TrimPrefix(l, "# ")
		}
		b.WriteString(l + "\n")
	}
	doc := strings.Replace(b.String(), `file    = "capture.txt"`, `file    = "../testdata/config/capture.txt"`, 1)
	// The example's sound player is a placeholder; a program that exists
	// stands in for it (a missing one is refused, see TestParseBad).
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to stand in for the example's sound player")
	}
	doc = strings.Replace(doc, `"/usr/local/bin/offcirc-sound"`, "'"+sh+"'", 1)
	c, err := Parse("examples.toml", []byte(doc))
	if err != nil {
		t.Fatalf("uncommented examples rejected:\n%v\n%s", err, doc)
	}
	if len(c.Scanners) != 5 || c.Keypad == nil || len(c.Beepers) != 2 || len(c.Patterns) != 2 {
		t.Errorf("examples: %d scanners, keypad %v, %d beepers, %d patterns", len(c.Scanners), c.Keypad != nil, len(c.Beepers), len(c.Patterns))
	}
}

func TestDefaults(t *testing.T) {
	d, tr := Default(), Trial()
	wantData := "/var/lib/offcircd/files"
	if runtime.GOOS == "windows" {
		wantData = `C:\Alma Offline Circulation\OffCirc\files`
	}
	if d.DataDir != wantData {
		t.Errorf("Default data_dir %q, want %q", d.DataDir, wantData)
	}
	if tr.DataDir != filepath.Join("OffCirc", "files") || tr.StateDir != filepath.Join("OffCirc", "state") {
		t.Errorf("Trial dirs %q %q", tr.DataDir, tr.StateDir)
	}
	if d.Station == "" || d.FileName != "OffCirc.dat" || d.Mode() != 0o640 || d.DefaultMode != "loan" ||
		d.ControlPrefix != "OFFCIRC:" || d.PatronTimeout.Duration != 30*time.Second || len(tr.Scanners) != 0 {
		t.Errorf("defaults: %+v", d)
	}
	if err := tr.Validate(); err != nil {
		t.Errorf("Trial() does not validate: %v", err)
	}
	if d.SlogLevel().String() != "INFO" {
		t.Errorf("SlogLevel %v", d.SlogLevel())
	}
}

func TestParseHex(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
		ok   bool
	}{
		{"16 07 0D", []byte{0x16, 0x07, 0x0d}, true},
		{"16070d", []byte{0x16, 0x07, 0x0d}, true},
		{" 1b5b 07\t", []byte{0x1b, 0x5b, 0x07}, true},
		{"", nil, false},
		{"   ", nil, false},
		{"1", nil, false},
		{"16 7", nil, false},
		{"zz", nil, false},
		{"0x16", nil, false},
	}
	for _, tt := range tests {
		got, err := ParseHex(tt.in)
		if (err == nil) != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseHex(%q) = %x, %v; want %x ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestFileMode(t *testing.T) {
	tests := []struct {
		in   string
		want os.FileMode
		ok   bool
	}{
		{"0640", 0o640, true},
		{"0600", 0o600, true},
		{"640", 0o640, true},
		{"0660", 0o660, true},
		{"0644", 0, false},
		{"0666", 0, false},
		{"0400", 0, false},
		{"4640", 0, false},
		{"0x1a0", 0, false},
		{"", 0, false},
		{"0689", 0, false},
	}
	for _, tt := range tests {
		got, err := parseFileMode(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseFileMode(%q) = %o, %v; want %o ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if m := (&Config{FileMode: "0666"}).Mode(); m != 0o640 {
		t.Errorf("Mode() of an invalid file_mode = %o, want the safe 0640", m)
	}
}

func TestKeyUsages(t *testing.T) {
	tests := map[string]uint8{
		"A": 0x04, "Z": 0x1D, "1": 0x1E, "9": 0x26, "0": 0x27, "ENTER": 0x28, "ESCAPE": 0x29,
		"BACKSPACE": 0x2A, "TAB": 0x2B, "SPACE": 0x2C, "F1": 0x3A, "F12": 0x45, "NUM_LOCK": 0x53,
		"KP_DIVIDE": 0x54, "KP_MULTIPLY": 0x55, "KP_MINUS": 0x56, "KP_PLUS": 0x57, "KP_ENTER": 0x58,
		"KP_1": 0x59, "KP_9": 0x61, "KP_0": 0x62, "KP_DOT": 0x63,
	}
	for name, want := range tests {
		if got, ok := KeyUsages[name]; !ok || got != want {
			t.Errorf("KeyUsages[%q] = %#x, %v; want %#x", name, got, ok, want)
		}
	}
	seen := map[uint8]string{}
	for name, u := range KeyUsages {
		if other, dup := seen[u]; dup {
			t.Errorf("usage %#x named both %s and %s", u, name, other)
		}
		seen[u] = name
		if KeyName(u) != name {
			t.Errorf("KeyName(%#x) = %q, want %q", u, KeyName(u), name)
		}
	}
	if len(KeyUsages) != 26+10+12+16+6 {
		t.Errorf("%d key names", len(KeyUsages))
	}
	if KeyName(0xE0) != "" {
		t.Errorf("KeyName of an unnamed usage should be empty")
	}
}

func TestCheckPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits on Windows")
	}
	tests := []struct {
		name     string
		dirMode  os.FileMode
		fileMode os.FileMode
		msg      string // "" = accepted
	}{
		{"private", 0o755, 0o640, ""},
		{"group writable", 0o775, 0o660, ""},
		{"world readable", 0o755, 0o644, ""},
		{"world writable file", 0o755, 0o666, "world-writable (mode 0666)"},
		{"world writable dir", 0o777, 0o640, "world-writable without the sticky bit"},
		{"sticky dir like /tmp", 0o777 | os.ModeSticky, 0o640, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "etc")
			os.Mkdir(dir, 0o755)
			f := filepath.Join(dir, "offcircd.toml")
			if err := os.WriteFile(f, DefaultTOML, 0o600); err != nil {
				t.Fatal(err)
			}
			os.Chmod(f, tt.fileMode)
			os.Chmod(dir, tt.dirMode)
			if tt.fileMode&0o020 != 0 && groupHasOthers(t, f) {
				// Not a user-private group here: others in it may write.
				tt.msg = "is writable by group"
			}
			err := CheckPermissions(f)
			if tt.msg == "" && err != nil {
				t.Errorf("refused: %v", err)
			}
			if tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg)) {
				t.Errorf("error %v, want %q", err, tt.msg)
			}
		})
	}
	t.Run("symlink to world writable", func(t *testing.T) {
		dir := t.TempDir()
		f := filepath.Join(dir, "real.toml")
		os.WriteFile(f, nil, 0o600)
		os.Chmod(f, 0o666)
		link := filepath.Join(dir, "link.toml")
		os.Symlink(f, link)
		if err := CheckPermissions(link); err == nil {
			t.Error("symlink to a world-writable file accepted")
		}
	})
	if err := CheckPermissions(filepath.Join(t.TempDir(), "missing.toml")); err == nil {
		t.Error("missing file accepted")
	}
	// Above the file's folder: anyone may rename a folder out of a
	// world-writable one and put their own in its place.
	t.Run("world writable grandparent", func(t *testing.T) {
		top := filepath.Join(t.TempDir(), "srv")
		f := filepath.Join(top, "etc", "offcircd.toml")
		os.MkdirAll(filepath.Dir(f), 0o755)
		os.WriteFile(f, DefaultTOML, 0o600)
		os.Chmod(top, 0o777)
		if err := CheckPermissions(f); err == nil || !strings.Contains(err.Error(), "is in "+top+", which is world-writable without the sticky bit") {
			t.Errorf("error %v", err)
		}
		// Through a link with .. in it, the same folders are walked.
		link := filepath.Join(t.TempDir(), "offcircd.toml")
		os.Symlink(filepath.Join(top, "etc", "..", "etc", "offcircd.toml"), link)
		if err := CheckPermissions(link); err == nil || !strings.Contains(err.Error(), "is in "+top+", which is world-writable") {
			t.Errorf("through a link: error %v", err)
		}
		os.Chmod(top, 0o777|os.ModeSticky)
		if err := CheckPermissions(link); err != nil {
			t.Errorf("sticky: %v", err)
		}
	})
	// Owners: as root, only root's own file in root's own folders.
	t.Run("owned by another account", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to give files away")
		}
		for _, tt := range []struct{ name, chown, want string }{
			{"the file", "etc/offcircd.toml", "is owned by "},
			{"its folder", "etc", "is in "},
			{"a link to it", "link.toml", "is reached through the symbolic link "},
		} {
			t.Run(tt.name, func(t *testing.T) {
				dir := t.TempDir()
				f := filepath.Join(dir, "etc", "offcircd.toml")
				os.Mkdir(filepath.Dir(f), 0o755)
				os.WriteFile(f, DefaultTOML, 0o600)
				link := filepath.Join(dir, "link.toml")
				os.Symlink(f, link)
				if err := CheckPermissions(link); err != nil {
					t.Fatalf("root's own: %v", err)
				}
				if err := os.Lchown(filepath.Join(dir, tt.chown), 65534, 65534); err != nil {
					t.Fatal(err)
				}
				err := CheckPermissions(link)
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "(uid 65534), not by root") {
					t.Errorf("error %v, want %q", err, tt.want)
				}
			})
		}
	})
}

func TestDataDir(t *testing.T) {
	base := t.TempDir()
	t.Run("missing under writable parent", func(t *testing.T) {
		c, err := Parse("t.toml", []byte("data_dir = '"+filepath.Join(base, "a", "b")+"'\nstate_dir = '"+base+"'\n"))
		if err != nil || len(c.Warnings) != 0 {
			t.Errorf("err %v, warnings %v", err, c.Warnings)
		}
	})
	t.Run("parent is a file", func(t *testing.T) {
		f := filepath.Join(base, "file")
		os.WriteFile(f, nil, 0o600)
		_, err := Parse("t.toml", []byte("state_dir = '"+base+"'\ndata_dir = '"+filepath.Join(f, "sub")+"'\n"))
		if err == nil || !strings.Contains(err.Error(), "t.toml:2: data_dir") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("not writable", func(t *testing.T) {
		if runtime.GOOS == "windows" || os.Geteuid() == 0 {
			t.Skip("root may write anywhere")
		}
		ro := filepath.Join(base, "ro")
		os.Mkdir(ro, 0o500)
		// Start like you run: the station starts and spools (a warning).
		c, err := Parse("t.toml", []byte("state_dir = '"+base+"'\ndata_dir = '"+ro+"'\n"))
		if err != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].String(), "t.toml:2: warning: data_dir") || !strings.Contains(c.Warnings[0].Msg, "not writable") {
			t.Errorf("err %v, warnings %v", err, c.Warnings)
		}
		c, err = Parse("t.toml", []byte("state_dir = '"+base+"'\ndata_dir = '"+filepath.Join(ro, "new")+"'\n"))
		if err != nil || len(c.Warnings) != 1 || c.Warnings[0].Line != 2 {
			t.Errorf("missing dir under a read-only parent: err %v warnings %v", err, c.Warnings)
		}
	})
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
	ps := problemsOf(t, err)
	if len(ps) != 1 || !strings.Contains(ps[0].String(), "nope.toml: cannot read") {
		t.Errorf("got %v", err)
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.toml", Line: 3, Msg: "bad"}, "a.toml:3: bad"},
		{Problem{File: "a.toml", Msg: "bad"}, "a.toml: bad"},
		{Problem{File: "a.toml", Line: 1, Msg: "hm", Warning: true}, "a.toml:1: warning: hm"},
		{Problem{Msg: "bad"}, "(built-in config): bad"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

// BenchmarkParse measures loading a full station configuration (done once
// at start and by `config check`, so only gross regressions matter).
func BenchmarkParse(b *testing.B) {
	doc, err := os.ReadFile(filepath.Join("..", "testdata", "config", "good-full.toml"))
	if err != nil {
		b.Fatal(err)
	}
	name := filepath.Join("..", "testdata", "config", "good-full.toml")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(name, doc); err != nil {
			b.Fatal(err)
		}
	}
}

// opt is the value of a scanner's option by its key, read from the options
// type its transport registered.
func opt(sc Scanner, key string) any {
	v := reflect.ValueOf(sc.Options)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if !v.IsValid() {
		return nil
	}
	f, ok := fieldByTag(v.Type(), key)
	if !ok {
		return nil
	}
	return v.FieldByIndex(f.Index).Interface()
}
