package decode

import (
	"slices"
	"testing"
)

// TestOptionNamesAreTheTables keeps the layout names the options accept
// (in the docs' order) equal to the layouts the decoders have.
func TestOptionNamesAreTheTables(t *testing.T) {
	if got, want := slices.Sorted(slices.Values(keyboardLayoutNames)), KeyboardLayouts(); !slices.Equal(got, want) {
		t.Errorf("layout names %v, keyboard layouts %v", got, want)
	}
	if got, want := slices.Sorted(slices.Values(posLayoutNames)), POSLayouts(); !slices.Equal(got, want) {
		t.Errorf("pos_layout names %v, HID POS layouts %v", got, want)
	}
}
