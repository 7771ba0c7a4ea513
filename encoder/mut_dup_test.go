package encoder

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A file's first minute is crowded (more lines than a minute keeps in a
// plain list), the file moves on and then goes back to that minute with an
// exact repeat of the file's very first line: check names it a duplicate
// of line 1, as it does for a repeat of any other line of that minute.
func TestCheckDuplicateOfFirstLineInRevisitedCrowdedMinute(t *testing.T) {
	for _, repeat := range []int{1, 2, bigMinute + 1} {
		t.Run(fmt.Sprint("line ", repeat), func(t *testing.T) {
			var in strings.Builder
			lines := make([]string, 0, bigMinute+3)
			for i := range bigMinute + 1 {
				lines = append(lines, canon("202205101145", Loan, fmt.Sprint("I", i), "P1"))
			}
			lines = append(lines, canon("202205101146", Return, "X", ""))
			lines = append(lines, lines[repeat-1]) // back in time: minute 11:45 again
			for _, l := range lines {
				in.WriteString(l)
			}
			sum, probs, err := Check(strings.NewReader(in.String()), "f", Options{Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Location: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			n := len(lines)
			want := []string{
				fmt.Sprintf("%d: warning: time 202205101145 is earlier than line %d (Alma applies lines in file order, and so does merge: is the station's clock right?)", n, n-1),
				fmt.Sprintf("%d: warning: duplicate of line %d", n, repeat),
			}
			if got := problemStrings(probs); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if sum.Warnings != 2 || sum.Errors != 0 || sum.Lines != n {
				t.Fatalf("summary %+v", sum)
			}
		})
	}
}
