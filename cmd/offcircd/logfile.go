package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/offcircd/offcircd/internal/privdir"
)

// Limits of a log file offcircd writes itself on Windows, where nothing
// like logrotate or the journal exists: at most logMaxMB megabytes in the
// current file and logBackups old ones (offcircd-<time>.log beside it), so
// a station that logs a fault every second for months still has a disk.
const (
	logMaxMB   = 10
	logBackups = 5
)

// openLogFile opens the log file for appending. On Windows it rotates by
// size; elsewhere it is a plain file (logrotate's or the journal's job).
func openLogFile(path string) (io.WriteCloser, error) {
	return openLog(path, runtime.GOOS == "windows", logMaxMB, logBackups)
}

// openLog opens path, failing at once when it cannot be written (the
// rotating writer would only fail at the first line). With rotate, the
// file is moved aside once it would pass maxMB and at most backups old
// files are kept.
func openLog(path string, rotate bool, maxMB, backups int) (io.WriteCloser, error) {
	// Created like data_dir and state_dir: a log folder that is not there
	// yet must not keep the station from starting.
	if err := privdir.MkdirAll(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	if !rotate {
		return f, nil
	}
	f.Close()
	return &lumberjack.Logger{Filename: path, MaxSize: maxMB, MaxBackups: backups, LocalTime: true}, nil
}
