package decode

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/internal/golden"
)

// TestZebraSSIGolden pins the BEEP packet of every SSI beep code. The
// golden file was checked by hand against the rule: 05 E6 04 00 code,
// then 0x10000 - (sum of those bytes), high byte first.
func TestZebraSSIGolden(t *testing.T) {
	var b strings.Builder
	b.WriteString("# code  packet (len opcode source status code cksum-hi cksum-lo)\n")
	for code := 0; code <= SSIMaxBeep; code++ {
		p := ZebraSSIBeep(byte(code))
		if len(p) != ssiBeepSize || p[0] != 0x05 || p[1] != 0xE6 || p[2] != 0x04 || p[3] != 0x00 || p[4] != byte(code) {
			t.Fatalf("code %02X: header % X", code, p)
		}
		sum := 0
		for _, c := range p[:5] {
			sum += int(c)
		}
		if ck := 0x10000 - sum; p[5] != byte(ck>>8) || p[6] != byte(ck) {
			t.Fatalf("code %02X: checksum % X, want %04X", code, p[5:], ck)
		}
		if !ssiChecksumOK(p) {
			t.Fatalf("code %02X: own checksum check fails", code)
		}
		fmt.Fprintf(&b, "%02X      % X\n", code, p)
	}
	// The example of the SSI manual (HARDWARE.md): one short high beep.
	if got := fmt.Sprintf("% X", ZebraSSIBeep(0)); got != "05 E6 04 00 00 FF 11" {
		t.Fatalf("beep 00 = %s", got)
	}
	// And the scanner's ACK of HARDWARE.md passes the same rule.
	if !ssiChecksumOK([]byte{0x04, 0xD0, 0x04, 0x00, 0xFF, 0x28}) {
		t.Fatal("ACK checksum")
	}
	golden.Check(t, filepath.Join("..", "..", "testdata", "serial", "zebra-ssi-beeps.golden"), []byte(b.String()))
}
