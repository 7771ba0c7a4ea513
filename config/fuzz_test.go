package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary documents to the loader: it must never panic,
// must always answer with either a valid configuration or *Errors, and every
// problem must point at a line that exists.
func FuzzLoad(f *testing.F) {
	f.Add(DefaultTOML)
	for _, name := range []string{"good-full.toml", "good-minimal.toml", "bad-many.toml", "bad-syntax.toml"} {
		if b, err := os.ReadFile(filepath.Join("..", "testdata", "config", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("[keypad]\nkeys = { KP_1 = 1, KP_2 = 2, KP_3 = \"x\" }\n"))
	f.Add([]byte("[[scanner]]\nbaud = \"x\"\ndata_bits = \"y\"\n[[scanner]]\nbaud = []\n"))
	f.Add([]byte("patterns = { good = [[1, \"a\", 3]] }\nstation = 5\n"))
	f.Add([]byte("scanner = [{name = \"a\", type = 3}, {name = \"b\"}]\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := Parse("fuzz.toml", doc)
		if err == nil {
			if c == nil {
				t.Fatal("nil config without error")
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("loaded config does not validate again: %v", err)
			}
			return
		}
		var e *Errors
		if !errors.As(err, &e) || !e.HasErrors() {
			t.Fatalf("error %v (%T) is not *Errors with an error", err, err)
		}
		lines := strings.Count(string(doc), "\n") + 1
		for _, p := range e.Problems {
			if p.Line < 0 || p.Line > lines {
				t.Fatalf("problem at line %d of a %d-line document: %v", p.Line, lines, p)
			}
			if p.Msg == "" || strings.ContainsAny(p.Msg, "\n") {
				t.Fatalf("bad message %q", p.Msg)
			}
		}
	})
}
