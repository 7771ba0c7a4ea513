package decode

import (
	"errors"
	"fmt"
	"slices"
)

// A HID report descriptor (USB HID 1.11 §6.2.2) says which fields an
// interface's reports carry and where. hid-pos scanners without a
// configured pos_layout are decoded by what their descriptor declares,
// never by a guess; this parser takes out only what that needs: the
// application collections and, per input report, each field's usages and
// bit position.

// MaxDescriptor bounds a descriptor: hidapi reads at most 4096 bytes.
const MaxDescriptor = 4096

// hidDescMaxBits bounds one report (a 1024-byte high-speed report is 8192
// bits); a descriptor declaring more is not a device we read.
const hidDescMaxBits = 1 << 16

var errHIDDesc = errors.New("hid: report descriptor")

// hidUsageRange is one local usage, or a Usage Minimum..Maximum range, with
// its page in the high 16 bits.
type hidUsageRange struct{ min, max uint32 }

// hidField is one Input main item.
type hidField struct {
	reportID uint8 // 0: the interface's reports are not numbered
	bitOff   int   // from the start of the report data (after the id byte)
	size     int   // bits per element
	count    int
	constant bool
	variable bool
	usages   []hidUsageRange
}

// hidDescriptor is what a report descriptor declares.
type hidDescriptor struct {
	apps      []uint32 // usages of the top-level application collections
	inputs    []hidField
	numbered  bool          // reports carry a report id byte
	inputBits map[uint8]int // total bits of each input report
}

// parseHIDDescriptor parses a report descriptor. It never panics on bad
// input: a truncated item, an End Collection without a Collection, a
// stack underflow or a report larger than any device sends is an error.
func parseHIDDescriptor(b []byte) (*hidDescriptor, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", errHIDDesc)
	}
	if len(b) > MaxDescriptor {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", errHIDDesc, len(b), MaxDescriptor)
	}
	type globals struct {
		page             uint32
		size, count, rid int
	}
	var (
		g      globals
		stack  []globals
		locals []hidUsageRange
		umin   = -1 // a Usage Minimum waiting for its Maximum
		depth  int
		d      = &hidDescriptor{inputBits: map[uint8]int{}}
	)
	usage := func(v uint32, n int) uint32 {
		if n == 4 {
			return v // extended usage: the page is in the high 16 bits
		}
		return g.page<<16 | v
	}
	for i := 0; i < len(b); {
		p := b[i]
		if p == 0xFE { // long item: skipped (none is defined)
			if i+2 >= len(b) {
				return nil, fmt.Errorf("%w: long item at byte %d truncated", errHIDDesc, i)
			}
			i += 3 + int(b[i+1])
			if i > len(b) {
				return nil, fmt.Errorf("%w: long item truncated", errHIDDesc)
			}
			continue
		}
		n := []int{0, 1, 2, 4}[p&3]
		if i+1+n > len(b) {
			return nil, fmt.Errorf("%w: item 0x%02X at byte %d truncated", errHIDDesc, p, i)
		}
		var v uint32
		for k := n - 1; k >= 0; k-- {
			v = v<<8 | uint32(b[i+1+k])
		}
		at := i
		i += 1 + n
		typ, tag := (p>>2)&3, p>>4
		switch typ {
		case 0: // main
			switch tag {
			case 0x8: // Input
				if g.size <= 0 || g.count < 0 || g.size*g.count > hidDescMaxBits {
					return nil, fmt.Errorf("%w: input item at byte %d: report size %d x count %d", errHIDDesc, at, g.size, g.count)
				}
				id := uint8(g.rid)
				f := hidField{reportID: id, bitOff: d.inputBits[id], size: g.size, count: g.count,
					constant: v&1 != 0, variable: v&2 != 0, usages: slices.Clone(locals)}
				d.inputBits[id] += g.size * g.count
				if d.inputBits[id] > hidDescMaxBits {
					return nil, fmt.Errorf("%w: input report %d longer than %d bits", errHIDDesc, id, hidDescMaxBits)
				}
				d.inputs = append(d.inputs, f)
			case 0xA: // Collection
				if depth == 0 && v == 1 {
					var u uint32
					if len(locals) > 0 {
						u = locals[0].min
					}
					d.apps = append(d.apps, u)
				}
				depth++
				if depth > 64 {
					return nil, fmt.Errorf("%w: collections nested deeper than 64", errHIDDesc)
				}
			case 0xC: // End Collection
				if depth == 0 {
					return nil, fmt.Errorf("%w: End Collection at byte %d without a Collection", errHIDDesc, at)
				}
				depth--
			}
			locals, umin = locals[:0], -1
		case 1: // global
			switch tag {
			case 0x0:
				g.page = v & 0xFFFF
			case 0x7:
				g.size = int(v)
			case 0x8:
				if v == 0 || v > 0xFF {
					return nil, fmt.Errorf("%w: report id %d at byte %d", errHIDDesc, v, at)
				}
				g.rid, d.numbered = int(v), true
			case 0x9:
				if v > hidDescMaxBits {
					return nil, fmt.Errorf("%w: report count %d at byte %d", errHIDDesc, v, at)
				}
				g.count = int(v)
			case 0xA: // Push
				if len(stack) >= 16 {
					return nil, fmt.Errorf("%w: Push stack deeper than 16", errHIDDesc)
				}
				stack = append(stack, g)
			case 0xB: // Pop
				if len(stack) == 0 {
					return nil, fmt.Errorf("%w: Pop at byte %d without Push", errHIDDesc, at)
				}
				g, stack = stack[len(stack)-1], stack[:len(stack)-1]
			}
		case 2: // local
			if len(locals) >= 1024 {
				return nil, fmt.Errorf("%w: more than 1024 usages on one item", errHIDDesc)
			}
			switch tag {
			case 0x0:
				u := usage(v, n)
				locals = append(locals, hidUsageRange{u, u})
			case 0x1:
				umin = int(usage(v, n))
			case 0x2:
				if umin >= 0 {
					locals = append(locals, hidUsageRange{uint32(umin), usage(v, n)})
					umin = -1
				}
			}
		default:
			return nil, fmt.Errorf("%w: reserved item type at byte %d", errHIDDesc, at)
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("%w: %d collections not closed", errHIDDesc, depth)
	}
	return d, nil
}

// hasApp reports whether a top-level application collection is on page.
func (d *hidDescriptor) hasApp(page uint16) bool {
	return slices.ContainsFunc(d.apps, func(u uint32) bool { return uint16(u>>16) == page })
}

// hidPos is where a usage sits in an input report as hidapi returns it
// (the report id byte first when reports are numbered).
type hidPos struct {
	reportID uint8
	bit      int // from the first byte of the report as read
	bits     int
}

// find returns where usage u is carried in an input report.
func (d *hidDescriptor) find(u uint32) (hidPos, bool) {
	for _, f := range d.inputs {
		if f.constant {
			continue
		}
		idx := 0 // element index of r.min in a variable item
		for _, r := range f.usages {
			if r.max < r.min {
				continue
			}
			if u < r.min || u > r.max {
				idx += int(r.max-r.min) + 1
				continue
			}
			off, bits := f.bitOff, f.size*f.count
			if f.variable && (len(f.usages) > 1 || r.max > r.min) {
				// One element per usage in a variable item.
				e := idx + int(u-r.min)
				if e >= f.count {
					break
				}
				off, bits = f.bitOff+e*f.size, f.size
			}
			if d.numbered {
				off += 8
			}
			return hidPos{reportID: f.reportID, bit: off, bits: bits}, true
		}
	}
	return hidPos{}, false
}

// reportBytes is the length of input report id as hidapi returns it.
func (d *hidDescriptor) reportBytes(id uint8) (int, bool) {
	bits, ok := d.inputBits[id]
	if !ok {
		return 0, false
	}
	n := (bits + 7) / 8
	if d.numbered {
		n++
	}
	return n, true
}
