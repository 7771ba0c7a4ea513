package config

import "fmt"

// KeyUsages maps the key names accepted in [keypad] keys to their HID usage
// ids on the Keyboard/Keypad usage page (0x07, HID Usage Tables §10). The HID
// driver uses it to turn a pressed usage back into the configured command.
// Names are upper case; digits "0".."9" are the main keyboard row, KP_0..KP_9
// the numeric keypad.
var KeyUsages = func() map[string]uint8 {
	m := map[string]uint8{
		"ENTER":       0x28,
		"ESCAPE":      0x29,
		"BACKSPACE":   0x2A,
		"TAB":         0x2B,
		"SPACE":       0x2C,
		"NUM_LOCK":    0x53,
		"KP_DIVIDE":   0x54,
		"KP_MULTIPLY": 0x55,
		"KP_MINUS":    0x56,
		"KP_PLUS":     0x57,
		"KP_ENTER":    0x58,
		"KP_0":        0x62,
		"KP_DOT":      0x63,
	}
	for i := range 26 {
		m[string(rune('A'+i))] = uint8(0x04 + i)
	}
	for i := 1; i <= 9; i++ {
		m[fmt.Sprint(i)] = uint8(0x1E + i - 1)
		m[fmt.Sprintf("KP_%d", i)] = uint8(0x59 + i - 1)
	}
	m["0"] = 0x27
	for i := 1; i <= 12; i++ {
		m[fmt.Sprintf("F%d", i)] = uint8(0x3A + i - 1)
	}
	return m
}()

// KeyName returns the configuration name of a HID keyboard usage id, or ""
// when the usage has no name here (the key cannot be bound).
func KeyName(usage uint8) string {
	for name, u := range KeyUsages {
		if u == usage {
			return name
		}
	}
	return ""
}
