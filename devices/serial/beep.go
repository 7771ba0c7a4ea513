package serial

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/offcircd/offcircd/config"

	"github.com/offcircd/offcircd/devices/decode"
)

// Scanner-side beep profiles for serial scanners: the bytes the host
// writes to make the scanner itself sound a pattern. Pattern names are the
// feedback pattern names of the config ("good", "reject", ...); they are
// repeated here as strings so the transport does not depend on the daemon.

// The SSI beep codes (SSI programmer guide, "BEEP"): 0x00–0x04 one to five
// short high, 0x05–0x09 short low, 0x0A–0x0E long high, 0x0F–0x13 long
// low, 0x14 fast warble, 0x15 slow warble, 0x16 high-low, 0x17 low-high,
// 0x18 high-low-high, 0x19 low-high-low, 0x1A high-high-low-low.
var ssiPatternCodes = map[string]byte{
	"good":          0x00, // one short high: the record is on disk
	"patron":        0x01, // two short high
	"mode-loan":     0x17, // low-high: "going out"
	"mode-return":   0x16, // high-low: "coming back"
	"double":        0x05, // one short low: ignored, not an error
	"reject":        0x10, // two long low
	"write-failure": 0x14, // fast warble: unmistakably wrong
	"not-stored":    0x15, // slow warble: wrong, and unlike the spooled case
	"undo":          0x19, // low-high-low
}

var (
	bel       = []byte{0x07}
	honeyBeep = []byte{0x16, 0x07, 0x0D} // SYN BEL CR
)

// simpleProfiles have one beep command, the same for every pattern: the
// scanner sink sounds it in each pattern's rhythm (count and spacing, see
// OneSound), so the patterns differ by ear on a scanner with one tone.
var simpleProfiles = map[string][]byte{
	"bel":       bel,
	"honeywell": honeyBeep,
	"datalogic": bel,
}

// BeepProfiles lists the profile names BeepBytes accepts
// besides raw hex bytes.
func BeepProfiles() []string {
	out := []string{"none", "zebra-ssi"}
	for k := range simpleProfiles {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// BeepBytes returns the bytes to write to a serial scanner for
// pattern under profile (none | bel | honeywell | zebra-ssi | datalogic |
// hex bytes such as "16 07 0D": one command for every pattern, see OneSound). overrides
// (beep_bytes) maps a pattern name to hex bytes and wins over the profile;
// an empty override silences that pattern. No bytes and no error means
// "nothing to send".
func BeepBytes(profile, pattern string, overrides map[string]string) ([]byte, error) {
	if !config.IsPattern(pattern) {
		if _, ok := overrides[pattern]; !ok {
			return nil, fmt.Errorf("serial: beep %q: %w", pattern, config.ErrUnknownPattern)
		}
	}
	if h, ok := overrides[pattern]; ok {
		b, err := parseHexBytes(h)
		if err != nil {
			return nil, fmt.Errorf("serial: beep_bytes %q: %w", pattern, err)
		}
		return b, nil
	}
	p := strings.ToLower(strings.TrimSpace(profile))
	switch p {
	case "", "none":
		return nil, nil
	case "zebra-ssi":
		return decode.ZebraSSIBeep(ssiPatternCodes[pattern]), nil
	}
	if one, ok := simpleProfiles[p]; ok {
		return append([]byte(nil), one...), nil
	}
	b, err := parseHexBytes(profile)
	if err != nil {
		return nil, fmt.Errorf("serial: beep %q: not a profile (%s) nor hex bytes: %w",
			profile, strings.Join(BeepProfiles(), ", "), err)
	}
	return b, nil
}

// OneSound reports whether profile sounds pattern with the one beep command
// it has for every pattern (bel, honeywell, datalogic, or hex bytes), which
// the caller then repeats in the pattern's rhythm. Zebra SSI has a beep code
// per pattern, and a beep_bytes override is sent exactly as written.
func OneSound(profile, pattern string, overrides map[string]string) bool {
	if _, ok := overrides[pattern]; ok {
		return false
	}
	switch p := strings.ToLower(strings.TrimSpace(profile)); p {
	case "", "none", "zebra-ssi":
		return false
	}
	return true
}

// parseHexBytes reads hex bytes written with or without spaces, commas or
// 0x prefixes: "16 07 0D", "16070d", "0x16,0x07,0x0d".
func parseHexBytes(s string) ([]byte, error) {
	r := strings.NewReplacer("0x", "", "0X", "", " ", "", ",", "", ":", "", "\t", "")
	clean := r.Replace(strings.TrimSpace(s))
	if clean == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(clean)
	if err != nil {
		return nil, fmt.Errorf("bad hex bytes %q", s)
	}
	return b, nil
}

// checkBeepProfile validates a scanner's beep settings once, at start,
// so a typo is reported before the first scan instead of at every beep.
func checkBeepProfile(profile string, overrides map[string]string) error {
	for _, p := range config.Patterns {
		if _, err := BeepBytes(profile, string(p), overrides); err != nil {
			return err
		}
	}
	for p := range overrides {
		if _, err := BeepBytes(profile, p, overrides); err != nil {
			return err
		}
	}
	return nil
}
