package decode

import (
	"fmt"
	"maps"
	"slices"
)

// Keyboard layouts for keyboard-mode ("wedge") scanners. A scanner in
// keyboard mode does not send characters: it sends the key positions
// (HID usages) that would type its data on a keyboard of the country that
// is programmed INTO THE SCANNER. Reading raw reports, the host's layout is
// irrelevant; the table used here must match the scanner's setting, or
// shifted characters and letters like y/z come out wrong (the most reported
// bug of keyboard-wedge tools).
//
// Adding a layout is adding a table below: a base layout plus the keys that
// differ. Characters that are not ASCII are listed too (é, §, £ ...) so a
// wrong-layout scan is rejected as non-ASCII rather than silently mistyped.

// kbdLevel says which modifier level of a key is meant.
type kbdLevel uint8

// Dead-key flags per level: a dead key types nothing until the next key.
const (
	deadBase kbdLevel = 1 << iota
	deadShift
	deadAltGr
)

// kbdKey is what one key position types on one layout.
type kbdKey struct {
	base, shift, altgr rune // 0: nothing at that level
	caps               bool // Caps Lock acts as Shift on this key
	dead               kbdLevel
}

// kbdLayout maps HID usage ids (keyboard page 0x07) to characters.
type kbdLayout map[uint8]kbdKey

// kbdLayouts holds every known layout by its config name (`layout = "de"`).
var kbdLayouts = map[string]kbdLayout{}

// KeyboardLayouts lists the layout names hid-keyboard scanners accept.
func KeyboardLayouts() []string { return slices.Sorted(maps.Keys(kbdLayouts)) }

// kbdLookup returns the layout named name ("" means us).
func kbdLookup(name string) (kbdLayout, error) {
	if name == "" {
		name = "us"
	}
	l, ok := kbdLayouts[name]
	if !ok {
		return nil, fmt.Errorf("hid-keyboard: unknown layout %q (known: %v)", name, KeyboardLayouts())
	}
	return l, nil
}

// derive returns base with the keys of diff replacing base's.
func derive(base kbdLayout, diff kbdLayout) kbdLayout {
	out := maps.Clone(base)
	maps.Copy(out, diff)
	return out
}

// letters fills usages 0x04..0x1D with a..z, Caps Lock acting as Shift.
func letters(l kbdLayout) kbdLayout {
	for i := 0; i < 26; i++ {
		c := rune('a' + i)
		l[uint8(0x04+i)] = kbdKey{base: c, shift: c - 'a' + 'A', caps: true}
	}
	return l
}

// keypad is the numeric keypad with Num Lock on; scanners that type digits
// on the keypad (ALT codes, some configurations) rely on it. Shift does not
// change keypad keys here: with Num Lock on, Shift+keypad turns navigation
// on, which no scanner sends on purpose.
var keypad = kbdLayout{
	0x54: {base: '/', shift: '/'}, 0x55: {base: '*', shift: '*'},
	0x56: {base: '-', shift: '-'}, 0x57: {base: '+', shift: '+'},
	0x59: {base: '1', shift: '1'}, 0x5A: {base: '2', shift: '2'}, 0x5B: {base: '3', shift: '3'},
	0x5C: {base: '4', shift: '4'}, 0x5D: {base: '5', shift: '5'}, 0x5E: {base: '6', shift: '6'},
	0x5F: {base: '7', shift: '7'}, 0x60: {base: '8', shift: '8'}, 0x61: {base: '9', shift: '9'},
	0x62: {base: '0', shift: '0'}, 0x63: {base: '.', shift: '.'},
}

// usLayout is the US layout (HARDWARE.md "US usage table").
var usLayout = letters(derive(keypad, kbdLayout{
	0x1E: {base: '1', shift: '!'}, 0x1F: {base: '2', shift: '@'}, 0x20: {base: '3', shift: '#'},
	0x21: {base: '4', shift: '$'}, 0x22: {base: '5', shift: '%'}, 0x23: {base: '6', shift: '^'},
	0x24: {base: '7', shift: '&'}, 0x25: {base: '8', shift: '*'}, 0x26: {base: '9', shift: '('},
	0x27: {base: '0', shift: ')'},
	0x2C: {base: ' ', shift: ' '},
	0x2D: {base: '-', shift: '_'}, 0x2E: {base: '=', shift: '+'}, 0x2F: {base: '[', shift: '{'},
	0x30: {base: ']', shift: '}'}, 0x31: {base: '\\', shift: '|'}, 0x32: {base: '\\', shift: '|'},
	0x33: {base: ';', shift: ':'}, 0x34: {base: '\'', shift: '"'}, 0x35: {base: '`', shift: '~'},
	0x36: {base: ',', shift: '<'}, 0x37: {base: '.', shift: '>'}, 0x38: {base: '/', shift: '?'},
	0x64: {base: '\\', shift: '|'},
}))

// ukLayout: Shift+2 is '"', Shift+3 '£', '@' sits on the quote key, '#~'
// on the key left of Enter, '\|' left of Z.
var ukLayout = derive(usLayout, kbdLayout{
	0x1F: {base: '2', shift: '"'}, 0x20: {base: '3', shift: '£'}, 0x21: {base: '4', shift: '$', altgr: '€'},
	0x31: {base: '#', shift: '~'}, 0x32: {base: '#', shift: '~'},
	0x34: {base: '\'', shift: '@'}, 0x35: {base: '`', shift: '¬', altgr: '¦'},
	0x64: {base: '\\', shift: '|'},
})

// deLayout is German QWERTZ (Windows "Deutsch"): y/z swapped, shifted
// digits differ, brackets and '@' on AltGr, ´ ` ^ are dead keys.
var deLayout = derive(usLayout, kbdLayout{
	0x1C: {base: 'z', shift: 'Z', caps: true}, 0x1D: {base: 'y', shift: 'Y', caps: true},
	0x14: {base: 'q', shift: 'Q', altgr: '@', caps: true},
	0x08: {base: 'e', shift: 'E', altgr: '€', caps: true},
	0x10: {base: 'm', shift: 'M', altgr: 'µ', caps: true},
	0x1E: {base: '1', shift: '!'}, 0x1F: {base: '2', shift: '"', altgr: '²'},
	0x20: {base: '3', shift: '§', altgr: '³'}, 0x21: {base: '4', shift: '$'},
	0x22: {base: '5', shift: '%'}, 0x23: {base: '6', shift: '&'},
	0x24: {base: '7', shift: '/', altgr: '{'}, 0x25: {base: '8', shift: '(', altgr: '['},
	0x26: {base: '9', shift: ')', altgr: ']'}, 0x27: {base: '0', shift: '=', altgr: '}'},
	0x2D: {base: 'ß', shift: '?', altgr: '\\'}, 0x2E: {base: '´', shift: '`', dead: deadBase | deadShift},
	0x2F: {base: 'ü', shift: 'Ü', caps: true}, 0x30: {base: '+', shift: '*', altgr: '~'},
	0x31: {base: '#', shift: '\''}, 0x32: {base: '#', shift: '\''},
	0x33: {base: 'ö', shift: 'Ö', caps: true}, 0x34: {base: 'ä', shift: 'Ä', caps: true},
	0x35: {base: '^', shift: '°', dead: deadBase},
	0x36: {base: ',', shift: ';'}, 0x37: {base: '.', shift: ':'}, 0x38: {base: '-', shift: '_'},
	0x64: {base: '<', shift: '>', altgr: '|'},
	0x63: {base: ',', shift: ','}, // the German keypad types a decimal comma
})

// frLayout is French AZERTY (Windows "Français"): symbols on the unshifted
// digit row and digits with Shift (or Caps Lock, as on Windows), a/q and
// z/w swapped, m right of l.
var frLayout = derive(usLayout, kbdLayout{
	0x04: {base: 'q', shift: 'Q', caps: true}, 0x14: {base: 'a', shift: 'A', caps: true},
	0x1A: {base: 'z', shift: 'Z', caps: true}, 0x1D: {base: 'w', shift: 'W', caps: true},
	0x33: {base: 'm', shift: 'M', caps: true}, 0x10: {base: ',', shift: '?'},
	0x08: {base: 'e', shift: 'E', altgr: '€', caps: true},
	0x1E: {base: '&', shift: '1', caps: true}, 0x1F: {base: 'é', shift: '2', altgr: '~', caps: true, dead: deadAltGr},
	0x20: {base: '"', shift: '3', altgr: '#', caps: true}, 0x21: {base: '\'', shift: '4', altgr: '{', caps: true},
	0x22: {base: '(', shift: '5', altgr: '[', caps: true}, 0x23: {base: '-', shift: '6', altgr: '|', caps: true},
	0x24: {base: 'è', shift: '7', altgr: '`', caps: true, dead: deadAltGr}, 0x25: {base: '_', shift: '8', altgr: '\\', caps: true},
	0x26: {base: 'ç', shift: '9', altgr: '^', caps: true}, 0x27: {base: 'à', shift: '0', altgr: '@', caps: true},
	0x2D: {base: ')', shift: '°', altgr: ']'}, 0x2E: {base: '=', shift: '+', altgr: '}'},
	0x2F: {base: '^', shift: '¨', dead: deadBase | deadShift}, 0x30: {base: '$', shift: '£', altgr: '¤'},
	0x31: {base: '*', shift: 'µ'}, 0x32: {base: '*', shift: 'µ'},
	0x34: {base: 'ù', shift: '%'}, 0x35: {base: '²'},
	0x36: {base: ';', shift: '.'}, 0x37: {base: ':', shift: '/'}, 0x38: {base: '!', shift: '§'},
	0x64: {base: '<', shift: '>'},
})

func init() {
	kbdLayouts["us"] = usLayout
	kbdLayouts["uk"] = ukLayout
	kbdLayouts["de"] = deLayout
	kbdLayouts["fr"] = frLayout
}
