// Package capture owns the capture format (SPEC §7), a recorded stream of
// raw device input with its timing and, for HID, the device it came from;
// its writer, used by `offcircd capture`; and the "replay" scanner type,
// which plays a capture through the decoder of the transport it was
// recorded from, as that transport's read loop would.
package capture
