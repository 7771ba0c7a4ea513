package main

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
	"github.com/offcircd/offcircd/devices/decode"
	"github.com/offcircd/offcircd/devices/hid"
	"github.com/offcircd/offcircd/devices/serial"
)

// TestCaptureTargets: every source with raw input can be captured, the
// keypad included (it is built from [keypad], not a scanner table).
func TestCaptureTargets(t *testing.T) {
	cfg := &config.Config{
		Scanners: []config.Scanner{
			{Name: "desk", Type: "serial", Options: &serial.Options{Port: "/dev/ttyACM0"}},
			{Name: "pos", Type: "hid-pos", Options: &hid.Options{USB: devices.USB{VID: "0c2e", PID: "0b87"},
				Config: decode.Config{POSLayout: "honeywell"}}},
			{Name: "typed", Type: "console"},
		},
		Keypad: &config.Keypad{VID: "05f9", PID: "2206", Keys: map[string]string{"KP_1": "loan"}},
	}
	tests := []struct {
		name, typ, decoder, err string
	}{
		{"desk", "serial", "serial", ""},
		{"pos", "hid-pos", "hid-pos", ""},
		{"keypad", "keypad", "hid-keyboard", ""},
		{"typed", "", "", "no raw input"},
		{"nobody", "", "", "no scanner named"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, err := findCaptureTarget(cfg, tt.name)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if target.typ != tt.typ || target.decoder != tt.decoder {
				t.Errorf("type %q decoder %q, want %q %q", target.typ, target.decoder, tt.typ, tt.decoder)
			}
			src, err := target.open(devices.Env{}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := src.(devices.Tapper); !ok || src.Name() != tt.name {
				t.Errorf("source %q (%T) cannot be captured", src.Name(), src)
			}
		})
	}
}
