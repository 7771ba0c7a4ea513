package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/offcircd/offcircd/encoder"
)

// burstScanner is one pty serial scanner of TestBurstKill9: it sends its
// items as fast as the pty takes them and counts the good beeps that come
// back on its own line (the scanner-side beep bytes).
type burstScanner struct {
	m     *os.File
	port  string
	items []string // sent, in order

	mu   sync.Mutex
	acks int
	bad  string
}

func (b *burstScanner) read() {
	var buf [64]byte
	var pend []byte
	for {
		n, err := b.m.Read(buf[:])
		pend = append(pend, buf[:n]...)
		b.mu.Lock()
		for len(pend) >= 2 {
			switch {
			case pend[0] == 0xA5 && pend[1] == 0x01:
				b.acks++
			default:
				if b.bad == "" {
					b.bad = fmt.Sprintf("% X", pend[:2])
				}
			}
			pend = pend[2:]
		}
		b.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// pollablePty opens a pseudo-terminal whose master is non-blocking, so
// closing it ends a Write or Read in progress (creack/pty hands out a
// blocking one, which a close does not interrupt).
func pollablePty() (*os.File, *os.File, error) {
	m, s, err := pty.Open()
	if err != nil {
		return nil, nil, err
	}
	defer m.Close()
	fd, err := syscall.Dup(int(m.Fd()))
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		s.Close()
		return nil, nil, err
	}
	return os.NewFile(uintptr(fd), m.Name()), s, nil
}

// TestBurstKill9: the built binary with four serial scanners scanning as
// fast as they can (so the station takes queued scans as groups, one
// fsync each), killed with SIGKILL at random moments and started again:
// every scan whose good beep came back on its scanner's line is in the
// data file exactly once, no record is doubled, each scanner's records are
// in the order it sent them, and `offcircd check` finds no torn line.
// Catches, through the real path: a good beep played before its group's
// fsync returned, a group's records written apart or twice, a torn group
// left for Alma.
func TestBurstKill9(t *testing.T) {
	offcircdBinary(t) // built once for every test
	kills := 8
	if testing.Short() {
		kills = 3
	}
	dir := t.TempDir()
	data, state := filepath.Join(dir, "files"), filepath.Join(dir, "state")
	rng := rand.New(rand.NewPCG(3, uint64(time.Now().UnixNano())))
	var all []*burstScanner
	acked := 0
	for k := 0; k <= kills; k++ {
		scanners := make([]*burstScanner, 4)
		var cfg strings.Builder
		fmt.Fprintf(&cfg, "station = \"burst\"\ndata_dir = %s\nstate_dir = %s\ntimezone = \"UTC\"\ndefault_mode = \"return\"\n",
			quoteTOML(data), quoteTOML(state))
		for i := range scanners {
			m, s, err := pollablePty()
			if err != nil {
				t.Skipf("no pseudo-terminals: %v", err)
			}
			b := &burstScanner{m: m, port: s.Name()}
			s.Close()
			defer m.Close()
			scanners[i] = b
			fmt.Fprintf(&cfg, "\n[[scanner]]\nname = \"s%d\"\ntype = \"serial\"\nport = %s\nterminator = \"cr\"\nbeep = \"A5 00\"\nbeep_bytes = { good = \"A5 01\" }\n",
				i, quoteTOML(b.port))
		}
		cfgPath := filepath.Join(dir, fmt.Sprintf("burst-%d.toml", k))
		if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		st := startStation(t, cfgPath, state)
		for deadline := time.Now().Add(10 * time.Second); strings.Count(st.logs.String(), "state=connected") < 4; {
			if time.Now().After(deadline) {
				t.Fatalf("scanners not connected:\n%s", st.logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		if k == kills {
			st.stop(t)
			break
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i, b := range scanners {
			go b.read()
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					var chunk []byte
					for j := range 4 {
						item := fmt.Sprintf("K%02dS%dN%05d", k, i, 4*n+j)
						b.items = append(b.items, item)
						chunk = append(chunk, item+"\r"...)
					}
					if _, err := b.m.Write(chunk); err != nil {
						return
					}
				}
			}()
		}
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		st.cmd.Process.Signal(syscall.SIGKILL)
		st.cmd.Wait()
		time.Sleep(50 * time.Millisecond) // the last beep bytes on their way
		close(stop)
		for _, b := range scanners {
			b.m.Close() // unblocks a writer and the reader
		}
		wg.Wait()
		for _, b := range scanners {
			b.mu.Lock()
			if b.bad != "" {
				t.Fatalf("kill %d: a scan was not acknowledged as good (beep bytes %s)\n%s", k, b.bad, st.logs.String())
			}
			acked += b.acks
			b.mu.Unlock()
		}
		all = append(all, scanners...)
	}
	file, err := os.ReadFile(filepath.Join(data, "OffCirc.dat"))
	if err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runOffcircd(t, dir, "", "check", filepath.Join(data, "OffCirc.dat")); code != 0 {
		t.Fatalf("check: exit %d\n%s%s", code, out, errOut)
	}
	var recs []encoder.Record
	for l := range bytes.Lines(file) {
		r, err := encoder.ParseLine(bytes.TrimRight(l, "\r\n"), time.UTC)
		if err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		recs = append(recs, r)
	}
	pos := map[string]int{}
	for i, r := range recs {
		if _, dup := pos[r.Item]; dup {
			t.Fatalf("record %s is in the file twice", r.Item)
		}
		pos[r.Item] = i
	}
	for _, b := range all {
		last := -1
		for n, item := range b.items {
			p, in := pos[item]
			if n < b.acks && !in {
				t.Fatalf("acknowledged scan %s (%d of %d acknowledged on %s) is not in the file", item, n+1, b.acks, b.port)
			}
			if in {
				if p < last {
					t.Fatalf("record %s is out of its scanner's order", item)
				}
				last = p
			}
		}
	}
	if acked == 0 {
		t.Fatal("no scan was acknowledged: the test tests nothing")
	}
	t.Logf("%d kills, %d scans acknowledged, %d records in the file", kills, acked, len(recs))
}
