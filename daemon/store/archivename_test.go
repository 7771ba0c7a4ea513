package store

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestSortArchives: one station's archives are put in the order they were
// made, whatever order they are named in; other files and other stations'
// archives keep their places.
func TestSortArchives(t *testing.T) {
	a := func(name string) string { return filepath.Join("desk-1", "archive", name) }
	b := func(name string) string { return filepath.Join("desk-2", "archive", name) }
	tests := []struct {
		name     string
		in, want []string
	}{
		{"names of one second, as a locale's glob gives them",
			[]string{a("OffCirc-20250304-103000-010.dat"), a("OffCirc-20250304-103000-002.dat"), a("OffCirc-20250304-103000-001.dat")},
			[]string{a("OffCirc-20250304-103000-001.dat"), a("OffCirc-20250304-103000-002.dat"), a("OffCirc-20250304-103000-010.dat")}},
		{"names of earlier versions: bare, then -2 … -10",
			[]string{a("OffCirc-20250304-103000-10.dat"), a("OffCirc-20250304-103000-2.dat"), a("OffCirc-20250304-103000.dat"), a("OffCirc-20250304-102959.dat")},
			[]string{a("OffCirc-20250304-102959.dat"), a("OffCirc-20250304-103000.dat"), a("OffCirc-20250304-103000-2.dat"), a("OffCirc-20250304-103000-10.dat")}},
		{"days and seconds before numbers",
			[]string{a("OffCirc-20250305-090000-001.dat"), a("OffCirc-20250304-103001-001.dat"), a("OffCirc-20250304-103000-002.dat")},
			[]string{a("OffCirc-20250304-103000-002.dat"), a("OffCirc-20250304-103001-001.dat"), a("OffCirc-20250305-090000-001.dat")}},
		{"each station in its own places; other files stay",
			[]string{b("OffCirc-20250304-103000-002.dat"), a("OffCirc-20250304-103000-002.dat"), "kiosk.dat", a("Loans-20250304-103000-002.dat"),
				b("OffCirc-20250304-103000-001.dat"), a("OffCirc-20250304-103000-001.dat"), a("Loans-20250304-103000-001.dat")},
			[]string{b("OffCirc-20250304-103000-001.dat"), a("OffCirc-20250304-103000-001.dat"), "kiosk.dat", a("Loans-20250304-103000-001.dat"),
				b("OffCirc-20250304-103000-002.dat"), a("OffCirc-20250304-103000-002.dat"), a("Loans-20250304-103000-002.dat")}},
		{"another folder's archives are another station's",
			[]string{a("OffCirc-20250304-103000-002.dat"), a("OffCirc-20250304-103000-001.dat"), b("OffCirc-20250304-090000-001.dat")},
			[]string{a("OffCirc-20250304-103000-001.dat"), a("OffCirc-20250304-103000-002.dat"), b("OffCirc-20250304-090000-001.dat")}},
		{"not archive names",
			[]string{"OffCirc.dat", "b-2.dat", "a-20250304-1030.dat", "-20250304-103000.dat", "x-2025030a-103000-001.dat"},
			[]string{"OffCirc.dat", "b-2.dat", "a-20250304-1030.dat", "-20250304-103000.dat", "x-2025030a-103000-001.dat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Clone(tt.in)
			SortArchives(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
