// Package hid owns the USB HID transport: hid-pos and hid-keyboard
// scanners and the [keypad], found by vid, pid, serial number and
// interface, reopened after an unplug, decoded by devices/decode, and
// beeped through HID POS output reports. hidapi (github.com/karalabe/hid)
// sits behind hidBackend, which the constructors take, so the read loop,
// hotplug and close are tested with a fake device. It registers the two
// HID scanner types, the keypad and the HID listing of `offcircd devices`.
package hid
