package decode

import "testing"

// CutAIM takes exactly "]", a letter and a letter or digit for an AIM
// identifier, at every edge of those ranges.
func TestCutAIMEdges(t *testing.T) {
	for _, tt := range []struct {
		d    string
		want bool
	}{
		{"]A0", true}, {"]Z9", true}, {"]a0", true}, {"]z0", true},
		{"]CA", true}, {"]CZ", true}, {"]Ca", true}, {"]Cz", true}, {"]C0", true}, {"]C9", true},
		{"]@0", false}, {"][0", false}, {"]`0", false}, {"]{0", false},
		{"]C/", false}, {"]C:", false}, {"]C@", false}, {"]C[", false}, {"]C`", false}, {"]C{", false},
		{"]C", false}, {"C]0", false}, {"", false},
	} {
		if _, got := CutAIM(tt.d); got != tt.want {
			t.Errorf("CutAIM(%q) = %v, want %v", tt.d, got, tt.want)
		}
	}
}
