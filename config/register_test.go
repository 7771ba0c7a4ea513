package config_test

// The scanner types are the transports': this test binary registers them
// as the daemon does, so the tests of config read real [[scanner]] tables.
import _ "github.com/offcircd/offcircd/devices/all"
