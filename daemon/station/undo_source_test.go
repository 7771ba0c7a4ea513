package station

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offcircd/offcircd/config"
	"github.com/offcircd/offcircd/devices"
)

// UNDO takes back the record of the scanner it was scanned on: at a desk
// beside a book drop, the clerk's UNDO never deletes the drop's return (a
// real return Alma would then miss) while the loan the clerk meant stays.
// The keypad belongs to the desk: it undoes the last record unless a
// pinned scanner made it.
func TestUndoTakesBackOnlyItsScannersRecord(t *testing.T) {
	tests := []struct {
		name    string
		steps   []string
		undoBy  string // scanner name, or "keypad"
		refused bool
		left    string // records left in the file
	}{
		{"desk undoes its own loan", []string{"P1", "I1"}, "desk", false, ""},
		{"desk after the drop's return", []string{"P1", "I1", "drop:I9"}, "desk", true, "L I1 P1,R I9"},
		{"the drop undoes its own return", []string{"P1", "I1", "drop:I9"}, "drop", false, "L I1 P1"},
		{"the drop after the desk's loan", []string{"P1", "I1"}, "drop", true, "L I1 P1"},
		{"keypad after the desk's loan", []string{"P1", "I1"}, "keypad", false, ""},
		{"keypad after the drop's return", []string{"P1", "I1", "drop:I9"}, "keypad", true, "L I1 P1,R I9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDesk(t, patterns, nil)
			for i, s := range tt.steps {
				src, data, ok := strings.Cut(s, ":")
				if !ok {
					src, data = "desk", s
				}
				d.scan(time.Duration(i)*time.Second, src, data)
			}
			ev := devices.Event{Kind: devices.KindScan, Source: tt.undoBy, Time: t0.Add(time.Minute), Data: "OFFCIRC:UNDO"}
			if tt.undoBy == "keypad" {
				ev = devices.Event{Kind: devices.KindCommand, Source: "keypad", Time: ev.Time, Command: config.CmdUndo}
			}
			o := d.st.Handle(ev)
			if refused := strings.Contains(o.Reason, "undo refused"); refused != tt.refused {
				t.Fatalf("refused = %v (%q), want %v", refused, o.Reason, tt.refused)
			}
			var left []string
			for _, r := range d.fs.recs {
				left = append(left, strings.TrimSpace(fmt.Sprintf("%s %s %s", r.Type, r.Item, r.Patron)))
			}
			if got := strings.Join(left, ","); got != tt.left {
				t.Errorf("file after the undo: %q, want %q", got, tt.left)
			}
		})
	}
}

// A control barcode read with its AIM symbology identifier kept (aim =
// "keep", or a console scanner that passes it through) is the command,
// never an item written as a loan.
func TestControlWithAIMIdentifier(t *testing.T) {
	for _, tt := range []struct{ data, want string }{
		{"]C0OFFCIRC:RETURN", "[control]"},
		{"]c0offcirc:return", "[control]"},
		{"]C0OFFCIRC:UNDO", "[control]"},
		{"]E0OFFCIRC:DONE", "[control]"},
		{"]C0I123", "L ]C0I123 P1"},
		{"]COFFCIRC:RETURN", "L ]COFFCIRC:RETURN P1"}, // not an identifier: an item
	} {
		d := newDesk(t, nil, nil)
		d.run("P1", "[patron]", "I1", "L I1 P1")
		if got := d.scan(5*time.Second, "desk", tt.data); got != tt.want {
			t.Errorf("%q: got %s, want %s", tt.data, got, tt.want)
		}
	}
}
