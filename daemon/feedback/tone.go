package feedback

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/offcircd/offcircd/config"
)

// Tone is one step of a pattern: a tone of Freq Hz for Dur, then silence
// for Pause. Freq 0 is a rest (silence for Dur), so patterns can carry
// rhythm on sinks that cannot play pitches.
type Tone struct {
	Freq  int
	Dur   time.Duration
	Pause time.Duration
}

// Limits on configured tones: beyond them a pattern is a typo, not a sound
// anyone wants at a desk (and a 10-minute "good" beep would starve the sink).
const (
	MinFreq     = 20
	MaxFreq     = 20000
	MaxToneDur  = 5 * time.Second
	MaxPause    = 5 * time.Second
	MaxTones    = 32
	maxPatternD = 15 * time.Second
)

// Duration is how long the pattern takes to play, pauses included.
func Duration(tones []Tone) time.Duration {
	var d time.Duration
	for _, t := range tones {
		d += t.Dur + t.Pause
	}
	return d
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// defaults are chosen so that each pattern can be told apart by ear
// without looking: pitch direction says what happened (rising = accepted,
// falling = taken back or switched to return), low and long means no, and
// the alarm alternates like a siren.
var defaults = map[Pattern][]Tone{
	// One short high tone: the cheapest sound for the commonest event.
	Good: {{Freq: 2000, Dur: ms(70)}},
	// Two rising tones: "hello, patron".
	Patron: {{Freq: 1047, Dur: ms(80), Pause: ms(40)}, {Freq: 1568, Dur: ms(120)}},
	// Three rising notes: loan mode (things go out).
	ModeLoan: {{Freq: 784, Dur: ms(80), Pause: ms(30)}, {Freq: 1047, Dur: ms(80), Pause: ms(30)}, {Freq: 1319, Dur: ms(140)}},
	// Three falling notes: return mode (things come back).
	ModeReturn: {{Freq: 1319, Dur: ms(80), Pause: ms(30)}, {Freq: 1047, Dur: ms(80), Pause: ms(30)}, {Freq: 784, Dur: ms(140)}},
	// Two very short mid blips: "already had that one", deliberately unlike good.
	Double: {{Freq: 1200, Dur: ms(30), Pause: ms(50)}, {Freq: 1200, Dur: ms(30)}},
	// Two low long tones: no.
	Reject: {{Freq: 220, Dur: ms(300), Pause: ms(100)}, {Freq: 196, Dur: ms(400)}},
	// Urgent alternating high/low, three times: something is wrong with the data file.
	WriteFailure: {
		{Freq: 1500, Dur: ms(150)}, {Freq: 900, Dur: ms(150)},
		{Freq: 1500, Dur: ms(150)}, {Freq: 900, Dur: ms(150)},
		{Freq: 1500, Dur: ms(150)}, {Freq: 900, Dur: ms(250)},
	},
	// Falling siren, ending low and long: nothing could be stored at all,
	// unlike write-failure's alternation (the record is safe in the spool).
	NotStored: {
		{Freq: 1500, Dur: ms(120)}, {Freq: 1000, Dur: ms(120)}, {Freq: 600, Dur: ms(120)},
		{Freq: 300, Dur: ms(600)},
	},
	// Falling two tones: taken back.
	Undo: {{Freq: 1319, Dur: ms(100), Pause: ms(40)}, {Freq: 659, Dur: ms(180)}},
}

// DefaultPatterns returns a fresh copy of the built-in patterns; callers may modify it.
func DefaultPatterns() map[Pattern][]Tone {
	out := make(map[Pattern][]Tone, len(defaults))
	for p, t := range defaults {
		out[p] = slices.Clone(t)
	}
	return out
}

// Known reports whether p is one of the named patterns of All.
func Known(p Pattern) bool { return slices.Contains(All, p) }

// Patterns returns the built-in patterns overridden by cfg.Patterns. Each
// override is a list of [frequency Hz, duration ms, pause ms] triples
// (frequency 0 = rest); an empty list silences that pattern. Every problem
// is reported, not only the first.
func Patterns(cfg *config.Config) (map[Pattern][]Tone, error) {
	out := DefaultPatterns()
	if cfg == nil || len(cfg.Patterns) == 0 {
		return out, nil
	}
	names := make([]string, 0, len(cfg.Patterns))
	for n := range cfg.Patterns {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs []error
	for _, name := range names {
		tones, err := ParseTones(cfg.Patterns[name])
		if err == nil && !Known(Pattern(name)) {
			err = fmt.Errorf("unknown pattern (known: %v)", All)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("feedback: patterns.%s: %w", name, err))
			continue
		}
		out[Pattern(name)] = tones
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// ParseTones converts [frequency Hz, duration ms, pause ms] triples into
// tones. A pair [frequency, duration] means no pause.
func ParseTones(triples [][]int) ([]Tone, error) {
	if len(triples) > MaxTones {
		return nil, fmt.Errorf("%d tones, at most %d", len(triples), MaxTones)
	}
	out := make([]Tone, 0, len(triples))
	for i, tr := range triples {
		if len(tr) != 2 && len(tr) != 3 {
			return nil, fmt.Errorf("tone %d: want [frequency Hz, duration ms, pause ms], got %d numbers", i+1, len(tr))
		}
		t := Tone{Freq: tr[0]}
		if tr[0] != 0 && (tr[0] < MinFreq || tr[0] > MaxFreq) {
			return nil, fmt.Errorf("tone %d: frequency %d Hz outside %d-%d (0 = rest)", i+1, tr[0], MinFreq, MaxFreq)
		}
		if tr[1] <= 0 || ms(tr[1]) > MaxToneDur {
			return nil, fmt.Errorf("tone %d: duration %d ms outside 1-%d", i+1, tr[1], MaxToneDur.Milliseconds())
		}
		t.Dur = ms(tr[1])
		if len(tr) == 3 {
			if tr[2] < 0 || ms(tr[2]) > MaxPause {
				return nil, fmt.Errorf("tone %d: pause %d ms outside 0-%d", i+1, tr[2], MaxPause.Milliseconds())
			}
			t.Pause = ms(tr[2])
		}
		out = append(out, t)
	}
	if d := Duration(out); d > maxPatternD {
		return nil, fmt.Errorf("pattern lasts %v, at most %v", d, maxPatternD)
	}
	return out, nil
}
