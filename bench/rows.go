//go:build linux

package main

import (
	"fmt"
	"time"
)

func latencyRows(r *latencyResult) []Row {
	n := len(r.durable)
	floorName := "open+write+fsync+close"
	var rows []Row
	for _, q := range []float64{50, 99} {
		d, f := percentile(r.durable, q), percentile(r.floor, q)
		row := Row{Section: "1 scan→durable", Name: fmt.Sprintf("p%.0f of %d (pty → fsynced line)", q, n),
			Value: ms(d), Unit: "ms", FloorName: floorName, Floor: ms(f), Ratio: ratio(ms(d), ms(f))}
		if q == 99 {
			row.Target = "≤ 1.3× floor p99"
			row.Pass = pass(row.Ratio <= 1.3)
			row.Note = "detected by inotify IN_CLOSE_WRITE on the data file (the store closes after fsync); floor timed after each scan in the same folder"
		}
		rows = append(rows, row)
	}
	for _, q := range []float64{50, 99} {
		d, f := percentile(r.beep, q), percentile(r.floor, q)
		row := Row{Section: "2 scan→beep", Name: fmt.Sprintf("p%.0f of %d (pty → good beep to sink)", q, n),
			Value: ms(d), Unit: "ms", FloorName: floorName, Floor: ms(f), Ratio: ratio(ms(d), ms(f)),
			Target: "≤ floor + 2 ms", Pass: pass(d <= f+2*time.Millisecond)}
		if q == 99 {
			row.Note = "in-process fake sink: Play called by the feedback dispatcher; same scans as section 1"
		}
		rows = append(rows, row)
	}
	return rows
}

func burstRows(r *burstResult) []Row {
	sec := "3 burst"
	total := r.scanners * r.perScanner
	rate, floor := r.rate(), r.floorRate()
	rows := []Row{{
		Section: sec, Name: fmt.Sprintf("%d scanners × %d scans", r.scanners, r.perScanner),
		Value: rate, Unit: "rec/s", FloorName: "fsyncs/s (open+write+fsync+close)", Floor: floor, Ratio: ratio(rate, floor),
		Target: "≥ 0.8× floor", Pass: pass(ratio(rate, floor) >= 0.8),
		Note: fmt.Sprintf("%d records in %d rounds, %s first pty write → last line in the file; floor: %d writes in %s, before each round and after the last",
			total, r.rounds, r.elapsed.Round(time.Millisecond), r.floorN, r.floorElapsed.Round(time.Millisecond)),
	}}
	for _, c := range []struct {
		name string
		n    int
	}{{"lost", r.check.lost}, {"torn/interleaved/foreign lines", r.check.malformed}, {"duplicated", r.check.duplicates}, {"out of scanner order", r.check.outOfOrder}} {
		rows = append(rows, Row{Section: sec, Name: c.name, Value: float64(c.n), Unit: "records", Target: "0", Pass: pass(c.n == 0)})
	}
	return rows
}

func idleRows(r *idleResult) []Row {
	sec := fmt.Sprintf("4 idle (%d serial + %d hid)", r.scanners, r.hid)
	per60 := 60 / r.window.Seconds()
	note := ""
	if r.window != time.Minute {
		note = fmt.Sprintf("measured over %s and scaled to 60 s; /proc/<pid>/stat counts in 10 ms ticks, so short windows are coarse", r.window)
	}
	return []Row{
		{Section: sec, Name: "CPU (utime+stime, /proc/<pid>/stat)", Value: r.cpu * per60, Unit: "CPU-s/60s",
			FloorName: "idle Go process", Floor: r.floorCPU * per60, Target: "< 0.06", Pass: pass(r.cpu*per60 < 0.06), Note: note},
		{Section: sec, Name: "CPU (threads' schedstat, ns clock)", Value: r.schedCPU * per60, Unit: "CPU-s/60s"},
		{Section: sec, Name: "RSS (VmRSS)", Value: float64(r.rssKB) / 1024, Unit: "MB",
			FloorName: "idle Go process", Floor: float64(r.floorRSSKB) / 1024, Ratio: ratio(float64(r.rssKB), float64(r.floorRSSKB)),
			Target: "< 20", Pass: pass(r.rssKB < 20*1024)},
		{Section: sec, Name: "peak RSS (VmHWM)", Value: float64(r.hwmKB) / 1024, Unit: "MB"},
		{Section: sec, Name: "log lines while idle", Value: float64(r.logLines), Unit: "lines"},
	}
}

func startupRows(r *startupResult, scanners int) []Row {
	sec := "5 start-up"
	run, conn, peer := median(r.running), median(r.connected), median(r.peer)
	n := len(r.running)
	return []Row{
		{Section: sec, Name: fmt.Sprintf("start → \"offcircd running\", median of %d", n), Value: ms(run), Unit: "ms",
			FloorName: "`offcircd version` start→exit", Floor: ms(peer), Ratio: ratio(ms(run), ms(peer)),
			Target: "< 100 ms", Pass: pass(run < 100*time.Millisecond),
			Note: fmt.Sprintf("max %s; every scanner started (opened or waiting) when the line is logged", ms3(slicesMax(r.running)))},
		{Section: sec, Name: fmt.Sprintf("start → %d serial ports open, median", scanners), Value: ms(conn), Unit: "ms",
			FloorName: "`offcircd version` start→exit", Floor: ms(peer), Ratio: ratio(ms(conn), ms(peer))},
	}
}

func filesRows(r *filesResult) []Row {
	sec := fmt.Sprintf("6 files (%d lines, %.0f MB)", r.lines, float64(r.bytes)/1e6)
	mb := float64(r.bytes) / 1e6
	note := fmt.Sprintf("fastest of %d run(s); sort is GNU sort -s -k1.1,1.12 with LC_ALL=C on the same files", r.runs)
	if !r.mergeEqualsSort {
		note += "; MERGE OUTPUT DIFFERS FROM THE STABLE SORT"
	} else {
		note += "; merge output byte-identical to sort's"
	}
	return []Row{
		{Section: sec, Name: "merge", Value: r.merge.Seconds(), Unit: "s", FloorName: "sort", Floor: r.sort.Seconds(),
			Ratio: ratio(r.merge.Seconds(), r.sort.Seconds()), Target: "< sort", Pass: pass(r.merge < r.sort), Note: note},
		{Section: sec, Name: "merge throughput", Value: mb / r.merge.Seconds(), Unit: "MB/s", FloorName: "sort", Floor: mb / r.sort.Seconds(),
			Ratio: ratio(r.sort.Seconds(), r.merge.Seconds())},
		{Section: sec, Name: "check (merged file)", Value: r.check.Seconds(), Unit: "s", FloorName: "wc -l", Floor: r.wc.Seconds(),
			Ratio: ratio(r.check.Seconds(), r.wc.Seconds()), Target: "≤ 3× wc -l", Pass: pass(r.check <= 3*r.wc)},
		{Section: sec, Name: "check throughput", Value: mb / r.check.Seconds(), Unit: "MB/s", FloorName: "wc -l", Floor: mb / r.wc.Seconds(),
			Ratio: ratio(r.wc.Seconds(), r.check.Seconds())},
	}
}

func mergeMemRows(r *mergeMemResult) []Row {
	sec := fmt.Sprintf("7 merge memory (%d lines, %.0f MB)", r.lines, float64(r.bytes)/1e6)
	mb := float64(r.rssKB) / 1024
	return []Row{
		{Section: sec, Name: "merge peak RSS", Value: mb, Unit: "MB", Target: fmt.Sprintf("< %d MB", mergeRSSTargetMB),
			Pass: pass(mb < mergeRSSTargetMB), Note: "VmHWM of the merge process; ten station files merged into one"},
		{Section: sec, Name: "merge time", Value: r.took.Seconds(), Unit: "s",
			Note: fmt.Sprintf("%.0f MB/s, one run", float64(r.bytes)/1e6/r.took.Seconds())},
	}
}

func slicesMax(d []time.Duration) time.Duration {
	var m time.Duration
	for _, x := range d {
		m = max(m, x)
	}
	return m
}

func ms3(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
