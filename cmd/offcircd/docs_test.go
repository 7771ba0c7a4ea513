package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/config"
)

// TestOperatorsGuideNamesRealThings: the operator's guide is reachable from
// the README's first screen, and every `offcircd COMMAND` and configuration
// key it names exists, so the guide cannot drift from the program.
func TestOperatorsGuideNamesRealThings(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	firstScreen := strings.Join(strings.SplitN(string(readme), "\n", 31)[:30], "\n")
	if !strings.Contains(firstScreen, "(docs/operators-guide.md)") {
		t.Error("the README's first 30 lines do not link docs/operators-guide.md")
	}
	guide, err := os.ReadFile(filepath.Join("..", "..", "docs", "operators-guide.md"))
	if err != nil {
		t.Fatal(err)
	}
	commands := map[string]bool{}
	for _, c := range rootCmd.Commands() {
		commands[c.Name()] = true
	}
	// In code: "`offcircd check FILE`" and command lines of the examples.
	used := regexp.MustCompile("(?m)(?:`|^)offcircd ([a-z]+)\\b").FindAllStringSubmatch(string(guide), -1)
	if len(used) < 10 {
		t.Errorf("found only %d commands in the guide", len(used))
	}
	for _, m := range used {
		if !commands[m[1]] {
			t.Errorf("the guide names `offcircd %s`, which is not a command", m[1])
		}
	}
	keys := string(config.DefaultTOML)
	for _, m := range regexp.MustCompile("`([a-z]+(?:_[a-z]+)+)(?: = [^`]*)?`").FindAllStringSubmatch(string(guide), -1) {
		if !regexp.MustCompile(`(?m)^#? ?` + m[1] + ` *=`).MatchString(keys) {
			t.Errorf("the guide names the key `%s`, which the default configuration does not have", m[1])
		}
	}
}
