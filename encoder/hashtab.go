package encoder

// hashTab is an open-addressing table from a 64-bit hash to a 32-bit value,
// emptied in O(1) by bumping a generation: the duplicate rules look only at
// the current minute, and clearing a Go map (or making a new one) for every
// minute of a million-line file costs more than the lookups. Keys are
// maphash values, already uniform, so the low bits index the table
// directly. Equal keys may be stored more than once; callers that need
// exactness compare what the values point at and probe on (see probe).
type hashTab struct {
	slots []hslot
	mask  uint64
	gen   uint32
	n     int // entries of the current generation
}

type hslot struct {
	key uint64
	val uint32
	gen uint32 // slot is in use when gen equals the table's
}

// reset empties the table.
func (t *hashTab) reset() {
	t.n = 0
	if t.gen++; t.gen == 0 {
		clear(t.slots)
		t.gen = 1
	}
	if t.slots == nil {
		t.slots = make([]hslot, 64)
		t.mask = 63
	}
}

// insert adds key → val as a new entry (growing the table when half full)
// and returns its slot index.
func (t *hashTab) insert(key uint64, val uint32) int {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	t.n++
	i := key & t.mask
	for t.slots[i].gen == t.gen {
		i = (i + 1) & t.mask
	}
	t.slots[i] = hslot{key: key, val: val, gen: t.gen}
	return int(i)
}

// grow doubles the table, keeping the current generation's entries.
func (t *hashTab) grow() {
	old, gen := t.slots, t.gen
	t.slots = make([]hslot, 2*len(old))
	t.mask = uint64(len(t.slots) - 1)
	t.gen = 1
	for _, s := range old {
		if s.gen == gen {
			i := s.key & t.mask
			for t.slots[i].gen == t.gen {
				i = (i + 1) & t.mask
			}
			t.slots[i] = hslot{key: s.key, val: s.val, gen: t.gen}
		}
	}
}
