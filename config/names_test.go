package config

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParsePattern(t *testing.T) {
	for _, p := range Patterns {
		if got, err := ParsePattern(string(p)); err != nil || got != p {
			t.Errorf("%s: %v %v", p, got, err)
		}
	}
	for _, bad := range []string{"", "GOOD", "all", "good "} {
		if _, err := ParsePattern(bad); !errors.Is(err, ErrUnknownPattern) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestParseCommand(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Command
		ok   bool
	}{
		{"loan", CmdLoan, true}, {"RETURN", CmdReturn, true}, {"Toggle", CmdToggle, true},
		{"done", CmdDone, true}, {"undo", CmdUndo, true}, {"ACK", CmdAck, true},
		{"", "", false}, {"loan ", "", false}, {"lend", "", false},
	} {
		got, ok := ParseCommand(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseCommand(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestDefaultTOMLListsTheTables keeps the commented default configuration
// (what `offcircd config` prints) equal to the tables: a command, pattern,
// scanner type or beep profile added to a table and not documented there,
// or documented and not in the table, fails here.
func TestDefaultTOMLListsTheTables(t *testing.T) {
	// Comments wrap: join continued comment lines into one text.
	doc := strings.ReplaceAll(string(DefaultTOML), "\n# ", " ")
	for _, want := range []string{
		"Commands: " + joinNames(Commands, " | ") + " (",
		"Names: " + joinNames(Patterns, ", ") + ".",
		"# " + strings.Join(ScannerTypes(), " | ") + " mode ",
		"beeps: " + strings.Join(BeepProfiles(), " | ") + " | hex bytes",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("default.toml does not list %q", want)
		}
	}
}

// TestBeepProfilesAreTheTypes' profiles: the profile list of the docs is
// exactly "none" plus what some scanner type plays.
func TestBeepProfilesAreTheTypes(t *testing.T) {
	want := map[string]bool{"none": true}
	for _, ps := range ScannerBeeps() {
		for _, p := range ps {
			want[p] = true
		}
	}
	got := map[string]bool{}
	for _, p := range BeepProfiles() {
		got[p] = true
	}
	if !maps.Equal(got, want) {
		t.Errorf("BeepProfiles %v, scanner types play %v", BeepProfiles(), want)
	}
	for typ := range ScannerBeeps() {
		if !slices.Contains(ScannerTypes(), typ) {
			t.Errorf("ScannerBeeps names unknown type %q", typ)
		}
	}
}
