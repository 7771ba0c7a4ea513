package station

import (
	"testing"

	"github.com/offcircd/offcircd/encoder"
)

// Forget takes back exactly what one Add learned: a barcode that was new is
// unknown again, one known before keeps its earlier class.
func TestHistoryForgetUndoesOneAdd(t *testing.T) {
	tests := []struct {
		name   string
		before []encoder.Record
		undo   encoder.Record
		want   map[string]Class
	}{
		{"new card lent as an item", nil,
			encoder.Record{Type: encoder.Loan, Item: "CARD2", Patron: "CARD1"},
			map[string]Class{"CARD2": ClassUnknown, "CARD1": ClassUnknown}},
		{"known patron keeps his class", []encoder.Record{{Type: encoder.Loan, Item: "BOOK1", Patron: "CARD1"}},
			encoder.Record{Type: encoder.Loan, Item: "CARD2", Patron: "CARD1"},
			map[string]Class{"CARD2": ClassUnknown, "CARD1": ClassPatron, "BOOK1": ClassItem}},
		{"known patron lent as an item", []encoder.Record{{Type: encoder.Loan, Item: "BOOK1", Patron: "CARD2"}},
			encoder.Record{Type: encoder.Loan, Item: "CARD2", Patron: "CARD1"},
			map[string]Class{"CARD2": ClassPatron, "CARD1": ClassUnknown}},
		{"return of a known item", []encoder.Record{{Type: encoder.Loan, Item: "BOOK1", Patron: "CARD1"}},
			encoder.Record{Type: encoder.Return, Item: "BOOK1"},
			map[string]Class{"BOOK1": ClassItem, "CARD1": ClassPatron}},
		{"a barcode lent to itself", nil,
			encoder.Record{Type: encoder.Loan, Item: "X1", Patron: "X1"},
			map[string]Class{"X1": ClassUnknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHistory()
			for _, r := range tt.before {
				h.Add(r)
			}
			n := h.Len()
			h.Forget(h.Add(tt.undo))
			for code, want := range tt.want {
				if got := h.Class(code); got != want {
					t.Errorf("Class(%s) = %v, want %v", code, got, want)
				}
			}
			if h.Len() != n {
				t.Errorf("Len %d after Forget, want %d", h.Len(), n)
			}
			h.Forget(Mark{}) // a record history did not learn (full index)
			if h.Len() != n {
				t.Errorf("Forget of an empty mark changed the index")
			}
		})
	}
}
