package main

import (
	"bytes"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// closeWatch reports, for one file name in a folder, every close of a
// descriptor that had it open for writing (IN_CLOSE_WRITE). The store
// opens, writes, fsyncs and only then closes the data file for each record,
// so the event means "the line is fsynced"; it is timestamped when the
// harness reads it.
type closeWatch struct {
	f    *os.File
	name string
	ch   chan time.Time
}

func newCloseWatch(dir, name string) (*closeWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("bench: inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CLOSE_WRITE); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bench: inotify %s: %w", dir, err)
	}
	// Non-blocking and wrapped in os.File, so reads park in the runtime
	// poller and Close ends the reader.
	w := &closeWatch{f: os.NewFile(uintptr(fd), "inotify"), name: name, ch: make(chan time.Time, 1024)}
	go w.run()
	return w, nil
}

func (w *closeWatch) run() {
	defer close(w.ch)
	buf := make([]byte, 64*1024)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return
		}
		at := time.Now()
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameB := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if string(bytes.TrimRight(nameB, "\x00")) == w.name {
				select {
				case w.ch <- at:
				default:
				}
			}
		}
	}
}

func (w *closeWatch) Close() error { return w.f.Close() }
