package daemon

import (
	"sync"

	"github.com/offcircd/offcircd/daemon/feedback"
	"github.com/offcircd/offcircd/daemon/store"
)

// storeAlarm drives the feedback alarm from the store's status: on while
// the store is degraded, sounding not-stored while nothing can be stored
// and write-failure otherwise; switched only on a change.
type storeAlarm struct {
	fb      *feedback.Dispatcher
	mu      sync.Mutex
	on      bool
	pattern feedback.Pattern
}

func newStoreAlarm(fb *feedback.Dispatcher) *storeAlarm {
	return &storeAlarm{fb: fb, pattern: feedback.WriteFailure}
}

func (a *storeAlarm) set(s store.Status) {
	p := feedback.WriteFailure
	if s.NotStored {
		p = feedback.NotStored
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if p != a.pattern {
		a.pattern = p
		a.fb.SetAlarmPattern(p)
	}
	if s.Degraded != a.on {
		a.on = s.Degraded
		a.fb.SetAlarm(s.Degraded)
	}
}
