// Package serial owns the serial transport: a scanner on an RS-232 port or
// a USB virtual COM port, opened by name or found by its USB ids at every
// reconnect, read through the serial framer of devices/decode, and its
// scanner-side beep profiles (the bytes written to make the scanner sound
// a pattern). The machine's ports come in through the constructor
// (serialPorts); go.bug.st/serial is the real one. It registers the
// "serial" scanner type and the serial port listing of `offcircd devices`.
package serial
