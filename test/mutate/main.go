package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// target is one row of the table: a package folder and the files of it
// that are mutated.
type target struct {
	Name  string   // the row's name (and the -only key)
	Dir   string   // package folder, module-relative
	Files []string // the files mutated; nil = every non-test file of Dir
	Floor float64  // minimum efficacy in percent; 0 = reported only
	Gated bool     // every survivor must be explained in the survivor list
	// Skip is a go test -skip pattern for tests too slow to run once per
	// mutant (they still run in make test); what only they would kill
	// counts as lived or not covered, so the figure errs low.
	Skip string
}

// targets are what make mutate measures. The decoders are the files of
// devices/decode that turn raw bytes into scans; the transports (serial,
// HID, console, replay, enumeration) talk to hardware and are tested elsewhere.
var targets = []target{
	{Name: "daemon/store", Dir: "daemon/store", Floor: 90, Gated: true, Skip: "^(TestCrashKill9|TestFrozenFilesystem|TestHung.*)$"},
	{Name: "daemon/station", Dir: "daemon/station", Floor: 90, Gated: true},
	{Name: "daemon", Dir: "daemon"}, // run.go: the wiring, reported only
	{Name: "daemon/status", Dir: "daemon/status"},
	{Name: "encoder", Dir: "encoder", Floor: 90, Gated: true},
	{Name: "daemon/feedback", Dir: "daemon/feedback"},
	{Name: "devices (decoders)", Dir: "devices/decode", Files: []string{"aim.go", "framer.go", "hiddesc.go", "hidpos.go", "hidposlayout.go", "kbd.go", "keypad.go", "kbdlayout.go", "ssi.go"}, Floor: 85},
}

// mutators enabled on top of gremlins' defaults (arithmetic, boundaries,
// negations, ++/--, unary minus): && <-> || and break <-> continue, which
// are where several of the guarantees' conditions sit.
var extraMutators = []string{"--invert-logical", "--invert-loopctrl"}

func main() {
	if filepath.Base(os.Args[0]) == "go" {
		os.Exit(goWrapper(os.Args[1:], os.Stdout, os.Stderr))
	}
	var o options
	flag.StringVar(&o.gremlins, "gremlins", "gremlins", "the gremlins v0.6.0 binary")
	flag.StringVar(&o.only, "only", "", "comma-separated targets (row names or folders) to run (default all): "+targetNames())
	flag.IntVar(&o.workers, "workers", 2, "gremlins workers (parallel mutant test runs)")
	flag.IntVar(&o.coefficient, "timeout-coefficient", 6, "a mutant's test run times out after this many times the unmutated run")
	flag.StringVar(&o.out, "out", "test/mutate/results.json", "results file; rows of targets not run are kept from it (\"\" = none)")
	flag.StringVar(&o.list, "survivors", "test/mutate/survivors.txt", "the survivor list")
	flag.BoolVar(&o.keep, "keep", false, "keep the work folder (source snapshot and gremlins output)")
	flag.BoolVar(&o.rejudge, "rejudge", false, "only apply the survivor list to the results file again (no gremlins run)")
	flag.BoolVar(&o.recheck, "recheck", false, "with -rejudge: first test the file's survivors again on the current source (with -only: of those targets)")
	flag.Parse()
	if o.rejudge {
		os.Exit(rejudge(o, os.Stdout, os.Stderr))
	}
	os.Exit(run(o, os.Stdout, os.Stderr))
}

// options are the command line of make mutate.
type options struct {
	gremlins, only, out, list string
	workers, coefficient      int
	keep, rejudge, recheck    bool
}

func targetNames() string {
	var n []string
	for _, t := range targets {
		n = append(n, t.Name)
	}
	return strings.Join(n, ",")
}

func run(o options, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, err)
		return 1
	}
	chosen, err := choose(o.only)
	if err != nil {
		return fail(err)
	}
	list, err := readList(o.list)
	if err != nil {
		return fail(err)
	}
	gremlins, err := exec.LookPath(o.gremlins)
	if err == nil {
		gremlins, err = filepath.Abs(gremlins) // it runs in the snapshot
	}
	if err != nil {
		return fail(fmt.Errorf("mutate: gremlins: %w", err))
	}
	realGo, err := exec.LookPath("go")
	if err != nil {
		return fail(fmt.Errorf("mutate: %w", err))
	}
	work, err := os.MkdirTemp("", "offcircd-mutate-")
	if err != nil {
		return fail(fmt.Errorf("mutate: %w", err))
	}
	if o.keep {
		fmt.Fprintln(stderr, "mutate: work folder", work)
	} else {
		defer os.RemoveAll(work)
	}
	src := filepath.Join(work, "src")
	if err := snapshot(".", src); err != nil {
		return fail(err)
	}
	wrapDir := filepath.Join(work, "wrap")
	if err := installWrapper(wrapDir); err != nil {
		return fail(err)
	}
	// -vet=off: a token mutant is a change of behaviour for the tests to
	// notice, not for vet; and vet's run per mutant costs time on 2 cores.
	env := append(os.Environ(), realGoEnv+"="+realGo,
		"PATH="+wrapDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -vet=off"))

	res := &Results{Commit: gitCommit(), Started: time.Now().UTC().Format(time.RFC3339)}
	if o.out != "" {
		res.keepRows(o.out, chosen)
	}
	for _, t := range chosen {
		fmt.Fprintf(stderr, "mutate: %s (%s) ...\n", t.Name, t.Dir)
		row, surv, err := runTarget(t, o, gremlins, src, work, realGo, env, stderr)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "mutate: %s: %s efficacy in %s\n", t.Name, pct(row.Efficacy), time.Duration(row.Seconds*float64(time.Second)).Round(time.Second))
		res.Rows = append(res.Rows, row)
		res.Survivors = append(res.Survivors, surv...)
		if o.out != "" { // each finished row is kept, even if a later one is cut short
			if err := res.write(o.out); err != nil {
				return fail(err)
			}
		}
	}
	return res.finish(list, o.out, stdout, stderr)
}

// finish judges the results against the survivor list, prints the table
// and writes the results file; it returns the exit status.
func (r *Results) finish(list []*Explained, out string, stdout, stderr io.Writer) int {
	r.sortRows()
	for i := range r.Rows { // floors and gates as the targets say now
		for _, t := range targets {
			if t.Name == r.Rows[i].Target {
				r.Rows[i].Floor, r.Rows[i].Gated = t.Floor, t.Gated
			}
		}
	}
	r.Failures, r.Stale = nil, nil
	for _, s := range r.Survivors {
		s.Reason = ""
	}
	code := r.judge(list)
	r.Table = r.render()
	fmt.Fprint(stdout, r.Table)
	if out != "" {
		if err := r.write(out); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	return code
}

// rejudge applies the survivor list to an earlier results file without
// running gremlins again (after explaining survivors).
func rejudge(o options, stdout, stderr io.Writer) int {
	b, err := os.ReadFile(o.out)
	if err == nil {
		var res Results
		if err = json.Unmarshal(b, &res); err == nil {
			var list []*Explained
			if list, err = readList(o.list); err == nil {
				if o.recheck {
					if err = res.recheckAll(o, stderr); err != nil {
						fmt.Fprintln(stderr, err)
						return 1
					}
				}
				return res.finish(list, o.out, stdout, stderr)
			}
		}
	}
	fmt.Fprintf(stderr, "mutate: -rejudge: %v\n", err)
	return 1
}

// recheckAll tests every survivor of the results again (see recheck) on a
// snapshot of the current source.
func (r *Results) recheckAll(o options, stderr io.Writer) error {
	realGo, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("mutate: %w", err)
	}
	work, err := os.MkdirTemp("", "offcircd-mutate-")
	if err != nil {
		return fmt.Errorf("mutate: %w", err)
	}
	defer os.RemoveAll(work)
	src := filepath.Join(work, "src")
	if err := snapshot(".", src); err != nil {
		return err
	}
	only := map[string]bool{} // -only: recheck those rows, keep the others as they are
	if o.only != "" {
		chosen, err := choose(o.only)
		if err != nil {
			return err
		}
		for _, t := range chosen {
			only[t.Name] = true
		}
	}
	var kept []*Survivor
	for i := range r.Rows {
		row := &r.Rows[i]
		if len(only) > 0 && !only[row.Target] {
			for _, s := range r.Survivors {
				if inTarget(s.File, row.Target, row.Dir) {
					kept = append(kept, s)
				}
			}
			continue
		}
		for _, t := range targets {
			if t.Name != row.Target {
				continue
			}
			var mine []*Survivor
			for _, s := range r.Survivors {
				if inTarget(s.File, t.Name, t.Dir) {
					mine = append(mine, s)
				}
			}
			kept = append(kept, recheck(t, row, mine, src, work, realGo, os.Environ(), recheckTimeout, o.workers, stderr)...)
			row.finish()
		}
	}
	r.Survivors = kept
	return nil
}

func readList(path string) ([]*Explained, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mutate: %w", err)
	}
	defer f.Close()
	return ReadSurvivorList(f)
}

// choose returns the targets named in only (all when empty).
func choose(only string) ([]target, error) {
	if only == "" {
		return targets, nil
	}
	var out []target
	for _, name := range strings.Split(only, ",") {
		found := false
		for _, t := range targets {
			if n := strings.TrimSpace(name); t.Name == n || t.Dir == n {
				out = append(out, t)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("mutate: -only: unknown target %q (have %s)", name, targetNames())
		}
	}
	return out, nil
}

// snapshot copies the module's tracked and untracked-but-not-ignored files
// (the source as it is in the work tree, without bin/, dist/, caches) to dst.
func snapshot(root, dst string) error {
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return fmt.Errorf("mutate: listing the source with git: %w", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		from := filepath.Join(root, filepath.FromSlash(name))
		fi, err := os.Lstat(from)
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the work tree
		}
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(from)
		if err != nil {
			return fmt.Errorf("mutate: snapshot: %w", err)
		}
		to := filepath.Join(dst, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return fmt.Errorf("mutate: snapshot: %w", err)
		}
		if err := os.WriteFile(to, b, fi.Mode().Perm()); err != nil {
			return fmt.Errorf("mutate: snapshot: %w", err)
		}
	}
	return nil
}

// installWrapper copies this program into dir under the name "go" (a
// copy, not a link: rebuilding bin/mutate during a run must not change it).
func installWrapper(dir string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("mutate: %w", err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		return fmt.Errorf("mutate: go wrapper: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mutate: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), b, 0o755); err != nil {
		return fmt.Errorf("mutate: go wrapper: %w", err)
	}
	return nil
}

// excludes returns the gremlins --exclude-files patterns (matched against
// paths relative to t.Dir) that leave exactly t's files: no subfolder
// (its own package, its own row), no Windows-only file (never compiled
// here, so never covered) and, when t.Files is set, nothing else.
func excludes(t target, src string) ([]string, error) {
	ex := []string{`/`, `_windows\.go$`}
	if t.Files == nil {
		return ex, nil
	}
	want := map[string]bool{}
	for _, f := range t.Files {
		if _, err := os.Stat(filepath.Join(src, t.Dir, f)); err != nil {
			return nil, fmt.Errorf("mutate: target %s: %w", t.Name, err)
		}
		want[f] = true
	}
	ents, err := os.ReadDir(filepath.Join(src, t.Dir))
	if err != nil {
		return nil, fmt.Errorf("mutate: target %s: %w", t.Name, err)
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && !want[n] {
			ex = append(ex, "^"+regexp.QuoteMeta(n)+"$")
		}
	}
	return ex, nil
}

// recheckTimeout bounds one survivor's test run in the recheck.
const recheckTimeout = 3 * time.Minute

// gremlinsOutput is the part of gremlins' --output JSON that is read.
type gremlinsOutput struct {
	Files []struct {
		Name      string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
}

// runTarget runs gremlins on one target and tallies its mutants.
func runTarget(t target, o options, gremlins, src, work, realGo string, env []string, stderr io.Writer) (Row, []*Survivor, error) {
	ex, err := excludes(t, src)
	if err != nil {
		return Row{}, nil, err
	}
	outFile := filepath.Join(work, strings.NewReplacer("/", "_", " ", "_", "(", "", ")", "").Replace(t.Name)+".json")
	args := []string{"unleash",
		"--workers", fmt.Sprint(o.workers),
		"--timeout-coefficient", fmt.Sprint(o.coefficient),
		"--output", outFile,
		"--output-statuses", "ltv", // print lived, timed out, not viable
	}
	args = append(args, extraMutators...)
	for _, e := range ex {
		args = append(args, "--exclude-files", e)
	}
	args = append(args, filepath.Join(src, filepath.FromSlash(t.Dir)))
	cmd := exec.Command(gremlins, args...)
	cmd.Dir = src
	cmd.Env = append(env, skipEnv+"="+t.Skip)
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return Row{}, nil, fmt.Errorf("mutate: gremlins on %s: %w", t.Dir, err)
	}
	b, err := os.ReadFile(outFile)
	if err != nil {
		return Row{}, nil, fmt.Errorf("mutate: gremlins on %s wrote no results: %w", t.Dir, err)
	}
	var g gremlinsOutput
	if err := json.Unmarshal(b, &g); err != nil {
		return Row{}, nil, fmt.Errorf("mutate: gremlins results of %s: %w", t.Dir, err)
	}
	row := Row{Target: t.Name, Dir: t.Dir, Floor: t.Floor, Gated: t.Gated, Commit: gitCommit()}
	var surv []*Survivor
	lines := map[string][]string{}
	for _, f := range g.Files {
		file := pathJoin(t.Dir, f.Name)
		for _, m := range f.Mutations {
			if !row.count(m.Status) {
				return Row{}, nil, fmt.Errorf("mutate: gremlins results of %s: unknown status %q", t.Dir, m.Status)
			}
			if m.Status != "LIVED" {
				continue
			}
			if _, ok := lines[file]; !ok {
				lines[file] = readLines(filepath.Join(src, filepath.FromSlash(file)))
			}
			text := ""
			if l := lines[file]; m.Line >= 1 && m.Line <= len(l) {
				text = strings.TrimSpace(l[m.Line-1])
			}
			surv = append(surv, &Survivor{File: file, Mutator: m.Type, Line: m.Line, Column: m.Column, Text: text})
		}
	}
	surv = recheck(t, &row, surv, src, work, realGo, env, recheckTimeout, o.workers, stderr)
	row.Seconds = time.Since(start).Seconds()
	row.finish()
	sort.Slice(surv, func(i, j int) bool {
		if surv[i].File != surv[j].File {
			return surv[i].File < surv[j].File
		}
		if surv[i].Line != surv[j].Line {
			return surv[i].Line < surv[j].Line
		}
		return surv[i].Column < surv[j].Column
	})
	return row, surv, nil
}

func pathJoin(dir, name string) string {
	return strings.TrimPrefix(dir+"/"+filepath.ToSlash(name), "./")
}

func readLines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return strings.Split(string(b), "\n")
}

// gitCommit names the source measured: the commit, "+dirty" with local changes.
func gitCommit() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty=+dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
