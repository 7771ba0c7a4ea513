package station

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/offcircd/offcircd/encoder"
)

// History is what the station's own files say each barcode is: a patron ID
// (it was lent to) or an item (it was lent or returned). With no patterns
// configured it classifies a scan the workflow alone would guess, so the
// next patron's card at a busy desk is a patron, not an item lent to the
// last one.
//
// Its size is bounded: at most HistoryMax barcodes, read from at most
// HistoryReadMax bytes of files, newest first (data file, spool, then the
// archives from the newest). Only 64-bit hashes are kept, so 300,000
// barcodes take a few megabytes; two barcodes colliding is a 1 in 2^64
// event per pair.
type History struct {
	mu    sync.Mutex
	seed  maphash.Seed
	known map[uint64]uint8 // bit histPatron, histItem
}

const (
	histPatron uint8 = 1 << iota
	histItem
)

// Bounds of the history index.
var (
	HistoryMax     = 300_000
	HistoryReadMax = int64(64 << 20)
)

// NewHistory returns an empty history.
func NewHistory() *History {
	return &History{seed: maphash.MakeSeed(), known: map[uint64]uint8{}}
}

// LoadHistory reads the data file, the spool and the archive folder (names
// sorted newest first) into a History. Files that are missing or
// unreadable are skipped (logged at debug): history is a help, never a
// reason not to start.
func LoadHistory(dataFile, spoolFile, archiveDir string, log *slog.Logger) *History {
	h := NewHistory()
	files := []string{dataFile, spoolFile}
	archives, _ := filepath.Glob(filepath.Join(archiveDir, "*.dat"))
	slices.Sort(archives)
	slices.Reverse(archives) // OffCirc-YYYYMMDD-HHMMSS-NNN.dat: newest first
	files = append(files, archives...)
	budget := HistoryReadMax
	for _, f := range files {
		if budget <= 0 || h.Len() >= HistoryMax {
			break
		}
		n, err := h.readFile(f, budget)
		budget -= n
		if err != nil && !os.IsNotExist(err) {
			log.Debug("history: file skipped", "file", f, "err", err)
		}
	}
	log.Info("history loaded", "barcodes", h.Len(), "files", len(files))
	return h
}

// readFile adds the records of one data or spool file, reading at most max
// bytes, and returns how many it read.
func (h *History) readFile(path string, max int64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	lr := &io.LimitedReader{R: f, N: max}
	br := bufio.NewReaderSize(lr, 64<<10)
	for h.Len() < HistoryMax {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 && err == nil {
			if rec, perr := encoder.ParseLine(spoolRecord(line), nil); perr == nil {
				h.Add(rec)
			}
		}
		if err == bufio.ErrBufferFull {
			for err == bufio.ErrBufferFull { // an overlong line: skip it
				_, err = br.ReadSlice('\n')
			}
			continue
		}
		if err != nil {
			break
		}
	}
	if lr.N <= 0 {
		return max, fmt.Errorf("history: %s: read budget spent", path)
	}
	return max - lr.N, nil
}

// spoolRecord strips the checksum a spool line starts with ("8 hex digits
// and a space", see the store); a data file line is returned as it is.
func spoolRecord(line []byte) []byte {
	if len(line) > 9 && line[8] == ' ' {
		if _, err := hex.DecodeString(string(line[:8])); err == nil {
			return line[9:]
		}
	}
	return line
}

// Add learns the barcodes of a record (a written one, while running). It
// returns what it changed, for Forget.
func (h *History) Add(rec encoder.Record) Mark {
	h.mu.Lock()
	defer h.mu.Unlock()
	var m Mark
	if len(h.known) >= HistoryMax {
		return m
	}
	m.item = h.learn(rec.Item, histItem)
	if rec.Type == encoder.Loan && rec.Patron != "" {
		m.patron = h.learn(rec.Patron, histPatron)
	}
	return m
}

// Mark is what one Add changed: each barcode's bits before it.
type Mark struct{ item, patron change }

type change struct {
	key     uint64
	was     uint8
	existed bool
	set     bool
}

func (h *History) learn(code string, bit uint8) change {
	k := maphash.String(h.seed, code)
	was, existed := h.known[k]
	h.known[k] = was | bit
	return change{key: k, was: was, existed: existed, set: true}
}

// Forget takes back what the Add that returned m learned: an undone
// record's barcodes are classed again as if it had never been scanned (a
// patron's card lent as an item by mistake and undone is that patron's
// card again). Only the last record can be undone, so nothing learned
// after m is lost.
func (h *History) Forget(m Mark) {
	h.mu.Lock()
	defer h.mu.Unlock()
	// The patron first: on a record lending a barcode to itself both
	// changes have the same key, and the item's holds the older bits.
	for _, c := range []change{m.patron, m.item} {
		switch {
		case !c.set:
		case c.existed:
			h.known[c.key] = c.was
		default:
			delete(h.known, c.key)
		}
	}
}

// Class returns ClassPatron or ClassItem for a barcode the history knows as
// only one of them, ClassUnknown otherwise.
func (h *History) Class(s string) Class {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch h.known[maphash.String(h.seed, s)] {
	case histPatron:
		return ClassPatron
	case histItem:
		return ClassItem
	}
	return ClassUnknown
}

// Len returns the number of barcodes known.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.known)
}
