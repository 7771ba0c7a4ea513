// Package decode owns the pure decoders: the serial framer (terminators,
// idle framing, AIM identifiers, EAN/UPC add-ons, Zebra SSI replies), the
// HID POS decoder and its report layouts, the report descriptor parser
// that tells a device's layout, the keyboard-mode decoder with its
// keyboard layouts, and the keypad decoder. A decoder turns raw chunks and
// their arrival times into devices.Events; it opens nothing and runs no
// goroutine, so the transports and a replay of a capture decode alike.
package decode
