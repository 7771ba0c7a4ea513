// Package config owns offcircd's configuration: one struct with defaults,
// loaded from TOML, validated in one pass that names the file and line of
// every problem. It also owns the station's vocabulary (names.go): the
// commands and feedback patterns, one table each, which validation, the
// station, the devices and the commented default configuration all read.
//
// A [[scanner]] table's own keys belong to its transport: each scanner
// type registers its options type here (scanner.go, by devices.Register),
// config decodes each table's keys into the type registered for its type
// and lets the options check themselves, with the same file:line and "did
// you mean" as every other key. Config knows the types' names, never
// their fields, and depends on no other offcircd package.
package config
