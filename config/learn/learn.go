// Package learn derives a station's patron_pattern and item_pattern from
// examples: a few patron cards and item barcodes scanned at the desk, or
// the columns of existing data files, which are ground truth.
//
// The patterns are the tightest that still generalise: examples of one kind
// are grouped by shape (which character classes they use), and each shape
// becomes a fixed prefix (shared by all its examples), a character class
// and a length range. A pair is only returned when it is safe: no barcode
// at all can match both patterns, so a patron card is never taken for an
// item or the other way round. A barcode of a shape no example had matches
// neither and is rejected at the desk — a reject beep, never a wrong
// record; scan more examples to widen the patterns.
package learn

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Limits of what can be learned: barcodes as the data file takes them.
const (
	maxLen = 254 // the longest patron ID (items: 80)
)

// Errors returned by Derive.
var (
	ErrNoExamples = errors.New("learn: need at least one patron and one item example")
	ErrBadExample = errors.New("learn: not a barcode")
	ErrBoth       = errors.New("learn: the same barcode is given as a patron and as an item")
	ErrOverlap    = errors.New("learn: the patterns would overlap")
)

// Pair is a derived pair of patterns.
type Pair struct {
	Patron string // regular expression for patron_pattern
	Item   string // regular expression for item_pattern

	patron, item []shape
}

// Class of a barcode under a Pair.
type Class string

// The classes Classify returns.
const (
	ClassPatron  Class = "patron"
	ClassItem    Class = "item"
	ClassNeither Class = "neither"
	ClassBoth    Class = "both" // never for a Pair from Derive
)

// Classify says which of the pair's patterns s matches.
func (p Pair) Classify(s string) Class {
	pat, item := matchAny(p.patron, s), matchAny(p.item, s)
	switch {
	case pat && item:
		return ClassBoth
	case pat:
		return ClassPatron
	case item:
		return ClassItem
	}
	return ClassNeither
}

// byteSet is a set of bytes.
type byteSet [4]uint64

func (b *byteSet) add(c byte)      { b[c>>6] |= 1 << (c & 63) }
func (b *byteSet) has(c byte) bool { return b[c>>6]&(1<<(c&63)) != 0 }
func (b *byteSet) union(o byteSet) { b[0] |= o[0]; b[1] |= o[1]; b[2] |= o[2]; b[3] |= o[3] }
func (b *byteSet) addRange(lo, hi byte) {
	for c := int(lo); c <= int(hi); c++ {
		b.add(byte(c))
	}
}

// shape is one group of examples: prefix, then (optionally) one character
// from lead, then characters from class, min..max of them after the
// prefix in all (the lead one included).
type shape struct {
	prefix   string
	lead     *byteSet
	class    byteSet
	min, max int
	examples []string
}

// set returns the characters allowed at position i.
func (s *shape) set(i int) byteSet {
	var b byteSet
	switch {
	case i < len(s.prefix):
		b.add(s.prefix[i])
	case i == len(s.prefix) && s.lead != nil:
		b = *s.lead
	default:
		b = s.class
	}
	return b
}

func (s *shape) match(x string) bool {
	n := len(x) - len(s.prefix)
	if n < s.min || n > s.max {
		return false
	}
	for i := 0; i < len(x); i++ {
		if b := s.set(i); !b.has(x[i]) {
			return false
		}
	}
	return true
}

func matchAny(shapes []shape, x string) bool {
	return slices.ContainsFunc(shapes, func(s shape) bool { return s.match(x) })
}

// meet returns a barcode that both shapes accept, if there is one.
func meet(a, b *shape) (string, bool) {
	lo := max(len(a.prefix)+a.min, len(b.prefix)+b.min)
	hi := min(len(a.prefix)+a.max, len(b.prefix)+b.max)
	for n := lo; n <= hi; n++ {
		w := make([]byte, 0, n)
		for i := range n {
			common := a.set(i)
			bs := b.set(i)
			for k := range common {
				common[k] &= bs[k]
			}
			c, ok := firstByte(common)
			if !ok {
				break
			}
			w = append(w, c)
		}
		if len(w) == n {
			return string(w), true
		}
	}
	return "", false
}

// firstByte returns a readable member of b: a digit or letter when there
// is one.
func firstByte(b byteSet) (byte, bool) {
	for _, r := range []string{"09", "AZ", "az", "!~"} {
		for c := r[0]; c <= r[1]; c++ {
			if b.has(c) {
				return c, true
			}
		}
	}
	return 0, false
}

// category sets: a shape's class is the union of the categories its
// examples use, so "CeeBee" and "JaneDoe" make [A-Za-z], not [BCDJaenoe].
var digits, upper, lower byteSet

func init() {
	digits.addRange('0', '9')
	upper.addRange('A', 'Z')
	lower.addRange('a', 'z')
}

// classOf returns the category set of c: a digit, upper or lower case
// letter stands for its whole category; any other character for itself.
func classOf(c byte) byteSet {
	switch {
	case digits.has(c):
		return digits
	case upper.has(c):
		return upper
	case lower.has(c):
		return lower
	}
	var b byteSet
	b.add(c)
	return b
}

// signature is the category set of a whole barcode: its shape's key.
func signature(s string) byteSet {
	var b byteSet
	for i := 0; i < len(s); i++ {
		b.union(classOf(s[i]))
	}
	return b
}

// shapes groups examples by signature and describes each group.
func shapes(examples []string) []shape {
	var out []shape
	index := map[byteSet]int{}
	for _, e := range examples {
		sig := signature(e)
		i, ok := index[sig]
		if !ok {
			i = len(out)
			index[sig] = i
			out = append(out, shape{class: sig})
		}
		out[i].examples = append(out[i].examples, e)
	}
	for i := range out {
		s := &out[i]
		// A fixed prefix needs two examples to show it is fixed: one card
		// alone would make a pattern for that card only.
		if len(s.examples) > 1 {
			s.prefix = commonPrefix(s.examples)
		}
		s.min, s.max = maxLen, 0
		for _, e := range s.examples {
			n := len(e) - len(s.prefix)
			s.min, s.max = min(s.min, n), max(s.max, n)
		}
		if s.min == 0 {
			// One example is the prefix of all the others: no room for a
			// class after it; take the prefix back to the shortest's start.
			s.prefix = s.prefix[:len(s.prefix)-1]
			s.min++
			s.max++
		}
		// The class covers what follows the prefix.
		s.class = byteSet{}
		for _, e := range s.examples {
			s.class.union(signature(e[len(s.prefix):]))
		}
	}
	return out
}

func commonPrefix(xs []string) string {
	p := xs[0]
	for _, x := range xs[1:] {
		n := 0
		for n < len(p) && n < len(x) && p[n] == x[n] {
			n++
		}
		p = p[:n]
	}
	return p
}

// lead narrows a shape's first character after the prefix to the ones its
// examples have: used only to keep apart two shapes that would overlap.
func (s *shape) narrowLead() {
	var b byteSet
	for _, e := range s.examples {
		b.add(e[len(s.prefix)])
	}
	s.lead = &b
}

// Derive returns the tightest safe pair of patterns for the examples, or
// an error that says why there is none (wrapping ErrOverlap with a barcode
// both would accept when the kinds cannot be told apart).
func Derive(patrons, items []string) (Pair, error) {
	patrons, items = dedup(patrons), dedup(items)
	if len(patrons) == 0 || len(items) == 0 {
		return Pair{}, ErrNoExamples
	}
	for _, set := range []struct {
		kind string
		xs   []string
		max  int
	}{{"patron ID", patrons, 254}, {"item barcode", items, 80}} {
		for _, x := range set.xs {
			if err := checkBarcode(x, set.max); err != nil {
				return Pair{}, fmt.Errorf("%w: %s %q: %v", ErrBadExample, set.kind, x, err)
			}
		}
	}
	for _, p := range patrons {
		if slices.Contains(items, p) {
			return Pair{}, fmt.Errorf("%w: %q", ErrBoth, p)
		}
	}
	ps, is := shapes(patrons), shapes(items)
	for i := range ps {
		for j := range is {
			if _, ok := meet(&ps[i], &is[j]); !ok {
				continue
			}
			// Same shape on both sides: try their first characters.
			if ps[i].lead == nil {
				ps[i].narrowLead()
			}
			if is[j].lead == nil {
				is[j].narrowLead()
			}
		}
	}
	for i := range ps {
		for j := range is {
			if w, ok := meet(&ps[i], &is[j]); ok {
				return Pair{}, fmt.Errorf("%w: %s would match both (patrons like %q, items like %q); scan more examples, or set the patterns by hand",
					ErrOverlap, w, ps[i].examples[0], is[j].examples[0])
			}
		}
	}
	return Pair{Patron: regexpOf(ps), Item: regexpOf(is), patron: ps, item: is}, nil
}

func dedup(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func checkBarcode(x string, maxN int) error {
	if x == "" || len(x) > maxN {
		return fmt.Errorf("length %d, want 1..%d", len(x), maxN)
	}
	for i := 0; i < len(x); i++ {
		if x[i] < 0x21 || x[i] > 0x7E {
			return fmt.Errorf("byte 0x%02X is not printable ASCII", x[i])
		}
	}
	return nil
}

// regexpOf writes shapes as one anchored RE2 expression.
func regexpOf(shapes []shape) string {
	parts := make([]string, len(shapes))
	for i := range shapes {
		parts[i] = shapes[i].regexp()
	}
	if len(parts) == 1 {
		return "^" + parts[0] + "$"
	}
	return "^(?:" + strings.Join(parts, "|") + ")$"
}

func (s *shape) regexp() string {
	var b strings.Builder
	for i := 0; i < len(s.prefix); i++ {
		b.WriteString(escape(s.prefix[i], false))
	}
	min, max := s.min, s.max
	if s.lead != nil {
		b.WriteString(bracket(*s.lead))
		min, max = min-1, max-1
	}
	if max > 0 {
		b.WriteString(bracket(s.class))
		switch {
		case min == max && min == 1:
		case min == max:
			fmt.Fprintf(&b, "{%d}", min)
		default:
			fmt.Fprintf(&b, "{%d,%d}", min, max)
		}
	}
	return b.String()
}

// bracket writes a byte set as a character class; a single member is
// written as itself.
func bracket(set byteSet) string {
	var b strings.Builder
	n := 0
	for _, r := range []struct {
		cat      byteSet
		lo, hi   byte
		wholeCat string
	}{{digits, '0', '9', "0-9"}, {upper, 'A', 'Z', "A-Z"}, {lower, 'a', 'z', "a-z"}} {
		all := true
		for c := r.lo; c <= r.hi; c++ {
			all = all && set.has(c)
		}
		if all {
			b.WriteString(r.wholeCat)
			n += 2
			continue
		}
		for c := r.lo; c <= r.hi; c++ {
			if set.has(c) {
				b.WriteByte(c)
				n++
			}
		}
	}
	for c := byte(0x21); c <= 0x7E; c++ {
		if set.has(c) && !digits.has(c) && !upper.has(c) && !lower.has(c) {
			b.WriteString(escape(c, true))
			n++
		}
	}
	if n == 1 {
		return b.String()
	}
	return "[" + b.String() + "]"
}

// escape writes c for a regular expression (inside a class or not).
func escape(c byte, inClass bool) string {
	switch {
	case digits.has(c) || upper.has(c) || lower.has(c):
		return string(c)
	case !inClass && !strings.ContainsRune(`\.+*?()|[]{}^$`, rune(c)):
		return string(c)
	}
	return fmt.Sprintf(`\x%02X`, c)
}
