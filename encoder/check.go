package encoder

import (
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"strconv"
	"time"
)

// FutureTolerance is how far past the checking machine's clock a record may
// lie before check calls it "in the future". Station clocks drift and
// stations are not always NTP-synced while the network is down; ten minutes
// forgives that while still catching a clock set to the wrong day or zone.
const FutureTolerance = 10 * time.Minute

// Severity says whether a problem stops a file from being uploaded.
type Severity int

// Errors make a line unusable (Alma would reject or mis-read it); warnings
// are lines Alma accepts but a person should look at.
const (
	SeverityError Severity = iota + 1
	SeverityWarning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Problem is one finding of Check, on a 1-based line.
type Problem struct {
	Line     int
	Severity Severity
	Msg      string
}

// String formats p as "LINE: error|warning: message"; callers prefix the
// file name to get the FILE:LINE form editors jump to.
func (p Problem) String() string {
	return strconv.Itoa(p.Line) + ": " + p.Severity.String() + ": " + p.Msg
}

// Options tune Check and Merger. The zero value checks against the current
// time in time.Local.
type Options struct {
	Location *time.Location // zone of the file's wall-clock times; nil = time.Local
	Now      time.Time      // reference for "in the future"; zero = time.Now()
	// Report, when set, receives each problem as it is found instead of the
	// problems being collected, so a huge bad file needs no memory for them.
	Report func(Problem)
}

// Summary counts what Check saw in one file. Loans and Returns count lines
// without errors, i.e. what Alma would load.
type Summary struct {
	File     string
	Lines    int
	Loans    int
	Returns  int
	Errors   int
	Warnings int
}

// String is the one-line summary printed by check and archive; its format is
// stable because scripts parse it.
func (s Summary) String() string {
	return fmt.Sprintf("%s: %d lines, %d loans, %d returns, %d errors, %d warnings",
		s.File, s.Lines, s.Loans, s.Returns, s.Errors, s.Warnings)
}

// OK reports whether the file is fit for upload: no errors, and with strict
// no warnings either.
func (s Summary) OK(strict bool) bool {
	return s.Errors == 0 && (!strict || s.Warnings == 0)
}

// Check reads a data file from r and reports every problem (see the package
// documentation of the rules). name only fills Summary.File. The error is
// for read failures only; problems in the data are in the summary.
func Check(r io.Reader, name string, opt Options) (Summary, []Problem, error) {
	return check(r, name, opt, 0)
}

// CheckFile is Check on the file at path.
func CheckFile(path string, opt Options) (Summary, []Problem, error) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{File: path}, nil, fmt.Errorf("check: %w", err)
	}
	defer f.Close()
	hint := 0
	if fi, err := f.Stat(); err == nil {
		hint = int(fi.Size() / (ReturnLen + 2))
	}
	return check(f, path, opt, hint)
}

func check(r io.Reader, name string, opt Options, hint int) (Summary, []Problem, error) {
	c := newChecker(name, opt, true, hint)
	size := chunkSize
	if hint > 0 && hint*(ReturnLen+2) < size {
		size = hint*(ReturnLen+2) + 1 // a small file: one read
	}
	if err := c.checkPiped(r, size); err != nil {
		return c.sum, c.problems, fmt.Errorf("check: %s: %w", name, err)
	}
	return c.sum, c.problems, nil
}

// checker applies the line rules and the rules across lines (duplicates,
// order) of one file. Merger uses it too, so both agree on what is bad.
type checker struct {
	opt      Options
	nowKey   uint64
	sum      Summary
	problems []Problem
	errs     lineErrs
	tc       tsCache

	// maxProblems, when not 0, is how many problems are kept; the summary
	// counts them all.
	maxProblems int

	dups bool
	seed maphash.Seed
	dup  dupIndex

	prevTS   uint64
	prevLine int
}

func newChecker(name string, opt Options, dups bool, hint int) *checker {
	loc := opt.Location
	if loc == nil {
		loc = time.Local
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	key, _ := strconv.ParseUint(now.Add(FutureTolerance).In(loc).Format(TimeLayout), 10, 64)
	c := &checker{opt: opt, nowKey: key, sum: Summary{File: name}, dups: dups}
	if dups {
		c.seed = maphash.MakeSeed()
		c.dup.ents = make([]dupEnt, 0, hint)
	}
	return c
}

func (c *checker) report(line int, sev Severity, msg string) {
	if sev == SeverityError {
		c.sum.Errors++
	} else {
		c.sum.Warnings++
	}
	p := Problem{Line: line, Severity: sev, Msg: msg}
	if c.opt.Report != nil {
		c.opt.Report(p)
		return
	}
	if c.maxProblems == 0 || len(c.problems) < c.maxProblems {
		c.problems = append(c.problems, p)
	}
}

// line checks one raw line (line end removed) and returns its fields and
// whether it is usable.
func (c *checker) line(num int, raw []byte, torn error) (fields, bool) {
	c.sum.Lines++
	if torn != nil {
		c.report(num, SeverityError, torn.Error())
		return fields{}, false
	}
	c.errs = lineErrs{}
	f, warn := parseFields(raw, &c.errs, &c.tc)
	if c.errs.n == 1 && c.errs.errs[0] == ErrEmptyLine {
		c.report(num, SeverityWarning, "empty line")
		return f, false
	}
	if f.ts > c.nowKey && c.errs.n == 0 {
		c.errs.add(fmt.Errorf("time %s is in the future (more than %v ahead of this computer's clock)", raw[:TimeLen], FutureTolerance))
	}
	if c.errs.n > 0 {
		for _, err := range c.errs.errs[:c.errs.n] {
			c.report(num, SeverityError, err.Error())
		}
		return f, false
	}
	// Only Merger calls line, and it drops duplicates itself (dups off):
	// no hashes for the duplicate index.
	c.usable(num, f.ts, f.typ, warn != nil, 0, 0)
	return f, true
}

// result applies the rules across lines to a worker's verdict on line num.
func (c *checker) result(num int, r *lineRes, errs []error) {
	c.sum.Lines++
	switch r.kind {
	case resEmpty:
		c.report(num, SeverityWarning, "empty line")
		return
	case resBad:
		for _, err := range errs[r.e0 : r.e0+int32(r.ne)] {
			c.report(num, SeverityError, err.Error())
		}
		return
	}
	if r.ts > c.nowKey {
		c.report(num, SeverityError, fmt.Sprintf("time %012d is in the future (more than %v ahead of this computer's clock)", r.ts, FutureTolerance))
		return
	}
	c.usable(num, r.ts, r.typ, r.kind == resWarn, r.ih, r.lh)
}

// usable applies the rules across lines to a line without errors: its
// warnings, order, duplicates, and counts it.
func (c *checker) usable(num int, ts uint64, typ byte, warn bool, ih, lh uint64) {
	if warn {
		c.report(num, SeverityWarning, ErrPatronOnReturn.Error()+" (merge drops it)")
	}
	if ts < c.prevTS {
		c.report(num, SeverityWarning, fmt.Sprintf("time %012d is earlier than line %d (Alma applies lines in file order, and so does merge: is the station's clock right?)", ts, c.prevLine))
	}
	c.prevTS, c.prevLine = ts, num
	if c.dups {
		if first := c.dup.add(ts, ih, lh, uint32(num)); first != 0 {
			c.report(num, SeverityWarning, fmt.Sprintf("duplicate of line %d", first))
		}
	}
	if typ == byte(Loan) {
		c.sum.Loans++
	} else {
		c.sum.Returns++
	}
}
