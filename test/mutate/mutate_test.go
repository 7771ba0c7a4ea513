package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestReadSurvivorList(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr string
	}{
		{"empty", "# nothing yet\n\n", 0, ""},
		{"one", "survivor encoder/parse.go CONDITIONALS_BOUNDARY\n  line  if  n > 0 {\n  reason n is never negative\n", 1, ""},
		{"tabs", "survivor a.go X\n\tline x\n\treason y\n# c\nsurvivor b.go Y\n\tline z\n\treason w\n", 2, ""},
		{"no reason", "survivor a.go X\n  line x\n", 0, "line 1: entry needs both a line and a reason"},
		{"no line", "survivor a.go X\n  reason y\n", 0, "line 1: entry needs both"},
		{"bad header", "survivor a.go\n", 0, "line 1: want \"survivor FILE MUTATOR\""},
		{"field outside", "  line x\n", 0, "line 1: field outside an entry"},
		{"unknown field", "survivor a.go X\n  why y\n", 0, "line 2: unexpected field \"why\""},
		{"twice", "survivor a.go X\n  line x\n  line y\n", 0, "line 3: unexpected field \"line\""},
		{"empty value", "survivor a.go X\n  line\n", 0, "line 2: \"line\" has no value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := ReadSurvivorList(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(list) != tt.want {
				t.Fatalf("got %d entries, err %v; want %d", len(list), err, tt.want)
			}
		})
	}
}

// A survivor is explained by file, mutator and line text; a moved line
// (other number) or re-indented line still matches, another mutator or
// another file does not.
func TestExplainMatchesByText(t *testing.T) {
	list, err := ReadSurvivorList(strings.NewReader(
		"survivor daemon/store/store.go CONDITIONALS_BOUNDARY\n  line if n > 0 {\n  reason n is never negative\n"))
	if err != nil {
		t.Fatal(err)
	}
	surv := []*Survivor{
		{File: "daemon/store/store.go", Mutator: "CONDITIONALS_BOUNDARY", Line: 90, Text: "if n > 0 {"},
		{File: "daemon/store/store.go", Mutator: "CONDITIONALS_BOUNDARY", Line: 7, Text: "if   n >  0 {"},
		{File: "daemon/store/store.go", Mutator: "CONDITIONALS_NEGATION", Line: 90, Text: "if n > 0 {"},
		{File: "daemon/store/spool.go", Mutator: "CONDITIONALS_BOUNDARY", Line: 90, Text: "if n > 0 {"},
		{File: "daemon/store/store.go", Mutator: "CONDITIONALS_BOUNDARY", Line: 90, Text: "if n > 1 {"},
	}
	open := explain(list, surv)
	if len(open) != 3 || open[0] != surv[2] || open[1] != surv[3] || open[2] != surv[4] {
		t.Fatalf("unexplained = %v, want the last three", open)
	}
	if surv[0].Reason == "" || surv[1].Reason == "" {
		t.Fatal("matching survivors got no reason")
	}
}

func TestWrappedStatus(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		out  string
		want int
	}{
		{"pass", []string{"test", "./x"}, 0, "ok  \tx\t0.1s\n", 0},
		{"test failed", []string{"test", "./x"}, 1, "--- FAIL: TestX\nFAIL\nFAIL\tx\t0.1s\n", 1},
		{"build failed", []string{"test", "./x"}, 1, "# x\n./a.go:2:26: invalid operation\nFAIL\tx [build failed]\nFAIL\n", exitNotViable},
		{"setup failed", []string{"test", "./x"}, 1, "FAIL\tx [setup failed]\n", exitNotViable},
		{"build failed text in a test log", []string{"test", "./x"}, 1, "    x_test.go:9: FAIL\tx [build failed] is what we print\nFAIL\tx\t0.1s\n", 1},
		{"not go test", []string{"build", "./x"}, 1, "FAIL\tx [build failed]\n", 1},
		{"signal", []string{"test", "./x"}, -1, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wrappedStatus(tt.args, tt.code, []byte(tt.out)); got != tt.want {
				t.Fatalf("wrappedStatus = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestEfficacy(t *testing.T) {
	tests := []struct {
		killed, timedOut, lived int
		want                    float64
	}{
		{0, 0, 0, -1},
		{9, 0, 1, 90},
		{8, 1, 1, 90},
		{0, 0, 4, 0},
	}
	for _, tt := range tests {
		if got := efficacy(tt.killed, tt.timedOut, tt.lived); got != tt.want {
			t.Errorf("efficacy(%d, %d, %d) = %v, want %v", tt.killed, tt.timedOut, tt.lived, got, tt.want)
		}
	}
	if got := pct(89.99); got != "89.9 %" {
		t.Errorf("pct(89.99) = %q: a floor must not be met by rounding up", got)
	}
}

// The exclusions leave exactly the target's files: no subfolder, no
// Windows-only file, no file outside Files.
func TestExcludes(t *testing.T) {
	src := t.TempDir()
	for _, f := range []string{"a.go", "b.go", "b_test.go", "c_windows.go", "sub/d.go"} {
		p := filepath.Join(src, "pkg", f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	match := func(ex []string, path string) bool {
		for _, e := range ex {
			if ok, _ := filepathMatchRegexp(e, path); ok {
				return true
			}
		}
		return false
	}
	tests := []struct {
		files    []string
		excluded map[string]bool
	}{
		{nil, map[string]bool{"a.go": false, "b.go": false, "c_windows.go": true, "sub/d.go": true}},
		{[]string{"a.go"}, map[string]bool{"a.go": false, "b.go": true, "c_windows.go": true, "sub/d.go": true}},
	}
	for _, tt := range tests {
		ex, err := excludes(target{Name: "pkg", Dir: "pkg", Files: tt.files}, src)
		if err != nil {
			t.Fatal(err)
		}
		for path, want := range tt.excluded {
			if got := match(ex, path); got != want {
				t.Errorf("files %v: %s excluded = %v, want %v (patterns %q)", tt.files, path, got, want, ex)
			}
		}
	}
	if _, err := excludes(target{Name: "pkg", Dir: "pkg", Files: []string{"gone.go"}}, src); err == nil {
		t.Error("a target naming a missing file was accepted (a renamed file would drop out of the table unnoticed)")
	}
}

// filepathMatchRegexp matches path against a gremlins exclusion pattern.
func filepathMatchRegexp(pattern, path string) (bool, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return false, err
	}
	return re.MatchString(path), nil
}

// The run fails on an efficacy under a floor and on an unexplained
// survivor of a gated target; an unexplained survivor of an ungated
// target is shown but does not fail it.
func TestJudge(t *testing.T) {
	list, err := ReadSurvivorList(strings.NewReader(
		"survivor encoder/parse.go CONDITIONALS_BOUNDARY\n  line if n > 0 {\n  reason equivalent\n" +
			"survivor encoder/gone.go CONDITIONALS_BOUNDARY\n  line x\n  reason old\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		rows      []Row
		survivors []*Survivor
		failures  int
	}{
		{"explained", []Row{{Target: "encoder", Dir: "encoder", Floor: 90, Gated: true, Efficacy: 95}},
			[]*Survivor{{File: "encoder/parse.go", Mutator: "CONDITIONALS_BOUNDARY", Text: "if n > 0 {"}}, 0},
		{"under floor", []Row{{Target: "encoder", Dir: "encoder", Floor: 90, Gated: true, Efficacy: 89.9}}, nil, 1},
		{"unexplained gated", []Row{{Target: "encoder", Dir: "encoder", Floor: 90, Gated: true, Efficacy: 95}},
			[]*Survivor{{File: "encoder/parse.go", Mutator: "CONDITIONALS_NEGATION", Text: "if n > 0 {"}}, 1},
		{"unexplained ungated", []Row{{Target: "daemon/feedback", Dir: "daemon/feedback", Efficacy: 50}},
			[]*Survivor{{File: "daemon/feedback/sink.go", Mutator: "CONDITIONALS_NEGATION", Text: "x"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, e := range list {
				e.used = false
			}
			r := &Results{Rows: tt.rows, Survivors: tt.survivors}
			code := r.judge(list)
			if len(r.Failures) != tt.failures || (code != 0) != (tt.failures > 0) {
				t.Fatalf("failures %q, exit %d; want %d failures", r.Failures, code, tt.failures)
			}
			if !strings.Contains(r.render(), "mutate: ") {
				t.Fatal("no verdict in the table")
			}
		})
	}
}

// The recheck applies exactly the token swap gremlins made.
func TestMutate(t *testing.T) {
	src := "package p\n\nfunc f(a, b int) bool {\n\tfor {\n\t\tbreak\n\t}\n\treturn a < b && -a <= b+1\n}\n"
	tests := []struct {
		line, col int
		mutator   string
		want      string // the mutated line
		wantErr   bool
	}{
		{7, 11, "CONDITIONALS_BOUNDARY", "\treturn a <= b && -a <= b+1", false},
		{7, 11, "CONDITIONALS_NEGATION", "\treturn a >= b && -a <= b+1", false},
		{7, 15, "INVERT_LOGICAL", "\treturn a < b || -a <= b+1", false},
		{7, 18, "INVERT_NEGATIVES", "\treturn a < b && +a <= b+1", false},
		{7, 25, "ARITHMETIC_BASE", "\treturn a < b && -a <= b-1", false},
		{5, 3, "INVERT_LOOPCTRL", "\t\tcontinue", false},
		{7, 11, "INVERT_LOGICAL", "", true},
		{7, 12, "CONDITIONALS_BOUNDARY", "", true},
	}
	for _, tt := range tests {
		out, err := mutate([]byte(src), tt.line, tt.col, tt.mutator)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%d:%d %s: no error", tt.line, tt.col, tt.mutator)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%d:%d %s: %v", tt.line, tt.col, tt.mutator, err)
		}
		if got := strings.Split(string(out), "\n")[tt.line-1]; got != tt.want {
			t.Errorf("%d:%d %s: %q, want %q", tt.line, tt.col, tt.mutator, got, tt.want)
		}
	}
}
