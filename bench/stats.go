//go:build linux

package main

import (
	"slices"
	"time"
)

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of d,
// or 0 for no samples. Nearest rank never interpolates, so every figure is
// a latency that really happened.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(len(s)-1, i))]
}

// median is percentile 50.
func median(d []time.Duration) time.Duration { return percentile(d, 50) }

// ms converts a duration to fractional milliseconds for the table and JSON.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ratio is a/b, or 0 when b is 0 (no floor measured: the row says so).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
