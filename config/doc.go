// Package config owns offcircd's configuration: one struct with defaults,
// loaded from TOML, validated in one pass that names the file and line of
// every problem. It also owns the station's vocabulary (names.go): the
// commands, feedback patterns, scanner types and beep profiles, one table
// each, which validation, the station, the devices and the commented
// default configuration all read. It depends on no other offcircd package.
package config
