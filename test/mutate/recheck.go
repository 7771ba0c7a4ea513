package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/scanner"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Gremlins v0.6.0 reads any failure to run `go test` (fork refused on a
// loaded machine, a crashed go command) as LIVED. So every survivor is
// tested once more here, with the mutation applied through go's -overlay
// (the source tree is not touched): a survivor stays one only when the
// tests really pass with it.

// mutations maps gremlins' mutator types to the token swaps they make.
var mutations = map[string]map[token.Token]token.Token{
	"ARITHMETIC_BASE":       {token.ADD: token.SUB, token.MUL: token.QUO, token.QUO: token.MUL, token.REM: token.MUL, token.SUB: token.ADD},
	"CONDITIONALS_BOUNDARY": {token.GEQ: token.GTR, token.GTR: token.GEQ, token.LEQ: token.LSS, token.LSS: token.LEQ},
	"CONDITIONALS_NEGATION": {token.EQL: token.NEQ, token.GEQ: token.LSS, token.GTR: token.LEQ, token.LEQ: token.GTR, token.LSS: token.GEQ, token.NEQ: token.EQL},
	"INCREMENT_DECREMENT":   {token.DEC: token.INC, token.INC: token.DEC},
	"INVERT_LOGICAL":        {token.LAND: token.LOR, token.LOR: token.LAND},
	"INVERT_LOOPCTRL":       {token.BREAK: token.CONTINUE, token.CONTINUE: token.BREAK},
	"INVERT_NEGATIVES":      {token.SUB: token.ADD},
}

// mutate returns src with the token at line:col swapped as mutator does.
func mutate(src []byte, line, col int, mutator string) ([]byte, error) {
	swaps, ok := mutations[mutator]
	if !ok {
		return nil, fmt.Errorf("mutate: unknown mutator %s", mutator)
	}
	fset := token.NewFileSet()
	f := fset.AddFile("x.go", -1, len(src))
	var s scanner.Scanner
	s.Init(f, src, nil, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return nil, fmt.Errorf("mutate: no token at %d:%d", line, col)
		}
		p := fset.Position(pos)
		if p.Line != line || p.Column != col {
			continue
		}
		to, ok := swaps[tok]
		if !ok {
			return nil, fmt.Errorf("mutate: %s at %d:%d is not a %s token", tok, line, col, mutator)
		}
		n := len(tok.String())
		if lit != "" {
			n = len(lit)
		}
		off := f.Offset(pos)
		out := append(append(append([]byte(nil), src[:off]...), to.String()...), src[off+n:]...)
		return out, nil
	}
}

// recheck runs each survivor's tests again; it returns the survivors that
// really live and counts the others into row.
func recheck(t target, row *Row, surv []*Survivor, src, work, realGo string, env []string, timeout time.Duration, workers int, stderr io.Writer) []*Survivor {
	type result struct {
		s      *Survivor
		status string
	}
	jobs := make(chan *Survivor)
	results := make(chan result)
	var wg sync.WaitGroup
	for w := range max(1, workers) {
		wg.Go(func() {
			for s := range jobs {
				results <- result{s, recheckOne(t, s, src, filepath.Join(work, fmt.Sprintf("recheck-%d", w)), realGo, env, timeout)}
			}
		})
	}
	go func() {
		for _, s := range surv {
			jobs <- s
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	var live []*Survivor
	for r := range results {
		if r.status == "LIVED" {
			live = append(live, r.s)
			continue
		}
		fmt.Fprintf(stderr, "mutate: recheck: %s:%d:%d %s is %s, not LIVED\n", r.s.File, r.s.Line, r.s.Column, r.s.Mutator, r.status)
		row.Lived--
		row.count(r.status)
		row.Rechecked++
	}
	return live
}

// recheckOne runs t's tests with s applied and returns the gremlins status.
func recheckOne(t target, s *Survivor, src, dir, realGo string, env []string, timeout time.Duration) string {
	path := filepath.Join(src, filepath.FromSlash(s.File))
	b, err := os.ReadFile(path)
	if err != nil {
		return "LIVED"
	}
	line := relocate(b, s)
	if line == 0 {
		return "LIVED" // the mutated line is gone: nothing to test, the figure errs low
	}
	m, err := mutate(b, line, s.Column, s.Mutator)
	if err != nil {
		return "LIVED"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "LIVED"
	}
	mf := filepath.Join(dir, "mutant.go")
	ov := filepath.Join(dir, "overlay.json")
	j, _ := json.Marshal(map[string]map[string]string{"Replace": {path: mf}})
	if os.WriteFile(mf, m, 0o644) != nil || os.WriteFile(ov, j, 0o644) != nil {
		return "LIVED"
	}
	for attempt := 0; attempt < 3; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		args := []string{"test", "-overlay", ov, "-count=1", "-failfast", "-vet=off", "-timeout", (timeout + 2*time.Second).String()}
		if t.Skip != "" {
			args = append(args, "-skip", t.Skip)
		}
		cmd := exec.CommandContext(ctx, realGo, append(args, "./"+t.Dir)...)
		cmd.Dir = src
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
		cancel()
		var exit *exec.ExitError
		switch {
		case timedOut:
			return "TIMED OUT"
		case err == nil:
			return "LIVED"
		case errors.As(err, &exit) && exit.ExitCode() == 1 && buildFailed.Match(out.Bytes()):
			return "NOT VIABLE"
		case errors.As(err, &exit) && exit.ExitCode() == 1 && !strings.Contains(out.String(), "resource temporarily unavailable"):
			return "KILLED"
		}
		time.Sleep(time.Second) // the machine refused to run it: try again
	}
	return "LIVED"
}

// relocate returns the line of the current source that s mutates: its
// recorded line when that still holds s's text, else the nearest line
// that does (the file changed after the run and lines moved), 0 when no
// line does. A survivor without text keeps its line.
func relocate(src []byte, s *Survivor) int {
	want := strings.TrimSpace(s.Text)
	if want == "" {
		return s.Line
	}
	lines := strings.Split(string(src), "\n")
	if s.Line >= 1 && s.Line <= len(lines) && strings.TrimSpace(lines[s.Line-1]) == want {
		return s.Line
	}
	best := 0
	dist := func(n int) int { return max(n-s.Line, s.Line-n) }
	for i, l := range lines {
		if strings.TrimSpace(l) == want && (best == 0 || dist(i+1) < dist(best)) {
			best = i + 1
		}
	}
	return best
}
