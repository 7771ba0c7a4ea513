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
	// degraded is the store's state, clock the clock alarm's: the alarm
	// sounds while either holds.
	degraded, clock bool
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
	a.degraded = s.Degraded
	a.switchLocked()
}

// setClock adds (or takes back) the clock alarm: a wall clock behind the
// newest time seen sounds the same repeating alarm as a failing store.
func (a *storeAlarm) setClock(behind bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.clock = behind
	a.switchLocked()
}

func (a *storeAlarm) switchLocked() {
	if on := a.degraded || a.clock; on != a.on {
		a.on = on
		a.fb.SetAlarm(on)
	}
}
