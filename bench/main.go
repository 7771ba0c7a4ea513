//go:build linux

package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// plan holds the sizes of one run; quick keeps `make test` short.
type plan struct {
	latencyScans          int
	burstScanners, burstN int
	burstFloor            int
	burstTimeout          time.Duration
	idleScanners          int
	idleWindow            time.Duration
	startups              int
	stations, perStation  int
	fileRuns              int
	bigPerStation         int // section 7: ten stations of this many records (1 GB in the full plan)
}

var (
	fullPlan  = plan{2000, 8, 1000, 1000, 5 * time.Minute, 4, 60 * time.Second, 20, 10, 100_000, 3, 1_000_000}
	quickPlan = plan{100, 8, 50, 100, time.Minute, 4, 2 * time.Second, 3, 10, 2_000, 2, 20_000} // two file runs: the repeat must work too
)

func main() {
	quick := flag.Bool("quick", false, "small counts and a 2 s idle window (make bench-quick, inside make test)")
	bin := flag.String("bin", "", "offcircd binary to measure (default: go build ./cmd/offcircd into the work folder)")
	out := flag.String("out", "bench/results.json", "results file (\"\" = none)")
	dir := flag.String("dir", "", "folder for the data files; its file system is what is measured (default: the system temp folder)")
	keep := flag.Bool("keep", false, "keep the work folder")
	only := flag.String("only", "", "comma-separated sections to run (latency,burst,idle,startup,files,mergemem); default all")
	child := flag.Bool("idle-child", false, "internal: the idle floor process")
	flag.Parse()
	if *child {
		idleChild()
	}
	os.Exit(run(*quick, *bin, *out, *dir, *keep, *only))
}

func run(quick bool, bin, out, dir string, keep bool, only string) int {
	p := fullPlan
	if quick {
		p = quickPlan
	}
	work, err := os.MkdirTemp(dir, "offcircd-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if keep {
		fmt.Fprintln(os.Stderr, "bench: work folder", work)
	} else {
		defer os.RemoveAll(work)
	}
	if bin == "" {
		bin = filepath.Join(work, "offcircd")
		if b, err := exec.Command("go", "build", "-o", bin, "./cmd/offcircd").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: building offcircd: %v\n%s", err, b)
			return 1
		}
	} else if bin, err = filepath.Abs(bin); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}

	res := &Results{Commit: gitCommit(), Started: time.Now().Format(time.RFC3339), Quick: quick, Host: hostInfo(work)}
	start := time.Now()
	want := func(name string) bool {
		return only == "" || strings.Contains(","+only+",", ","+name+",")
	}
	section := func(name string, f func(dir string) ([]Row, error)) {
		if !want(name) {
			return
		}
		fmt.Fprintf(os.Stderr, "bench: %s …\n", name)
		d := filepath.Join(work, name)
		if err := os.MkdirAll(d, 0o750); err != nil {
			res.Failures = append(res.Failures, name+": "+err.Error())
			return
		}
		t := time.Now()
		rows, err := f(d)
		res.Rows = append(res.Rows, rows...)
		if err != nil {
			res.Failures = append(res.Failures, name+": "+err.Error())
		}
		fmt.Fprintf(os.Stderr, "bench: %s done in %s\n", name, time.Since(t).Round(time.Millisecond))
	}

	section("latency", func(d string) ([]Row, error) {
		r, err := runLatency(d, p.latencyScans)
		if err != nil {
			return nil, err
		}
		return latencyRows(r), nil
	})
	section("burst", func(d string) ([]Row, error) {
		r, err := runBurst(d, p.burstScanners, p.burstN, p.burstFloor, p.burstTimeout)
		if err != nil {
			return nil, err
		}
		return burstRows(r), nil
	})
	var st *station
	stationFor := func(d string) (*station, error) {
		if st == nil {
			var err error
			st, err = newStation(d, p.idleScanners)
			return st, err
		}
		return st, nil
	}
	section("idle", func(d string) ([]Row, error) {
		s, err := stationFor(d)
		if err != nil {
			return nil, err
		}
		r, err := runIdle(bin, s, p.idleWindow)
		if err != nil {
			return nil, err
		}
		return idleRows(r), nil
	})
	section("startup", func(d string) ([]Row, error) {
		s, err := stationFor(d)
		if err != nil {
			return nil, err
		}
		r, err := runStartup(bin, s, p.startups)
		if err != nil {
			return nil, err
		}
		return startupRows(r, s.scanners), nil
	})
	if st != nil {
		st.close()
	}
	section("files", func(d string) ([]Row, error) {
		r, err := runFiles(bin, d, p.stations, p.perStation, p.fileRuns)
		if err != nil {
			return nil, err
		}
		return filesRows(r), nil
	})
	section("mergemem", func(d string) ([]Row, error) {
		r, err := runMergeMem(bin, d, p.stations, p.bigPerStation)
		if err != nil {
			return nil, err
		}
		return mergeMemRows(r), nil
	})
	res.Seconds = time.Since(start).Seconds()

	fmt.Printf("\noffcircd bench (%s, %s, data on %s, %s CPUs) — %s\n", res.Commit, map[bool]string{true: "quick", false: "full"}[quick],
		res.Host["fs"], res.Host["cpus"], time.Duration(res.Seconds*float64(time.Second)).Round(time.Second))
	printTable(os.Stdout, res)
	if out != "" {
		if err := writeJSON(out, res); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("written to %s\n", out)
	}
	// Missed targets are findings, not harness failures (figures on a shared
	// machine vary); a section that could not run, or lost, torn or
	// reordered records, fail the run.
	if len(res.Failures) > 0 || !correct(res.Rows) {
		return 1
	}
	return 0
}

// correct reports whether every correctness row (section 3's counts) passed.
func correct(rows []Row) bool {
	for _, r := range rows {
		if r.Unit == "records" && r.Pass != nil && !*r.Pass {
			return false
		}
	}
	return true
}

func gitCommit() string {
	b, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// fsNames names the statfs magic numbers of the file systems a station
// is likely to keep its data on.
var fsNames = map[int64]string{
	0xEF53: "ext4", 0x01021994: "tmpfs", 0x58465342: "xfs", 0x9123683E: "btrfs",
	0x794c7630: "overlayfs", 0x4d44: "vfat", 0x5346544e: "ntfs", 0x2fc12fc1: "zfs", 0x6969: "nfs",
}

func hostInfo(dir string) map[string]string {
	h := map[string]string{
		"go": runtime.Version(), "os": runtime.GOOS + "/" + runtime.GOARCH,
		"cpus": fmt.Sprint(runtime.NumCPU()), "dir": dir,
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		h["kernel"] = unix.ByteSliceToString(u.Release[:])
	}
	var s unix.Statfs_t
	if unix.Statfs(dir, &s) == nil {
		h["fs"] = fsNames[int64(s.Type)]
		if h["fs"] == "" {
			h["fs"] = fmt.Sprintf("fs 0x%x", s.Type)
		}
	}
	return h
}
