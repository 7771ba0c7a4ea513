package config

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
)

// badValue is a value of the wrong type (or a string that cannot be what
// the user meant) found before the real decode, at its key path.
type badValue struct {
	path   string
	msg    string
	escape bool // a string with control characters
}

// typeProblems walks the document decoded into plain TOML values beside the
// Config struct and returns every value the decoder would refuse: the wrong
// TOML type, a duration that does not parse, a string holding control
// characters. The decoder stops at the first of these and, for some, says
// nowhere which line it was on; found here, each gets its line and none
// hides another.
func typeProblems(doc map[string]any) []badValue {
	var out []badValue
	walkTable(doc, reflect.TypeFor[Config](), "", &out)
	return out
}

var durationType = reflect.TypeFor[Duration]()

func walkTable(m map[string]any, t reflect.Type, prefix string, out *[]badValue) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, ok := fieldByTag(t, k)
		if !ok {
			continue // unknown keys are the strict decoder's to report
		}
		walkValue(m[k], f.Type, joinKey(prefix, k), out)
	}
}

func walkValue(v any, t reflect.Type, path string, out *[]badValue) {
	wrong := func() {
		*out = append(*out, badValue{path: path, msg: fmt.Sprintf("%s: expected %s, found a TOML %s", displayKey(path), goTypeName(t.String()), tomlKind(v))})
	}
	if t == durationType {
		s, ok := v.(string)
		if !ok {
			wrong()
			return
		}
		if _, err := time.ParseDuration(s); err != nil {
			*out = append(*out, badValue{path: path, msg: fmt.Sprintf("%s: invalid duration %q (want a Go duration such as \"500ms\", \"30s\" or \"2m\")", displayKey(path), s)})
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		walkValue(v, t.Elem(), path, out)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			wrong()
			return
		}
		if names := controlNames(s); names != "" {
			*out = append(*out, badValue{path: path, msg: fmt.Sprintf("%s: the value contains %s", displayKey(path), names), escape: true})
		}
	case reflect.Int:
		if _, ok := v.(int64); !ok {
			wrong()
		}
	case reflect.Float64:
		switch v.(type) {
		case int64, float64:
		default:
			wrong()
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			wrong()
		}
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			wrong()
			return
		}
		for i, e := range list {
			walkValue(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			wrong()
			return
		}
		for _, k := range sortedKeys(m) {
			walkValue(m[k], t.Elem(), joinKey(path, k), out)
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			wrong()
			return
		}
		walkTable(m, t, path, out)
	}
}

// tomlKind names the TOML type of a decoded value.
func tomlKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "table"
	}
	return "date/time"
}

// controlNames describes the control characters in s ("" when none): in a
// configuration they are always an accident, mostly a Windows path in a
// double-quoted string, where "\t" is a TAB and "\n" a line break.
func controlNames(s string) string {
	var names []string
	seen := map[rune]bool{}
	for _, r := range s {
		if (r >= 0x20 && r != 0x7F) || seen[r] {
			continue
		}
		seen[r] = true
		switch r {
		case '\t':
			names = append(names, "a TAB")
		case '\n':
			names = append(names, "a line break")
		case '\r':
			names = append(names, "a carriage return")
		case '\b':
			names = append(names, "a backspace")
		case '\f':
			names = append(names, "a form feed")
		default:
			names = append(names, fmt.Sprintf("the control character U+%04X", r))
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// basicString matches a one-line double-quoted TOML string.
var basicString = regexp.MustCompile(`"((?:[^"\\\n]|\\.)*)"`)

// singleQuoteAdvice suggests, for a key = value whose double-quoted string
// made control characters out of backslashes, the same text in single
// quotes (a TOML literal string: no escapes). expr is the whole key = value.
func singleQuoteAdvice(expr string) string {
	for _, m := range basicString.FindAllStringSubmatch(expr, -1) {
		raw := m[1]
		if !strings.ContainsRune(raw, '\\') {
			continue
		}
		if strings.ContainsRune(raw, '\'') {
			return "; in a double-quoted string a backslash starts an escape (\\t is a TAB): write each backslash twice"
		}
		return fmt.Sprintf("; in a double-quoted string a backslash starts an escape (\\t is a TAB, \\n a line break): write it in single quotes, where a backslash is a backslash: '%s'", raw)
	}
	return ""
}
