package hid

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
)

func TestKeypadConfig(t *testing.T) {
	cfg := &config.Config{Keypad: &config.Keypad{VID: "05f9", PID: "2206", Keys: map[string]string{"KP_BOGUS": "loan"}}}
	if _, err := NewKeypad(cfg.Keypad, devices.Env{}, hidQuietLog()); err == nil || !strings.Contains(err.Error(), "KP_BOGUS") {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := NewKeypad(nil, devices.Env{}, hidQuietLog()); err == nil {
		t.Error("no [keypad] table: no error")
	}
	cfg.Keypad.Keys = map[string]string{"KP_1": "loan"}
	src, err := NewKeypad(cfg.Keypad, devices.Env{}, hidQuietLog())
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*hidSource)
	s.unsupported = keyboardUnsupported("windows")
	if err := s.Run(context.Background(), make(chan devices.Event)); !errors.Is(err, ErrKeyboardUnsupported) {
		t.Errorf("windows keypad: %v", err)
	}
}

func TestKeypadSourceReadsDevice(t *testing.T) {
	b := newFakeHIDBackend()
	dev := b.plug("usb-kp", "")
	cfg := &config.Config{Keypad: &config.Keypad{VID: "0c2e", PID: "0b87", Keys: map[string]string{"KP_PLUS": "toggle"}}}
	s, err := newKeypad(cfg.Keypad, devices.Env{}, hidQuietLog(), b)
	if err != nil {
		t.Fatal(err)
	}
	s.interval, s.readTimeout, s.goos, s.unsupported = 5*time.Millisecond, 2*time.Millisecond, "linux", nil
	out, stop := hidRunSource(t, s)
	defer stop()
	hidNext(t, out, devices.KindState)
	dev.reports <- kpReport(0, 0x57)
	if ev := hidNext(t, out, devices.KindCommand); ev.Command != "toggle" || ev.Source != "keypad" {
		t.Fatalf("%+v", ev)
	}
}

// kpReport is a boot keyboard report: modifiers, reserved, keys.
func kpReport(mods byte, keys ...byte) []byte {
	r := make([]byte, 8)
	r[0] = mods
	copy(r[2:], keys)
	return r
}
