package decode

// The Zebra SSI (Simple Serial Interface) packet format: the host writes
// BEEP packets (devices/serial), the scanner answers with ACK or NAK
// packets, which the framer consumes so they never become scans.

// SSI packet constants.
const (
	ssiOpBeep   = 0xE6
	ssiCmdAck   = 0xD0
	ssiCmdNak   = 0xD1
	ssiHost     = 0x04 // message source: host
	SSIMaxBeep  = 0x1A // highest beep code of the SSI table
	ssiBeepSize = 7
)

// ZebraSSIBeep returns the SSI BEEP packet for beep code: length 05,
// opcode E6, source 04 (host), status 00, the code, then the 16-bit
// checksum 0x10000 - sum of the preceding bytes, high byte first.
func ZebraSSIBeep(code byte) []byte {
	p := []byte{ssiBeepSize - 2, ssiOpBeep, ssiHost, 0x00, code}
	return appendSSIChecksum(p)
}

func appendSSIChecksum(p []byte) []byte {
	sum := 0
	for _, b := range p {
		sum += int(b)
	}
	ck := uint16(0x10000 - sum)
	return append(p, byte(ck>>8), byte(ck))
}

// ssiChecksumOK checks a complete SSI packet (length byte first, checksum last).
func ssiChecksumOK(p []byte) bool {
	n := len(p)
	if n < 4 || int(p[0])+2 != n {
		return false
	}
	sum := 0
	for _, b := range p[:n-2] {
		sum += int(b)
	}
	return uint16(0x10000-sum) == uint16(p[n-2])<<8|uint16(p[n-1])
}
