package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// A [[scanner]] table has a few keys every scanner has (name, type, mode,
// beep, beep_bytes: Scanner) and the keys of its transport, which the
// transport owns: its options type, registered here under the type's name
// (devices.Register). Config decodes the common keys itself and each
// table's other keys into a new value of the options type registered for
// its type, and reports every problem of both with its file and line. It
// knows the names of the types, never their fields.

// ScannerOptions is a transport's part of a [[scanner]] table: a pointer to
// a struct whose toml tags are its keys (embedded structs add theirs).
type ScannerOptions interface {
	// Check reports every problem of the options. It runs on options as
	// decoded (an unset option is its zero value) and, through Validate,
	// on options already given their defaults: it accepts both.
	Check(r *Report)
	// Defaults fills every unset option with its default.
	Defaults()
}

// ScannerType is what config knows of one scanner type.
type ScannerType struct {
	Name string
	// Options returns a new options value with nothing set.
	Options func() ScannerOptions
	// Beeps are the beep profiles the scanner plays itself, besides "none"
	// and hex bytes; none: it cannot beep itself.
	Beeps []string
}

var (
	typesMu sync.Mutex
	types   []ScannerType // in registration order: the order of messages and docs
)

// RegisterScannerType makes a scanner type known to config; its transport
// registers it (devices.Register), once, before any configuration is read.
func RegisterScannerType(t ScannerType) {
	typesMu.Lock()
	defer typesMu.Unlock()
	if slices.ContainsFunc(types, func(o ScannerType) bool { return o.Name == t.Name }) {
		panic("config: scanner type " + t.Name + " registered twice")
	}
	types = append(types, t)
}

// ScannerTypes lists the registered scanner types, in registration order.
func ScannerTypes() []string {
	typesMu.Lock()
	defer typesMu.Unlock()
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = t.Name
	}
	return out
}

// LookupScannerType returns the registered type named name.
func LookupScannerType(name string) (ScannerType, bool) {
	typesMu.Lock()
	defer typesMu.Unlock()
	for _, t := range types {
		if t.Name == name {
			return t, true
		}
	}
	return ScannerType{}, false
}

// registeredTypes is a copy of the registry.
func registeredTypes() []ScannerType {
	typesMu.Lock()
	defer typesMu.Unlock()
	return slices.Clone(types)
}

// ScannerBeeps lists the beep profiles each scanner type plays itself
// (besides "none" and hex bytes); a type missing here cannot beep.
func ScannerBeeps() map[string][]string {
	out := map[string][]string{}
	for _, t := range registeredTypes() {
		if len(t.Beeps) > 0 {
			out[t.Name] = slices.Clone(t.Beeps)
		}
	}
	return out
}

// BeepProfiles lists every beep profile a scanner may name: "none" and what
// some scanner type plays, in registration order.
func BeepProfiles() []string {
	out := []string{"none"}
	for _, t := range registeredTypes() {
		for _, p := range t.Beeps {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// commonScannerKeys are the keys of Scanner itself.
var commonScannerKeys = tomlKeys(reflect.TypeFor[Scanner]())

// optionsType is the struct type behind a type's options.
func optionsType(t ScannerType) reflect.Type {
	rt := reflect.TypeOf(t.Options())
	for rt.Kind() == reflect.Pointer {
		rt = rt.Elem()
	}
	return rt
}

// optionField finds the field of key among the options of the scanner
// type named typ, or of every registered type when typ is not one (its
// values are still checked then); owners names the types that take key.
func optionField(typ, key string) (f reflect.StructField, ok bool, owners []string) {
	own, registered := LookupScannerType(typ)
	for _, t := range registeredTypes() {
		sf, has := fieldByTag(optionsType(t), key)
		if !has {
			continue
		}
		owners = append(owners, t.Name)
		if (registered && t.Name == own.Name) || (!registered && !ok) {
			f, ok = sf, true
		}
	}
	return f, ok, owners
}

// scannerKeys lists the keys a table of type typ takes (every type's when
// typ is not registered), common keys first.
func scannerKeys(typ string) []string {
	keys := slices.Clone(commonScannerKeys)
	own, registered := LookupScannerType(typ)
	for _, t := range registeredTypes() {
		if registered && t.Name != own.Name {
			continue
		}
		for _, k := range tomlKeys(optionsType(t)) {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// tomlKeys lists the toml keys of a struct type, embedded structs' included.
func tomlKeys(t reflect.Type) []string {
	var keys []string
	for _, f := range tomlFields(t) {
		keys = append(keys, strings.Split(f.Tag.Get("toml"), ",")[0])
	}
	return keys
}

// tomlFields lists the fields of a struct type that have a toml key, with
// the fields of embedded structs in their place.
func tomlFields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("toml"), ",")[0]
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			for _, sf := range tomlFields(f.Type) {
				sf.Index = append([]int{i}, sf.Index...)
				out = append(out, sf)
			}
			continue
		}
		if tag != "" && tag != "-" && f.IsExported() {
			out = append(out, f)
		}
	}
	return out
}

// Report is how a transport's options report their problems: each names
// the scanner (its label) and the file and line of the key.
type Report struct {
	v     *validator
	i     int
	label string
	typ   string
}

// path is the key path of key in this table ("" is the table itself).
func (r *Report) path(key string) string {
	if key == "" {
		return fmt.Sprintf("scanner[%d]", r.i)
	}
	return fmt.Sprintf("scanner[%d].%s", r.i, key)
}

// Type is the scanner's type ("serial", ...).
func (r *Report) Type() string { return r.typ }

// Errorf reports a problem of key ("" for the table as a whole: a missing
// key), at its line, after the scanner's label.
func (r *Report) Errorf(key, format string, a ...any) {
	r.v.errorf(r.path(key), "%s%s", r.label, fmt.Sprintf(format, a...))
}

// Has reports whether the file sets key to a usable value (an explicit
// zero, which a default would silently replace, is then an error).
func (r *Report) Has(key string) bool {
	p := r.path(key)
	return r.v.c.has(p) && !r.v.c.bad[p]
}

// OneOf checks an enumerated option; "" (unset: the default) passes.
func (r *Report) OneOf(key, val string, allowed []string) {
	if val != "" {
		r.v.oneOf(r.path(key), r.label, key, val, allowed)
	}
}

// Bounded checks a duration option against its sane range min..max; 0
// (unset) passes, an explicit 0 is an error.
func (r *Report) Bounded(key string, d, min, max time.Duration) {
	switch {
	case d != 0:
		r.v.within(r.path(key), d, min, max, r.label)
	case r.Has(key):
		r.Errorf(key, "%s must be greater than 0", key)
	}
}

// USBIDs checks a vid and pid as lsusb prints them (4 hex digits).
func (r *Report) USBIDs(vid, pid string) {
	r.v.usbIDs(r.label, r.path, vid, pid)
}

// ReadableFile checks that path names a file this user can read.
func (r *Report) ReadableFile(key, path string) {
	if fi, err := os.Stat(path); err != nil {
		r.Errorf(key, "%s %s: %v", key, path, unwrapPath(err))
	} else if fi.IsDir() {
		r.Errorf(key, "%s %s is a directory", key, path)
	} else if f, err := os.Open(path); err != nil {
		r.Errorf(key, "%s %s cannot be read: %v", key, path, unwrapPath(err))
	} else {
		f.Close()
	}
}

// PathOptions is implemented by options that name files: Load makes each
// relative path relative to the configuration file's folder.
type PathOptions interface {
	Paths() []*string
}

var scannerKeyPath = regexp.MustCompile(`^scanner\[(\d+)\]\.([^.\[]+)`)

// scannerKey splits a key path inside a [[scanner]] table into the table's
// index and the key ("scanner[2].baud" is 2, "baud").
func scannerKey(path string) (int, string, bool) {
	m := scannerKeyPath.FindStringSubmatch(path)
	if m == nil {
		return 0, "", false
	}
	i, err := strconv.Atoi(m[1])
	return i, m[2], err == nil
}

// decodeOptions decodes each [[scanner]] table's transport keys (all but
// the common ones) from optDoc into a new options value of the table's
// type: a value of the wrong type, a key no type has (with the closest
// known key) and a key of another type are reported at their lines, the
// rest decoded. reported holds keys the strict decoder already named.
func (c *Config) decodeOptions(file string, data, optDoc []byte, lay *layout, bad, reported map[string]bool) []Problem {
	var probs []Problem
	add := func(path string, warning bool, format string, a ...any) {
		probs = append(probs, Problem{File: file, Line: lineOf(lay.lines, path), Key: path, Msg: fmt.Sprintf(format, a...), Warning: warning})
	}
	// A value the first pass could not see (a duplicate key) fails this
	// decode: report it, blank it, decode again.
	var doc map[string]any
	for range maxDecodeRounds {
		doc = nil
		err := toml.Unmarshal(optDoc, &doc)
		if err == nil {
			break
		}
		var de *toml.DecodeError
		if !errors.As(err, &de) {
			return probs
		}
		row, col := de.Position()
		sp, ok := lay.enclosing(lay.offsetOf(row, col))
		if !ok || bad[sp.path] {
			return probs
		}
		probs = append(probs, Problem{File: file, Line: row, Key: sp.path, Msg: decodeMessage(displayKey(sp.path), de.Error())})
		bad[sp.path] = true
		blank(optDoc, sp)
	}
	tables, _ := doc["scanner"].([]any)
	for i, t := range tables {
		m, ok := t.(map[string]any)
		if !ok || i >= len(c.Scanners) {
			continue
		}
		sc := &c.Scanners[i]
		label := scannerLabel(i, *sc)
		sub := map[string]any{}
		for _, k := range sortedKeys(m) {
			path := fmt.Sprintf("scanner[%d].%s", i, k)
			if slices.Contains(commonScannerKeys, k) || bad[path] || reported[k] {
				continue
			}
			f, ok, owners := optionField(sc.Type, k)
			switch {
			case ok:
				var wrong []badValue
				walkValue(m[k], f.Type, path, &wrong)
				for _, b := range wrong {
					msg := b.msg
					if sp, ok := lay.entryFor(b.path); ok && b.escape {
						msg += singleQuoteAdvice(string(data[sp.start:sp.end]))
					}
					add(b.path, false, "%s", msg)
				}
				if len(wrong) > 0 {
					bad[path] = true
					continue
				}
				sub[k] = m[k]
			case len(owners) > 0:
				// Written for another type (the table's type changed, a
				// copied table): said, and nothing is done with it.
				add(path, true, "%s%s does nothing on a %s scanner (%s scanners take it)", label, k, sc.Type, strings.Join(owners, ", "))
			default:
				msg := fmt.Sprintf("unknown key %q in [[scanner]]", k)
				s := closest(k, scannerKeys(sc.Type))
				if s == "" {
					s = closest(k, scannerKeys(""))
				}
				if s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				add(path, false, "%s", msg)
			}
		}
		typ, registered := LookupScannerType(sc.Type)
		if !registered {
			continue
		}
		opts := typ.Options()
		if len(sub) > 0 {
			b, err := toml.Marshal(sub)
			if err == nil {
				dec := toml.NewDecoder(bytes.NewReader(b))
				dec.DisallowUnknownFields()
				err = dec.Decode(opts)
			}
			if err != nil {
				add(fmt.Sprintf("scanner[%d]", i), false, "%s%s", label, tomlMessage(err.Error()))
			}
		}
		sc.Options = opts
	}
	return probs
}
