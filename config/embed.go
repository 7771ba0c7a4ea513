package config

import _ "embed"

// DefaultTOML is the commented default configuration that `offcircd config`
// prints; every key is explained, and Load accepts it unchanged.
//
//go:embed default.toml
var DefaultTOML []byte
