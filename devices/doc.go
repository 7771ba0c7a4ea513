// Package devices owns what every scanner and keypad has in common: the
// Event a source delivers, the Source, Decoder, Beeper and Tapper
// interfaces, the registry that builds a source from its [[scanner]] table
// by type name, and RunAll, the one fan-in of sources. It holds no
// transport itself. Its subpackages, in the order data flows:
//
//   - decode: the pure decoders (raw chunks to events), shared by the
//     transports and by replay;
//   - serial, hid, console: the transports, each registering its scanner
//     types; capture: the capture format and the replay scanner type;
//   - all: imports every transport, so a binary can build them by name.
//
// Devices only deliver Events; they never touch station state.
package devices
