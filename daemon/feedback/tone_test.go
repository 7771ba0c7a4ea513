package feedback_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/daemon/feedback"
)

func TestDefaultPatternsComplete(t *testing.T) {
	def := feedback.DefaultPatterns()
	seen := map[string]feedback.Pattern{}
	for _, p := range feedback.All {
		tones := def[p]
		if len(tones) == 0 {
			t.Errorf("%s: no tones", p)
			continue
		}
		// Every default must itself pass the config validation.
		var triples [][]int
		for _, tn := range tones {
			triples = append(triples, []int{tn.Freq, int(tn.Dur / time.Millisecond), int(tn.Pause / time.Millisecond)})
		}
		back, err := feedback.ParseTones(triples)
		if err != nil || !slices.Equal(back, tones) {
			t.Errorf("%s: not a valid config value: %v", p, err)
		}
		key := fmt.Sprint(tones)
		if other, dup := seen[key]; dup {
			t.Errorf("%s sounds exactly like %s", p, other)
		}
		seen[key] = p
	}
	if d := feedback.Duration(def[feedback.Good]); d > 150*time.Millisecond {
		t.Errorf("good lasts %v; the commonest beep should be short", d)
	}
	// Shape checks from the issue: patron rises, reject is low and long.
	if pt := def[feedback.Patron]; len(pt) != 2 || pt[1].Freq <= pt[0].Freq {
		t.Errorf("patron is not two rising tones: %v", pt)
	}
	for _, tn := range def[feedback.Reject] {
		if tn.Freq > 400 || tn.Dur < 200*time.Millisecond {
			t.Errorf("reject tone %v is not low and long", tn)
		}
	}
	// A caller's copy must not leak into the defaults.
	def[feedback.Good][0].Freq = 1
	if feedback.DefaultPatterns()[feedback.Good][0].Freq == 1 {
		t.Error("DefaultPatterns shares its slices")
	}
}

func TestPatternsFromConfig(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name    string
		in      map[string][][]int
		check   feedback.Pattern
		want    []feedback.Tone
		wantErr []string
	}{
		{name: "none", in: nil, check: feedback.Good, want: feedback.DefaultPatterns()[feedback.Good]},
		{name: "override", in: map[string][][]int{"good": {{440, 100, 0}, {880, 50, 10}}}, check: feedback.Good,
			want: []feedback.Tone{{440, 100 * ms, 0}, {880, 50 * ms, 10 * ms}}},
		{name: "pair without pause", in: map[string][][]int{"double": {{1000, 20}}}, check: feedback.Double,
			want: []feedback.Tone{{1000, 20 * ms, 0}}},
		{name: "rest", in: map[string][][]int{"undo": {{0, 100, 0}, {500, 100, 0}}}, check: feedback.Undo,
			want: []feedback.Tone{{0, 100 * ms, 0}, {500, 100 * ms, 0}}},
		{name: "silenced", in: map[string][][]int{"double": {}}, check: feedback.Double, want: []feedback.Tone{}},
		{name: "others keep defaults", in: map[string][][]int{"good": {{440, 100, 0}}}, check: feedback.Reject,
			want: feedback.DefaultPatterns()[feedback.Reject]},
		{name: "every problem reported", in: map[string][][]int{
			"good":   {{440}},
			"boing":  {{440, 100, 0}},
			"reject": {{5, 100, 0}},
			"patron": {{440, 0, 0}},
			"undo":   {{440, 100, -1}},
			"double": {{440, 6000, 0}},
		}, wantErr: []string{"patterns.good: tone 1", "patterns.boing: unknown pattern", "patterns.reject: tone 1: frequency 5",
			"patterns.patron: tone 1: duration 0", "patterns.undo: tone 1: pause -1", "patterns.double: tone 1: duration 6000"}},
		{name: "too long overall", in: map[string][][]int{"good": {{440, 5000, 5000}, {440, 5000, 5000}}},
			wantErr: []string{"lasts 20s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := feedback.Patterns(&config.Config{Patterns: tc.in})
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got[tc.check], tc.want) {
				t.Errorf("%s = %v, want %v", tc.check, got[tc.check], tc.want)
			}
			if len(got) != len(feedback.All) {
				t.Errorf("%d patterns, want %d", len(got), len(feedback.All))
			}
		})
	}
}

// FuzzParseTones: any config numbers either fail cleanly or give tones
// inside the documented limits.
func FuzzParseTones(f *testing.F) {
	f.Add([]byte{3, 0xb8, 0x01, 100, 0, 2, 0x10, 0x27, 50})
	f.Add([]byte{2, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var triples [][]int
		for len(b) > 0 {
			n := int(b[0] % 4)
			b = b[1:]
			tr := make([]int, 0, n)
			for i := 0; i < n && len(b) >= 2; i++ {
				tr = append(tr, int(int16(uint16(b[0])|uint16(b[1])<<8)))
				b = b[2:]
			}
			triples = append(triples, tr)
		}
		tones, err := feedback.ParseTones(triples)
		if err != nil {
			return
		}
		if len(tones) != len(triples) || len(tones) > feedback.MaxTones {
			t.Fatalf("%d tones from %d triples", len(tones), len(triples))
		}
		for _, tn := range tones {
			if tn.Freq != 0 && (tn.Freq < feedback.MinFreq || tn.Freq > feedback.MaxFreq) {
				t.Fatalf("freq %d accepted", tn.Freq)
			}
			if tn.Dur <= 0 || tn.Dur > feedback.MaxToneDur || tn.Pause < 0 || tn.Pause > feedback.MaxPause {
				t.Fatalf("tone %v accepted", tn)
			}
		}
	})
}
