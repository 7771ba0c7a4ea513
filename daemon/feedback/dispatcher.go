package feedback

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Dispatcher defaults.
const (
	// DefaultAlarmInterval is how often the write-failure alarm repeats.
	DefaultAlarmInterval = 5 * time.Second
	// DefaultMaxAge: a pattern that waited longer than this for a busy sink
	// is dropped; a beep half a second late already confuses more than it helps.
	DefaultMaxAge = 500 * time.Millisecond
	// DefaultQueueLen: patterns waiting per sink; older ones are dropped
	// first, so a burst of scans ends with the newest feedback.
	DefaultQueueLen = 4
	// stopGrace bounds how long Run waits for a sink that ignores
	// cancellation (a scanner write stuck in flow control) so shutdown stays
	// within the daemon's 2 s.
	stopGrace = time.Second
)

// Options configures a Dispatcher. Only Sinks/Scanners are required.
type Options struct {
	Sinks    []Sink // PC-side sinks: they get every pattern
	Scanners []Sink // scanner-side sinks, routed by Name() = scanner name
	Patterns map[Pattern][]Tone
	// AlarmInterval is the write-failure alarm's repetition (0 = DefaultAlarmInterval).
	AlarmInterval time.Duration
	MaxAge        time.Duration // 0 = DefaultMaxAge
	QueueLen      int           // 0 = DefaultQueueLen
	Logger        *slog.Logger
	Clock         Clock // nil = RealClock
}

// SinkStats counts what one sink did, for `offcircd status` and tests.
type SinkStats struct {
	Name    string
	Scanner bool   // scanner-side sink
	Played  uint64 // patterns handed to the sink (including failed and interrupted ones)
	Dropped uint64 // stale or pushed out of a full queue, never played
	Failed  uint64 // Play returned an error
	// LastError is the most recent failure, "" once the sink played successfully again.
	LastError string
}

// Dispatcher routes patterns to sinks without ever blocking the caller:
// each sink has a small queue and its own goroutine, so a slow or stuck
// sink delays only itself. It also owns the write-failure alarm.
type Dispatcher struct {
	patterns map[Pattern][]Tone
	clock    Clock
	log      *slog.Logger
	interval time.Duration
	maxAge   time.Duration

	pc       []*worker
	scanners []*worker
	byName   map[string][]*worker

	mu        sync.Mutex
	alarmOn   bool
	alarmP    Pattern // what the alarm sounds: write-failure, or not-stored
	acked     bool
	lastAlarm time.Time // last write-failure dispatched, by the station or the alarm
	wake      chan struct{}

	running atomic.Bool
}

// NewDispatcher builds a dispatcher; nothing plays until Run.
func NewDispatcher(opts Options) *Dispatcher {
	d := &Dispatcher{
		patterns: opts.Patterns,
		clock:    opts.Clock,
		log:      opts.Logger,
		interval: opts.AlarmInterval,
		maxAge:   opts.MaxAge,
		byName:   map[string][]*worker{},
		wake:     make(chan struct{}, 1),
	}
	if d.patterns == nil {
		d.patterns = DefaultPatterns()
	}
	if d.clock == nil {
		d.clock = RealClock{}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.interval <= 0 {
		d.interval = DefaultAlarmInterval
	}
	if d.maxAge <= 0 {
		d.maxAge = DefaultMaxAge
	}
	qlen := opts.QueueLen
	if qlen <= 0 {
		qlen = DefaultQueueLen
	}
	for _, s := range opts.Sinks {
		if s != nil {
			d.pc = append(d.pc, newWorker(s, false, qlen, d.log.With("beeper", s.Name())))
		}
	}
	for _, s := range opts.Scanners {
		if s != nil {
			w := newWorker(s, true, qlen, d.log.With("scanner", s.Name()))
			d.scanners = append(d.scanners, w)
			d.byName[s.Name()] = append(d.byName[s.Name()], w)
		}
	}
	return d
}

// Play queues p for every PC-side sink and for the scanner-side sink of
// source ("" = every scanner, for station-wide events such as a mode
// change). It never blocks: a full queue drops its oldest pattern.
func (d *Dispatcher) Play(p Pattern, source string) {
	now := d.clock.Now()
	if p == WriteFailure || p == NotStored {
		d.mu.Lock()
		d.lastAlarm = now
		d.mu.Unlock()
	}
	d.dispatch(item{p: p, at: now}, source)
}

func (d *Dispatcher) dispatch(it item, source string) {
	tones, ok := d.patterns[it.p]
	if !ok {
		d.log.Debug("feedback: pattern has no tones", "pattern", string(it.p))
	}
	it.tones = tones
	for _, w := range d.pc {
		w.enqueue(it)
	}
	targets := d.scanners
	if source != "" {
		targets = d.byName[source]
	}
	for _, w := range targets {
		w.enqueue(it)
	}
}

// SetAlarm switches the write-failure alarm (store degraded / spool
// drained). While on and not acknowledged it sounds write-failure on every
// sink each AlarmInterval; switching it on again after an Ack re-arms it.
func (d *Dispatcher) SetAlarm(on bool) {
	d.mu.Lock()
	if on && !d.alarmOn {
		d.acked = false
		d.log.Warn("feedback: write-failure alarm on")
	} else if !on && d.alarmOn {
		d.log.Info("feedback: write-failure alarm off")
	}
	d.alarmOn = on
	d.mu.Unlock()
	d.poke()
}

// SetAlarmPattern chooses what the alarm sounds: WriteFailure (records
// wait in the spool, the data file fails) or NotStored (nothing can be
// stored at all). A change re-arms an acknowledged alarm: it is news.
func (d *Dispatcher) SetAlarmPattern(p Pattern) {
	d.mu.Lock()
	if p != d.pattern() {
		d.acked = false
		if d.alarmOn {
			d.log.Warn("feedback: alarm now sounds " + string(p))
		}
	}
	d.alarmP = p
	d.mu.Unlock()
	d.poke()
}

// pattern is the alarm's pattern. d.mu must be held.
func (d *Dispatcher) pattern() Pattern {
	if d.alarmP == "" {
		return WriteFailure
	}
	return d.alarmP
}

// Ack silences the alarm until it is next switched on (OFFCIRC:ACK or the
// keypad's ack key); the failure itself is still reported in logs and status.
func (d *Dispatcher) Ack() {
	d.mu.Lock()
	if d.alarmOn && !d.acked {
		d.log.Info("feedback: write-failure alarm acknowledged")
	}
	d.acked = true
	d.mu.Unlock()
	for _, w := range append(append([]*worker(nil), d.pc...), d.scanners...) {
		w.interrupt()
	}
	d.poke()
}

// Alarm reports whether the alarm is on and whether it was acknowledged.
func (d *Dispatcher) Alarm() (on, acked bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.alarmOn, d.acked
}

func (d *Dispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Stats returns per-sink counters, PC-side sinks first, in Options order.
func (d *Dispatcher) Stats() []SinkStats {
	var out []SinkStats
	for _, w := range append(append([]*worker(nil), d.pc...), d.scanners...) {
		out = append(out, w.stats())
	}
	return out
}

// Run plays patterns until ctx is cancelled: one goroutine per sink plus
// the alarm. It returns nil after they ended (or after a short grace for a
// sink that ignores cancellation) and closes sinks that are io.Closers.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("feedback: dispatcher already running")
	}
	defer d.running.Store(false)
	var wg sync.WaitGroup
	all := append(append([]*worker(nil), d.pc...), d.scanners...)
	for _, w := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(ctx, d.clock, d.maxAge)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.alarmLoop(ctx)
	}()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	<-ctx.Done()
	select {
	case <-done:
	case <-time.After(stopGrace):
		d.log.Warn("feedback: a sink did not stop in time; leaving it behind")
	}
	for _, w := range d.pc {
		if c, ok := w.sink.(io.Closer); ok {
			if err := c.Close(); err != nil {
				w.log.Warn("feedback: closing sink", "err", err)
			}
		}
	}
	return nil
}

// Wait blocks until every sink has played (or dropped) everything queued
// so far, or ctx is done: `run --until-done` lets the last scans' beeps
// finish before it stops. Alarm repetitions still to come are not waited
// for. It needs Run to be running.
func (d *Dispatcher) Wait(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		idle := true
		for _, w := range append(append([]*worker(nil), d.pc...), d.scanners...) {
			if !w.idle() {
				idle = false
				break
			}
		}
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// alarmLoop sounds write-failure whenever the alarm is on, unacknowledged,
// and nothing sounded it for an interval. Counting the station's own
// write-failure beeps means a failed scan and the alarm never double up.
func (d *Dispatcher) alarmLoop(ctx context.Context) {
	for {
		now := d.clock.Now()
		d.mu.Lock()
		active := d.alarmOn && !d.acked
		p := d.pattern()
		var wait time.Duration
		fire := false
		if active {
			next := d.lastAlarm.Add(d.interval)
			if d.lastAlarm.IsZero() || !now.Before(next) {
				fire = true
				d.lastAlarm = now
				next = now.Add(d.interval)
			}
			wait = next.Sub(now)
		}
		d.mu.Unlock()
		if fire {
			d.dispatch(item{p: p, at: now, yield: true}, "")
		}
		var timer <-chan time.Time
		stop := func() bool { return false }
		if active {
			timer, stop = d.clock.NewTimer(wait)
		}
		select {
		case <-ctx.Done():
			stop()
			return
		case <-d.wake:
			stop()
		case <-timer:
		}
	}
}

// item is one queued pattern.
type item struct {
	p     Pattern
	tones []Tone
	at    time.Time // when it was requested, for the stale check
	// yield marks alarm repetitions: any new pattern for the sink cuts them
	// short, so a scan during the alarm still gets its own beep at once.
	yield bool
}

// worker is one sink's queue and goroutine.
type worker struct {
	sink    Sink
	scanner bool
	log     *slog.Logger
	qlen    int
	signal  chan struct{}

	mu        sync.Mutex
	queue     []item
	curYield  bool
	curCancel context.CancelFunc
	busy      bool // an item was taken from the queue and is not finished
	played    uint64
	dropped   uint64
	failed    uint64
	lastErr   string
}

func newWorker(s Sink, scanner bool, qlen int, log *slog.Logger) *worker {
	return &worker{sink: s, scanner: scanner, log: log, qlen: qlen, signal: make(chan struct{}, 1)}
}

func (w *worker) enqueue(it item) {
	w.mu.Lock()
	if len(w.queue) >= w.qlen {
		w.log.Debug("feedback: queue full, dropping oldest", "pattern", string(w.queue[0].p))
		w.queue = append(w.queue[:0], w.queue[1:]...)
		w.dropped++
	}
	w.queue = append(w.queue, it)
	if !it.yield && w.curYield && w.curCancel != nil {
		w.curCancel()
	}
	w.mu.Unlock()
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

// interrupt cuts an alarm repetition short and drops queued ones (Ack).
func (w *worker) interrupt() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.curYield && w.curCancel != nil {
		w.curCancel()
	}
	kept := w.queue[:0]
	for _, it := range w.queue {
		if it.yield {
			w.dropped++
			continue
		}
		kept = append(kept, it)
	}
	w.queue = kept
}

func (w *worker) next() (item, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		return item{}, false
	}
	it := w.queue[0]
	w.queue = append(w.queue[:0], w.queue[1:]...)
	w.busy = true
	return it, true
}

func (w *worker) done() {
	w.mu.Lock()
	w.busy = false
	w.mu.Unlock()
}

func (w *worker) idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.busy && len(w.queue) == 0
}

func (w *worker) run(ctx context.Context, clk Clock, maxAge time.Duration) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.signal:
		}
		for {
			it, ok := w.next()
			if !ok {
				break
			}
			if age := clk.Now().Sub(it.at); age > maxAge {
				w.mu.Lock()
				w.dropped++
				w.mu.Unlock()
				w.log.Debug("feedback: dropping stale pattern", "pattern", string(it.p), "age", age)
				w.done()
				continue
			}
			w.play(ctx, it)
			w.done()
			if ctx.Err() != nil {
				return
			}
		}
	}
}

func (w *worker) play(ctx context.Context, it item) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.mu.Lock()
	w.curYield, w.curCancel = it.yield, cancel
	w.mu.Unlock()
	err := w.sink.Play(pctx, it.p, it.tones)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.curYield, w.curCancel = false, nil
	w.played++
	if err != nil && pctx.Err() != nil {
		return // cut short on purpose (shutdown, a newer pattern, Ack): not a sink failure
	}
	if err != nil {
		w.failed++
		msg := err.Error()
		if msg != w.lastErr {
			// Once per distinct failure, not once per scan.
			w.log.Warn("feedback: sink failed", "pattern", string(it.p), "err", err)
		} else {
			w.log.Debug("feedback: sink failed again", "pattern", string(it.p), "err", err)
		}
		w.lastErr = msg
		return
	}
	if w.lastErr != "" {
		w.log.Info("feedback: sink works again")
		w.lastErr = ""
	}
}

func (w *worker) stats() SinkStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return SinkStats{Name: w.sink.Name(), Scanner: w.scanner, Played: w.played, Dropped: w.dropped, Failed: w.failed, LastError: w.lastErr}
}
