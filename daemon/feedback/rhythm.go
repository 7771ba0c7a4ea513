package feedback

import (
	"context"
	"slices"
	"time"
)

// Rhythm gaps. A scanner's beep lasts 50–120 ms, so beeps RhythmShort apart
// are heard one by one, and a RhythmLong gap, more than three times longer,
// is heard as a break between groups.
const (
	RhythmShort = 150 * time.Millisecond
	RhythmLong  = 500 * time.Millisecond
)

// rhythms say each pattern on a beeper that has one sound only (a scanner
// whose profile has a single beep command, a terminal bell) by count and
// spacing: the pauses between beeps, so a pattern is len+1 beeps.
var rhythms = map[Pattern][]time.Duration{
	Good:         {},                                                   // ·        the commonest sound is the shortest
	Patron:       {RhythmShort},                                        // ··       hello, patron
	Double:       {RhythmLong},                                         // ·   ·    ignored: slow, unlike patron
	Reject:       {RhythmShort, RhythmShort},                           // ···      no
	ModeLoan:     {RhythmLong, RhythmShort},                            // ·  ··    one, then more: going out
	ModeReturn:   {RhythmShort, RhythmLong},                            // ··  ·    more, then one: coming back
	Undo:         {RhythmShort, RhythmLong, RhythmShort},               // ··  ··   taken back
	WriteFailure: {RhythmShort, RhythmShort, RhythmShort, RhythmShort}, // ·····  the alarm, repeated
	NotStored:    {RhythmLong, RhythmLong, RhythmLong},                 // ·   ·   ·   ·  nothing stored: slow, unlike the alarm
}

// Rhythm returns the pauses between the beeps of p on a one-sound beeper
// (one beep for a pattern it does not know).
func Rhythm(p Pattern) []time.Duration { return slices.Clone(rhythms[p]) }

// PlayRhythm sounds p by its Rhythm: beep once per beep, sleeping on clk
// between them, so a one-sound beeper tells patterns apart by ear.
func PlayRhythm(ctx context.Context, clk Clock, p Pattern, beep func() error) error {
	gaps := rhythms[p]
	for i := 0; ; i++ {
		if err := beep(); err != nil {
			return err
		}
		if i == len(gaps) {
			return nil
		}
		if err := Sleep(ctx, clk, gaps[i]); err != nil {
			return err
		}
	}
}
