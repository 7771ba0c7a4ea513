package main

import "testing"

// A survivor of a run is tested again on the source as it is now: when
// lines moved since the run, the one holding its text (nearest to where
// it was) is mutated; a line that is gone is not guessed.
func TestRelocateSurvivor(t *testing.T) {
	src := []byte("package x\n\nfunc f(a, b int) bool {\n\tif a > b {\n\t\treturn true\n\t}\n\treturn a > b\n}\n")
	for _, tc := range []struct {
		line int
		text string
		want int
	}{
		{4, "if a > b {", 4},   // unchanged
		{2, "if a > b {", 4},   // moved down
		{9, "return a > b", 7}, // moved up
		{5, "if a >= b {", 0},  // changed: gone
		{4, "", 4},             // no text recorded
	} {
		if got := relocate(src, &Survivor{Line: tc.line, Text: tc.text}); got != tc.want {
			t.Errorf("line %d %q: %d, want %d", tc.line, tc.text, got, tc.want)
		}
	}
}
