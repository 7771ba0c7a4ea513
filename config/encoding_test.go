package config

import (
	"strings"
	"testing"
	"unicode/utf16"
)

// Windows PowerShell 5 saves `offcircd config > offcircd.toml` as UTF-16:
// the error says so and how to save UTF-8, not "invalid character U+00FF".
func TestParseEncodings(t *testing.T) {
	const utf16Msg = "saved as UTF-16 (PowerShell `>`): save as UTF-8 (e.g. `offcircd config | Out-File -Encoding utf8 offcircd.toml` or Set-Content)"
	doc := okDirs(t) + "station = \"desk\"\n# Zweigstelle\n"
	le := func(s string, bom bool) string {
		var b []byte
		if bom {
			b = append(b, 0xFF, 0xFE)
		}
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return string(b)
	}
	be := func(s string) string {
		b := []byte{0xFE, 0xFF}
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u>>8), byte(u))
		}
		return string(b)
	}
	tests := []struct {
		name, data string
		line       int
		msg        string // "" = loads
	}{
		{"UTF-8", doc, 0, ""},
		{"UTF-8 with a byte order mark (Notepad)", "\xEF\xBB\xBF" + doc, 0, ""},
		{"UTF-16LE with a byte order mark (PowerShell 5 >)", le(doc, true), 1, utf16Msg},
		{"UTF-16BE with a byte order mark", be(doc), 1, utf16Msg},
		{"UTF-16LE without a byte order mark", le(doc, false), 1, utf16Msg},
		{"UTF-16LE, a single short line", le("station = \"desk\"\n", false), 1, utf16Msg},
		{"UTF-16LE with a byte order mark, text beyond Latin", le("# 图书馆的扫描站，图书馆的扫描站，图书馆的扫描站\n", true), 1, utf16Msg},
		{"UTF-16BE with a byte order mark, text beyond Latin", be("# 图书馆的扫描站，图书馆的扫描站，图书馆的扫描站\n"), 1, utf16Msg},
		{"a lone NUL is a syntax error", "\x00", 1, "syntax error"},
		{"one stray NUL in UTF-8 is a syntax error", "station = \"desk\"\n\x00\n" + doc, 2, "syntax error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("u16.toml", []byte(tt.data))
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if c.Station != "desk" {
					t.Errorf("station %q", c.Station)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			ps := problemsOf(t, err)
			if len(ps) != 1 || ps[0].Line != tt.line || !strings.Contains(ps[0].Msg, tt.msg) {
				t.Errorf("got %v\nwant one problem at line %d: %s", err, tt.line, tt.msg)
			}
		})
	}
}
