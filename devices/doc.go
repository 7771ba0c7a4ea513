// Package devices owns everything that reads scanners and keypads: the
// transports (serial, HID POS, HID keyboard, console, replay), the decoders
// that turn raw bytes into scans, the capture format, discovery, reconnect,
// and RunAll, the one fan-in of sources. Devices only deliver Events; they
// never touch station state.
package devices
