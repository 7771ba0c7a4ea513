package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/config"
	_ "github.com/offcircd/offcircd/devices/all"
)

// Two [[scanner]] tables on one serial port (also through a link, as
// /dev/serial/by-id names are) are refused at the second one's port line.
func TestTwoScannersOnOnePortRefused(t *testing.T) {
	dir := t.TempDir()
	port := filepath.Join(dir, "ttyUSB0")
	os.WriteFile(port, nil, 0o600)
	link := filepath.Join(dir, "usb-Honeywell-if00")
	if err := os.Symlink(port, link); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, second string
		refused      bool
	}{
		{"same path", port, true},
		{"a link to it", link, true},
		{"another port", filepath.Join(dir, "ttyUSB1"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(dir, "c.toml")
			body := "data_dir = 'files'\nstate_dir = 'state'\n\n[[scanner]]\nname = 'desk'\ntype = 'serial'\nport = '" + port +
				"'\n\n[[scanner]]\nname = 'drop'\ntype = 'serial'\nmode = 'return'\nport = '" + tt.second + "'\n"
			os.WriteFile(cfg, []byte(body), 0o600)
			_, err := config.Load(cfg)
			got := err != nil && strings.Contains(err.Error(), "c.toml:13:") && strings.Contains(err.Error(), `is already scanner "desk"'s`)
			if got != tt.refused {
				t.Errorf("refused = %v, want %v: %v", got, tt.refused, err)
			}
		})
	}
}
