// Package golden owns the project's golden files: one -update flag, defined
// here for every test binary that compares against a golden file, and one
// comparison. `make golden` runs every such package with -update.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// Update rewrites golden files instead of comparing with them.
var Update = flag.Bool("update", false, "rewrite the golden files instead of comparing with them (make golden)")

// Check compares got with the golden file at path, or writes it with
// -update. context is printed on a mismatch (logs of the run that produced
// got, for instance).
func Check(t testing.TB, path string, got []byte, context ...string) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (go test -update, or make golden, creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update, or make golden, rewrites it)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
		for _, c := range context {
			t.Log(c)
		}
	}
}
