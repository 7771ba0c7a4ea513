package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// layout records where each key of a TOML document sits, so that problems
// found after decoding (a bad regex, an unknown scanner type) can still name
// their line. go-toml's decoder only reports positions for its own errors.
type layout struct {
	lines    map[string]int // key path → 1-based line
	entries  []span         // every key = value, for blanking out a bad one
	newlines []int          // byte offsets of '\n', for offset → line
}

// span is one key = value expression in the document.
type span struct {
	path       string
	start, end int // byte offsets of the whole expression
}

// scanLayout walks the document with go-toml's low-level parser. Key paths
// use the struct's view of the data: array tables get an index
// ("scanner[1].terminator"), dotted keys and inline tables are flattened
// ("keypad.keys.KP_1").
func scanLayout(data []byte) (*layout, error) {
	l := &layout{lines: map[string]int{}}
	for i, c := range data {
		if c == '\n' {
			l.newlines = append(l.newlines, i)
		}
	}
	var p unstable.Parser
	p.Reset(data)
	arrays := map[string]int{} // array-table path → number of elements so far
	cur := ""
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			parts := keyParts(e.Key())
			path := ""
			for i, part := range parts {
				path = joinKey(path, part)
				last := i == len(parts)-1
				if last && e.Kind == unstable.ArrayTable {
					n := arrays[path]
					arrays[path] = n + 1
					path = fmt.Sprintf("%s[%d]", path, n)
				} else if n := arrays[path]; n > 0 {
					path = fmt.Sprintf("%s[%d]", path, n-1)
				}
			}
			cur = path
			l.mark(path, l.lineAt(nodeOffset(&p, e.Child())))
		case unstable.KeyValue:
			l.walkKeyValue(&p, cur, e)
		}
	}
	if err := p.Error(); err != nil {
		return nil, err
	}
	return l, nil
}

// walkKeyValue records a key = value and, for inline tables and arrays of
// them, everything inside.
func (l *layout) walkKeyValue(p *unstable.Parser, prefix string, kv *unstable.Node) {
	line := l.lineAt(nodeOffset(p, kv.Value().Next()))
	path := prefix
	for _, part := range keyParts(kv.Key()) {
		path = joinKey(path, part)
		l.mark(path, line)
	}
	start := int(kv.Raw.Offset)
	l.entries = append(l.entries, span{path: path, start: start, end: start + int(kv.Raw.Length)})
	l.walkValue(p, path, kv.Value())
}

func (l *layout) walkValue(p *unstable.Parser, path string, v *unstable.Node) {
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if n := it.Node(); n.Kind == unstable.KeyValue {
				l.walkKeyValue(p, path, n)
			}
		}
	case unstable.Array:
		it := v.Children()
		i := 0
		for it.Next() {
			n := it.Node()
			if n.Kind == unstable.Comment {
				continue
			}
			elem := fmt.Sprintf("%s[%d]", path, i)
			if off := nodeOffset(p, n); off >= 0 {
				l.mark(elem, l.lineAt(off))
			}
			l.walkValue(p, elem, n)
			i++
		}
	}
}

// mark keeps the first line a path appears on: for a table that is its
// header, for a dotted key the line that introduced it.
func (l *layout) mark(path string, line int) {
	if _, ok := l.lines[path]; !ok && line > 0 {
		l.lines[path] = line
	}
}

// lineAt turns a byte offset into a 1-based line number (0 for unknown).
func (l *layout) lineAt(off int) int {
	if off < 0 {
		return 0
	}
	return sort.SearchInts(l.newlines, off) + 1
}

// offsetOf turns a 1-based line and byte column into a byte offset.
func (l *layout) offsetOf(line, col int) int {
	start := 0
	if line > 1 && line-2 < len(l.newlines) {
		start = l.newlines[line-2] + 1
	}
	return start + col - 1
}

// nodeOffset finds a byte offset for a node: containers carry no range of
// their own, so use their first child's.
func nodeOffset(p *unstable.Parser, n *unstable.Node) int {
	for depth := 0; n != nil && n.Valid() && depth < 64; depth++ {
		if n.Raw.Length > 0 || n.Kind == unstable.InlineTable {
			return int(n.Raw.Offset)
		}
		n = n.Child()
	}
	return -1
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

func joinKey(prefix, part string) string {
	if prefix == "" {
		return part
	}
	return prefix + "." + part
}

// line finds the line of a key path, falling back to the nearest enclosing
// table so that "scanner[2] needs a port" points at its [[scanner]] header.
func (c *Config) line(path string) int { return lineOf(c.lines, path) }

// Line is the line of a key path in the file the configuration came from
// (see line), 0 when unknown: for problems found outside this package.
func (c *Config) Line(path string) int { return c.line(path) }

// lineOf is Config.line on a layout's lines.
func lineOf(lines map[string]int, path string) int {
	for path != "" {
		if n, ok := lines[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// has reports whether the file set the key explicitly.
func (c *Config) has(path string) bool {
	_, ok := c.lines[path]
	return ok
}
