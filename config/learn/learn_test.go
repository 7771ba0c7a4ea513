package learn

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// alma are the examples of Alma's Offline Circulation documentation
// (testdata/alma): digits-only patron IDs and items of the same length.
var (
	almaPatrons = []string{"3120161826", "CeeBee", "JaneDoe", "susan.smith"}
	almaItems   = []string{"2345657680", "14850288", "90172", "6827592654"}
)

func TestDerive(t *testing.T) {
	tests := []struct {
		name          string
		patrons       []string
		items         []string
		patron, item  string
		good, bad     []string // further barcodes: classified right / matching neither
		wantErr       error
		wantErrSubstr string
	}{
		{name: "library codabar: 2… cards, 3… items",
			patrons: []string{"21234000123456", "21234000998877", "21234001000001"},
			items:   []string{"31234000555555", "31234009999999", "31234000000017"},
			patron:  `^2123400[0-9]{7}$`, item: `^3123400[0-9]{7}$`,
			good: []string{"21234007777777", "31234001111111"}, bad: []string{"2123400777777", "41234000555555"}},
		{name: "letters and digits", patrons: []string{"P1001", "P20332"}, items: []string{"30000001", "30000092"},
			patron: `^P[0-9]{4,5}$`, item: `^300000[0-9]{2}$`},
		{name: "the Alma examples: same-length digits told apart by the first digit",
			patrons: almaPatrons, items: almaItems,
			patron: `^(?:3[0-9]{9}|[A-Za-z]{6,7}|[a-z\x2E]{11})$`, item: `^[1269][0-9]{4,9}$`},
		{name: "one example is the prefix of another", patrons: []string{"AB", "ABC"}, items: []string{"1", "22"},
			patron: `^A[A-Z]{1,2}$`, item: `^[0-9]{1,2}$`},
		{name: "punctuation is escaped", patrons: []string{"a.b+c", "a.b+d"}, items: []string{"1-2", "1-3"},
			patron: `^a\x2Eb\x2B[a-z]$`, item: `^1-[0-9]$`},
		{name: "indistinguishable", patrons: []string{"1234"}, items: []string{"1235"}, wantErr: ErrOverlap, wantErrSubstr: "1234"},
		{name: "same barcode both ways", patrons: []string{"A1", "X"}, items: []string{"A1"}, wantErr: ErrBoth},
		{name: "no items", patrons: []string{"A1"}, wantErr: ErrNoExamples},
		{name: "not a barcode", patrons: []string{"A 1"}, items: []string{"1"}, wantErr: ErrBadExample},
		{name: "item too long", patrons: []string{"P"}, items: []string{strings.Repeat("1", 81)}, wantErr: ErrBadExample},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Derive(tt.patrons, tt.items)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantErrSubstr) {
					t.Fatalf("err %v, want %v containing %q", err, tt.wantErr, tt.wantErrSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Patron != tt.patron || p.Item != tt.item {
				t.Fatalf("patterns\n %s\n %s\nwant\n %s\n %s", p.Patron, p.Item, tt.patron, tt.item)
			}
			pre, ire := regexp.MustCompile(p.Patron), regexp.MustCompile(p.Item)
			check := func(x string, want Class) {
				t.Helper()
				got := p.Classify(x)
				re := ClassNeither
				switch pm, im := pre.MatchString(x), ire.MatchString(x); {
				case pm && im:
					re = ClassBoth
				case pm:
					re = ClassPatron
				case im:
					re = ClassItem
				}
				if got != want || re != want {
					t.Errorf("%q: classified %s, by the regexps %s; want %s", x, got, re, want)
				}
			}
			for _, x := range tt.patrons {
				check(x, ClassPatron)
			}
			for _, x := range tt.items {
				check(x, ClassItem)
			}
			for _, x := range tt.good {
				if c := p.Classify(x); c != ClassPatron && c != ClassItem {
					t.Errorf("%q: %s", x, c)
				}
			}
			for _, x := range tt.bad {
				check(x, ClassNeither)
			}
		})
	}
}

// FuzzDerive: whatever the examples, a derived pair classifies every
// example as what it was given as, its regular expressions agree with
// Classify, and no barcode near the examples matches both.
func FuzzDerive(f *testing.F) {
	f.Add("3120161826,CeeBee,JaneDoe,susan.smith", "2345657680,14850288,90172,6827592654")
	f.Add("21234000123456,21234000998877", "31234000555555,31234009999999")
	f.Add("AB,ABC", "1,22")
	f.Add("a.b", "a.c")
	f.Fuzz(func(t *testing.T, ps, is string) {
		patrons, items := strings.Split(ps, ","), strings.Split(is, ",")
		p, err := Derive(patrons, items)
		if err != nil {
			return
		}
		pre, err1 := regexp.Compile(p.Patron)
		ire, err2 := regexp.Compile(p.Item)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad regexp: %v %v", err1, err2)
		}
		probe := func(x string, want Class) {
			pm, im := pre.MatchString(x), ire.MatchString(x)
			if pm && im {
				t.Fatalf("%q matches both %s and %s", x, p.Patron, p.Item)
			}
			if c := p.Classify(x); (c == ClassPatron) != pm || (c == ClassItem) != im {
				t.Fatalf("%q: Classify %s, regexps %v %v", x, c, pm, im)
			}
			if want != "" && p.Classify(x) != want {
				t.Fatalf("%q: %s, want %s", x, p.Classify(x), want)
			}
		}
		all := append(append([]string(nil), patrons...), items...)
		for _, x := range patrons {
			probe(x, ClassPatron)
		}
		for _, x := range items {
			probe(x, ClassItem)
		}
		// Near misses: every example with one byte changed, cut, or
		// extended, and every pair spliced.
		for _, x := range all {
			for i := 0; i < len(x); i++ {
				for _, c := range []byte{'0', '9', 'A', 'z', '.', x[i] + 1} {
					probe(x[:i]+string(c)+x[i+1:], "")
				}
				probe(x[:i], "")
			}
			probe(x+"0", "")
			for _, y := range all {
				probe(x[:len(x)/2]+y[len(y)/2:], "")
			}
		}
	})
}
