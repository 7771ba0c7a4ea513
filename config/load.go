package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// maxDecodeRounds bounds how many wrongly typed values Parse reports before
// giving up; each round re-decodes the document without the previous one.
const maxDecodeRounds = 64

// Load reads the configuration file at path over the installed-service
// defaults (Default), applies scanner defaults and validates everything.
// On failure the error is an *Errors listing every problem as FILE:LINE.
// Relative paths in the file are taken relative to the file's folder: a
// Windows service runs in System32, not where the config is.
func Load(path string) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// MaxFileSize is the largest config file Load reads; the example with every
// key and its comments is some 20 KiB.
const MaxFileSize = 1 << 20

// readFile reads the config file at path: a regular file of at most
// MaxFileSize bytes. A device (/dev/zero), a FIFO or a folder would have
// it read forever, wait for a writer or fail with a puzzling message.
func readFile(path string) ([]byte, error) {
	fail := func(format string, a ...any) error {
		return &Errors{Problems: []Problem{{File: path, Msg: fmt.Sprintf(format, a...)}}}
	}
	// Stat before open: opening a FIFO waits for a writer.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fail("cannot read: %v", unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fail("cannot read: not a regular file (%s): give the path of the configuration file", fileKind(fi.Mode()))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fail("cannot read: %v", unwrapPath(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fail("cannot read: %v", unwrapPath(err))
	}
	if len(data) > MaxFileSize {
		return nil, fail("cannot read: larger than %d KiB, which no configuration is: is this the right file?", MaxFileSize>>10)
	}
	return data, nil
}

// fileKind names what a path that is not a regular file is.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	}
	return "mode " + m.String()
}

// Parse is Load for a document already in memory; name is used in messages
// and to resolve relative paths.
func Parse(name string, data []byte) (*Config, error) { return parse(name, data, false) }

// parse is Parse; forReading skips the checks that folders are writable.
func parse(name string, data []byte, forReading bool) (*Config, error) {
	c, probs, err := decode(name, data)
	if err != nil {
		return nil, err
	}

	c.resolvePaths(filepath.Dir(name))
	c.forReading = forReading
	// Validation sees the options as written, so an explicit zero (baud =
	// 0) is told from an unset key before ApplyDefaults fills it.
	probs = append(probs, c.problems()...)
	c.ApplyDefaults()
	return c.finish(probs)
}

// decode decodes a document over Default, with every problem of a key's
// type or name; err is set when nothing usable could be decoded.
func decode(name string, data []byte) (*Config, []Problem, error) {
	var probs []Problem
	add := func(line int, key, format string, a ...any) {
		probs = append(probs, Problem{File: name, Line: line, Key: key, Msg: fmt.Sprintf(format, a...)})
	}

	if isUTF16(data) {
		add(1, "", "saved as UTF-16 (PowerShell `>`): save as UTF-8 (e.g. `offcircd config | Out-File -Encoding utf8 offcircd.toml` or Set-Content)")
		return nil, nil, &Errors{Problems: probs}
	}
	// Notepad saves UTF-8 with a byte order mark; TOML has no use for one.
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	lay, err := scanLayout(data)
	if err != nil {
		// A syntax error: go-toml's decoder reports it with a position.
		var de *toml.DecodeError
		if derr := toml.Unmarshal(data, &map[string]any{}); errors.As(derr, &de) {
			row, _ := de.Position()
			add(row, "", "syntax error: %s", tomlMessage(de.Error()))
		} else {
			add(0, "", "syntax error: %s", tomlMessage(err.Error()))
		}
		return nil, nil, &Errors{Problems: probs}
	}

	// Decode, and on each wrongly typed value record it, blank that key out
	// (keeping line breaks so lines stay put) and decode again: one bad value
	// must not hide the others.
	doc := bytes.Clone(data)
	// The scanners' transport options are decoded apart (decodeOptions),
	// from optDoc; doc holds everything else. A refused value is blanked
	// in both.
	optDoc := bytes.Clone(data)
	blankBoth := func(sp span) {
		blank(doc, sp)
		blank(optDoc, sp)
	}
	bad := map[string]bool{}
	// Values of the wrong type first, all of them with their lines: the
	// decoder below stops at the first, and names no line for some.
	var generic map[string]any
	if toml.Unmarshal(data, &generic) == nil {
		for _, b := range typeProblems(generic) {
			msg := b.msg
			sp, ok := lay.entryFor(b.path)
			if ok && b.escape {
				msg += singleQuoteAdvice(string(data[sp.start:sp.end]))
			}
			add(lineOf(lay.lines, b.path), b.path, "%s", msg)
			if ok {
				bad[sp.path+fmt.Sprint(sp.start)] = true
				bad[sp.path] = true
				bad[b.path] = true
				blankBoth(sp)
			}
		}
	}
	for _, sp := range lay.entries {
		if _, key, ok := scannerKey(sp.path); ok && !slices.Contains(commonScannerKeys, key) {
			blank(doc, sp)
		}
	}
	reported := map[string]bool{} // unknown keys the strict decoder named
	var c *Config
	for range maxDecodeRounds {
		c = Default()
		dec := toml.NewDecoder(bytes.NewReader(doc))
		dec.DisallowUnknownFields()
		err := dec.Decode(c)
		if err == nil {
			break
		}
		var sme *toml.StrictMissingError
		if errors.As(err, &sme) {
			for i := range sme.Errors {
				e := &sme.Errors[i]
				row, _ := e.Position()
				add(row, strings.Join(e.Key(), "."), "%s", unknownKeyMessage(e.Key()))
				if len(e.Key()) == 2 && e.Key()[0] == "scanner" {
					reported[e.Key()[1]] = true
				}
			}
			break
		}
		var de *toml.DecodeError
		if !errors.As(err, &de) {
			add(0, "", "%s", tomlMessage(err.Error()))
			return nil, nil, &Errors{Problems: probs}
		}
		row, col := de.Position()
		sp, ok := lay.enclosing(lay.offsetOf(row, col))
		key := strings.Join(de.Key(), ".")
		if ok {
			key = sp.path
		}
		add(row, key, "%s", decodeMessage(displayKey(key), de.Error()))
		if !ok || bad[sp.path+fmt.Sprint(sp.start)] {
			sortProblems(probs)
			return nil, nil, &Errors{Problems: probs}
		}
		bad[sp.path+fmt.Sprint(sp.start)] = true
		bad[sp.path] = true
		blankBoth(sp)
	}
	probs = append(probs, c.decodeOptions(name, data, optDoc, lay, bad, reported)...)
	c.Path = name
	c.lines = lay.lines
	if len(bad) > 0 {
		c.bad = bad
	}
	return c, probs, nil
}

// ParseScanners decodes the [[scanner]] tables of a document as Load does,
// options into their types and every unknown or wrongly typed key an
// error, but checks no value: for tests and tools that hold one scanner
// table (a device case, a snippet of `offcircd devices`).
func ParseScanners(name string, data []byte) ([]Scanner, error) {
	c, probs, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	if e := (&Errors{Problems: probs}); e.HasErrors() {
		sortProblems(probs)
		return nil, e
	}
	return c.Scanners, nil
}

// finish splits warnings from errors and decides the result.
func (c *Config) finish(probs []Problem) (*Config, error) {
	sortProblems(probs)
	e := &Errors{Problems: probs}
	if e.HasErrors() {
		return nil, e
	}
	c.Warnings = probs
	return c, nil
}

// entryFor finds the key = value that holds path: the entry itself, or the
// innermost entry whose value contains it (an array element, an inline
// table's key).
func (l *layout) entryFor(path string) (span, bool) {
	best, found := span{}, false
	for _, s := range l.entries {
		inside := path == s.path || strings.HasPrefix(path, s.path+".") || strings.HasPrefix(path, s.path+"[")
		if inside && (!found || len(s.path) > len(best.path)) {
			best, found = s, true
		}
	}
	return best, found
}

// enclosing finds the innermost key = value containing a byte offset.
func (l *layout) enclosing(off int) (span, bool) {
	best, found := span{}, false
	for _, s := range l.entries {
		if off >= s.start && off < s.end && (!found || s.end-s.start < best.end-best.start) {
			best, found = s, true
		}
	}
	return best, found
}

// blank replaces a key = value (and a comma after it, for inline tables)
// with spaces, leaving line breaks so every other line keeps its number.
func blank(doc []byte, s span) {
	end := s.end
	for end < len(doc) && (doc[end] == ' ' || doc[end] == '\t') {
		end++
	}
	start := s.start
	if end < len(doc) && doc[end] == ',' {
		end++
	} else {
		end = s.end
		// The last key of an inline table: its comma is before it.
		b := start
		for b > 0 && (doc[b-1] == ' ' || doc[b-1] == '\t') {
			b--
		}
		if b > 0 && doc[b-1] == ',' {
			start = b - 1
		}
	}
	for i := start; i < end && i < len(doc); i++ {
		if doc[i] != '\n' && doc[i] != '\r' {
			doc[i] = ' '
		}
	}
}

// resolvePaths makes relative paths relative to the config file's folder.
func (c *Config) resolvePaths(dir string) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	fix := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	fix(&c.DataDir)
	fix(&c.StateDir)
	fix(&c.LogFile)
	fix(&c.MetricsDir)
	for _, sc := range c.Scanners {
		if po, ok := sc.Options.(PathOptions); ok {
			for _, p := range po.Paths() {
				fix(p)
			}
		}
	}
}

var typeMismatch = regexp.MustCompile(`cannot decode TOML (\w+) into .*?(?:of )?type (\S+)$`)

// decodeMessage rewrites go-toml's messages, which talk about Go struct
// fields, into the user's terms.
func decodeMessage(key, msg string) string {
	msg = tomlMessage(msg)
	if m := typeMismatch.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s: expected %s, found a TOML %s", key, goTypeName(m[2]), m[1])
	}
	if strings.HasPrefix(msg, "cannot decode TOML") {
		return fmt.Sprintf("%s: wrong type of value (%s)", key, msg)
	}
	return fmt.Sprintf("%s: %s", key, msg)
}

func tomlMessage(msg string) string {
	return strings.TrimPrefix(msg, "toml: ")
}

func goTypeName(t string) string {
	switch t {
	case "int", "*int", "int64", "uint8":
		return "an integer"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "float64":
		return "a number"
	case "[]string":
		return "a list of strings"
	case "[][]int", "[]int":
		return "a list of [frequency, ms, pause] triples"
	case "config.Duration":
		return "a duration string such as \"30s\""
	}
	switch {
	case strings.HasPrefix(t, "map["):
		return "a table of strings"
	case strings.HasPrefix(t, "[]config."):
		return "an array of tables ([[" + strings.ToLower(strings.TrimPrefix(t, "[]config.")) + "]])"
	case strings.HasPrefix(t, "*config.") || strings.HasPrefix(t, "config."):
		return "a table"
	}
	return t
}

// unknownKeyMessage names the table the stray key is in and suggests the
// closest known key, because most unknown keys are typos.
func unknownKeyMessage(key []string) string {
	if len(key) == 0 {
		return "unknown key"
	}
	name := key[len(key)-1]
	where := ""
	if len(key) > 1 {
		table := strings.Join(key[:len(key)-1], ".")
		if isArrayTable(key[:len(key)-1]) {
			where = " in [[" + table + "]]"
		} else {
			where = " in [" + table + "]"
		}
	}
	msg := fmt.Sprintf("unknown key %q%s", name, where)
	if s := closest(name, knownKeys(key[:len(key)-1])); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg
}

// knownKeys lists the TOML keys of the table at path, by reflection on the
// struct tags so the list never drifts from the struct.
func knownKeys(path []string) []string {
	if len(path) == 1 && path[0] == "scanner" {
		return scannerKeys("") // every type's
	}
	t := reflect.TypeFor[Config]()
	for _, part := range path {
		f, ok := fieldByTag(t, part)
		if !ok {
			return nil
		}
		t = f.Type
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil
		}
	}
	return tomlKeys(t)
}

// isArrayTable reports whether path names an array of tables ([[scanner]]).
func isArrayTable(path []string) bool {
	t := reflect.TypeFor[Config]()
	for i, part := range path {
		f, ok := fieldByTag(t, part)
		if !ok {
			return false
		}
		t = f.Type
		if i == len(path)-1 {
			return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct
		}
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return false
		}
	}
	return false
}

var indexedKey = regexp.MustCompile(`^(\w+)\[(\d+)\]\.`)

// displayKey turns an internal key path into what a person counts:
// "scanner[0].baud" becomes "scanner 1: baud".
func displayKey(path string) string {
	m := indexedKey.FindStringSubmatchIndex(path)
	if m == nil {
		return path
	}
	var n int
	fmt.Sscan(path[m[4]:m[5]], &n)
	return fmt.Sprintf("%s %d: %s", path[m[2]:m[3]], n+1, path[m[1]:])
}

func fieldByTag(t reflect.Type, tag string) (reflect.StructField, bool) {
	for _, f := range tomlFields(t) {
		if strings.Split(f.Tag.Get("toml"), ",")[0] == tag {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// closest returns the candidate within edit distance 2 of s, if any.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = slices.Min([]int{prev[j] + 1, cur[j-1] + 1, prev[j-1] + cost})
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// isUTF16 tells a document saved as UTF-16, as Windows PowerShell 5's `>`
// and Out-File save by default: by its byte order mark, or without one by
// its NUL bytes. TOML allows no NUL, so the guess cannot turn away a valid
// file.
func isUTF16(data []byte) bool {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return true
	}
	// Without one, a NUL byte beside most characters: comments, keys and
	// punctuation are in the Latin range.
	head := data[:min(len(data), 512)]
	nul := bytes.Count(head, []byte{0})
	return nul >= 2 && nul >= len(head)/4
}

// unwrapPath drops the path from an *fs.PathError: the message already
// starts with the file name.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
