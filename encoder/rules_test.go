package encoder

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The rules across lines, as `offcircd check` and `offcircd merge` report
// them: the same problems from both (merge leaves duplicates out of its
// problems: it drops them), the same summary.
func TestCheckAndMergeReportTheSameRules(t *testing.T) {
	// refNow is 2026-01-01 12:00 in testLoc; FutureTolerance is 10 minutes.
	l := func(ts, item, patron string) string { return canon(ts, Loan, item, patron) }
	r := func(ts, item string) string { return canon(ts, Return, item, "") }
	tests := []struct {
		name string
		in   string
		want []string // Problem.String() of both, in order (each a prefix of the message)
		dups []string // what check adds: duplicate warnings
		sum  Summary  // File is filled in
	}{
		{"one item lent to two patrons in one minute is no duplicate",
			l("202205101145", "1", "P1") + l("202205101145", "1", "P2"), nil, nil,
			Summary{Lines: 2, Loans: 2}},
		{"one patron, two items in one minute",
			l("202205101145", "1", "P1") + l("202205101145", "2", "P1"), nil, nil,
			Summary{Lines: 2, Loans: 2}},
		{"a loan repeated in its minute",
			l("202205101145", "1", "P1") + l("202205101145", "1", "P1"), nil,
			[]string{"2: warning: duplicate of line 1"},
			Summary{Lines: 2, Loans: 2, Warnings: 1}},
		{"a return repeated in its minute",
			r("202205101145", "1") + r("202205101145", "1"), nil,
			[]string{"2: warning: duplicate of line 1"},
			Summary{Lines: 2, Returns: 2, Warnings: 1}},
		{"loan and return of one item in one minute",
			l("202205101145", "1", "P1") + r("202205101145", "1"), nil, nil,
			Summary{Lines: 2, Loans: 1, Returns: 1}},
		{"a record at the end of the clock tolerance",
			r("202601011210", "1"), nil, nil,
			Summary{Lines: 1, Returns: 1}},
		{"a record one minute past the tolerance",
			r("202601011211", "1"),
			[]string{"1: error: time 202601011211 is in the future"}, nil,
			Summary{Lines: 1, Errors: 1}},
		{"an empty line",
			r("202205101145", "1") + "\r\n" + r("202205101146", "2"),
			[]string{"2: warning: empty line"}, nil,
			Summary{Lines: 3, Returns: 2, Warnings: 1}},
		{"an empty line and an error on one line",
			"\x01\r\n",
			[]string{"1: error: line too short for a record"}, nil,
			Summary{Lines: 1, Errors: 1}},
		{"time going backwards",
			r("202205101146", "1") + r("202205101145", "2"),
			[]string{"2: warning: time 202205101145 is earlier than line 1"}, nil,
			Summary{Lines: 2, Returns: 2, Warnings: 1}},
		{"a return carrying a patron",
			"202205101145R1 P1\r\n",
			[]string{"1: warning: return with a patron ID"}, nil,
			Summary{Lines: 1, Returns: 1, Warnings: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.sum
			want.File = "f"
			wantCheck := mergeProblems(tt.want, tt.dups)

			sum, probs, err := Check(strings.NewReader(tt.in), "f", Options{Location: testLoc, Now: refNow})
			if err != nil || sum != want || !sameProblems(probs, wantCheck) {
				t.Errorf("check: %+v %q %v\nwant %+v %q", sum, problemStrings(probs), err, want, wantCheck)
			}

			path := filepath.Join(t.TempDir(), "f")
			if err := os.WriteFile(path, []byte(tt.in), 0o600); err != nil {
				t.Fatal(err)
			}
			sum, probs, err = CheckFile(path, Options{Location: testLoc, Now: refNow})
			want.File = path
			if err != nil || sum != want || !sameProblems(probs, wantCheck) {
				t.Errorf("check file: %+v %q %v\nwant %+v %q", sum, problemStrings(probs), err, want, wantCheck)
			}

			m := NewMerger(Options{Location: testLoc, Now: refNow})
			m.Add("f", strings.NewReader(tt.in))
			if _, err := m.WriteTo(&strings.Builder{}); err != nil {
				t.Fatal(err)
			}
			sums, mprobs := m.Results()
			want = tt.sum
			want.File, want.Warnings = "f", want.Warnings-len(tt.dups)
			if sums[0] != want || !sameProblems(mprobs[0], tt.want) {
				t.Errorf("merge: %+v %q\nwant %+v %q", sums[0], problemStrings(mprobs[0]), want, tt.want)
			}
		})
	}
}

// mergeProblems puts two problem lists, each in line order, into one.
func mergeProblems(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.SortStableFunc(out, func(x, y string) int {
		var nx, ny int
		fmt.Sscanf(x, "%d:", &nx)
		fmt.Sscanf(y, "%d:", &ny)
		return nx - ny
	})
	return out
}

// sameProblems reports whether ps are, in order, the problems of want:
// "LINE: severity: " and the start of the message (wording may grow).
func sameProblems(ps []Problem, want []string) bool {
	if len(ps) != len(want) {
		return false
	}
	for i, p := range ps {
		if !strings.HasPrefix(p.String(), want[i]) {
			return false
		}
	}
	return true
}

func problemStrings(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}
