package config

import (
	"fmt"
	"strings"
	"testing"
)

// A library names its station as it names the branch: "Zürich" is taken.
// What the barcode sheet's fonts cannot print, and control or invisible
// characters, are refused, naming the character and what is allowed.
func TestStationName(t *testing.T) {
	const allowed = `use letters, digits, spaces and punctuation of Western European text (Windows-1252, e.g. "Zürich", "Bibliothèque Süd")`
	tests := []struct {
		station string
		msg     string // "" = accepted
	}{
		{"desk-1", ""},
		{"Zürich", ""},
		{"Bibliothèque Süd – Ausleihe", ""}, // the en dash is in Windows-1252
		{"Malmö stadsbibliotek", ""},
		{"São Paulo (2º andar)", ""},
		{"Œuvre €", ""},
		{"Łódź", `station "Łódź" has 'Ł', which the barcode sheet cannot print: ` + allowed},
		{"図書館", `station "図書館" has '図', which the barcode sheet cannot print: ` + allowed},
		// ASCII control characters are refused with their escape (typecheck.go).
		{"desk\x7f1", `the value contains the control character U+007F`},
		{"desk\u00a01", `station "desk\u00a01" has '\u00a0', which the barcode sheet cannot print: ` + allowed},
		{"desk\u00ad1", `station "desk\u00ad1" has '\u00ad'`},
		{"desk\u202e1", `station "desk\u202e1" has '\u202e'`},
		{"desk\u00851", `station "desk\u00851" has '\u0085'`},
		{"", "station must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.station, func(t *testing.T) {
			c, err := Parse("t.toml", []byte(okDirs(t)+fmt.Sprintf("station = %q\n", tt.station)))
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if c.Station != tt.station {
					t.Errorf("station %q", c.Station)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, p := range problemsOf(t, err) {
				if p.Key == "station" && p.Line > 0 && strings.Contains(p.Msg, tt.msg) {
					return
				}
			}
			t.Errorf("got %v\nwant a problem at the station line: %s", err, tt.msg)
		})
	}
}
