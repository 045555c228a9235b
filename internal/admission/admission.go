// Package admission decides whether heavy work may start, and bounds how
// much of it runs at once. Heavy work is what one request can make cost
// seconds of CPU or hundreds of megabytes: shock experiments, simulations,
// exports, deep network views, their centralities and scoring runs.
//
// Three gates, in the order a request meets them:
//
//   - Cost (Budgets.Check): every heavy operation estimates its cost before
//     it starts, in a unit of its own (Unit), and a role may not start one
//     above its budget. The refusal names the limit and the estimate.
//   - Memory (Pool.CheckMemory, also done by Acquire): when the live heap
//     (as of the last garbage collection) is near the process's soft
//     memory limit (runtime/debug.SetMemoryLimit, GOMEMLIMIT), heavy work
//     is refused rather than run.
//   - Concurrency (Pool.Acquire): heavy work runs holding a slot of one
//     pool. The pool has a share of GOMAXPROCS (half by default, at least
//     one), and each slot stands for one goroutine of work: whoever holds a
//     slot computes on one goroutine, so heavy work never takes more than
//     the pool's share of the cores from reads. Per key, at most PerKey
//     slots are held and at most PerKeyWaiting requests wait; beyond that
//     Acquire refuses at once (a *BusyError: the API's 429). Waiters are
//     served round-robin across keys, so a key with many waiters does not
//     starve a key with one. Run runs the work on an OS thread of lower
//     priority (nice, and with Config.Idle Linux's SCHED_IDLE, watched
//     for starvation), so that the kernel prefers the threads serving
//     reads when both want a core.
//
// docs/architecture.md (Heavy work) says how the API uses it.
package admission

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Config.
const (
	DefaultShare          = 0.5
	DefaultPerKey         = 1
	DefaultPerKeyWaiting  = 16
	DefaultMaxWaiting     = 256
	DefaultMemoryFraction = 0.8
	// DefaultRetryAfter is what a BusyError or MemoryError suggests
	// waiting before trying again.
	DefaultRetryAfter = 2 * time.Second
)

// Config configures a Pool. Zero fields take the defaults.
type Config struct {
	// Slots is the number of heavy operations that run at once; 0 means
	// Share × GOMAXPROCS, rounded down, at least 1.
	Slots int
	// Share is the share of GOMAXPROCS the pool may use when Slots is 0;
	// 0 means DefaultShare (half). It must be in (0, 1].
	Share float64
	// PerKey is how many slots one key may hold at once; 0 means
	// DefaultPerKey.
	PerKey int
	// PerKeyWaiting is how many requests of one key may wait for a slot;
	// more are refused (BusyError). 0 means DefaultPerKeyWaiting; a
	// negative value means none may wait.
	PerKeyWaiting int
	// MaxWaiting bounds the requests waiting, all keys together; 0 means
	// DefaultMaxWaiting.
	MaxWaiting int
	// MemoryLimit is the soft memory limit heavy work is measured
	// against, in bytes; 0 means the process's (debug.SetMemoryLimit(-1),
	// set by GOMEMLIMIT or the caller), and no check when that is unset.
	MemoryLimit int64
	// MemoryFraction is the share of MemoryLimit the live heap may reach
	// before heavy work is refused; 0 means DefaultMemoryFraction.
	MemoryFraction float64
	// HeapBytes returns the live heap in bytes; nil means the Go
	// runtime's /gc/heap/live:bytes (the heap marked live by the last
	// garbage collection). Tests replace it.
	HeapBytes func() uint64
	// RetryAfter is the wait suggested by refusals; 0 means
	// DefaultRetryAfter.
	RetryAfter time.Duration
	// Nice is the niceness (1..19) of the OS threads Run runs heavy work
	// on; 0 means DefaultNice, a negative value normal priority.
	Nice int
	// Idle, on Linux, also puts those threads in the SCHED_IDLE class: a
	// thread serving reads that wakes up takes the core from heavy work
	// at once, instead of when the niced thread's slice ends (the kernel
	// counts a core running only SCHED_IDLE work as idle when it places a
	// woken thread). Heavy work then runs only on cores nothing else
	// wants; on a machine whose cores are all busy it would get almost
	// nothing, so a watch (StarvedAfter) moves a starved thread back.
	Idle bool
	// StarvedAfter, with Idle, is how long a heavy thread may wait for a
	// core more than four times as long as it runs before it is moved
	// back to the normal class at Nice (Linux: the thread's schedstat;
	// moving back needs CAP_SYS_NICE or RLIMIT_NICE, see CanPromote). 0
	// means DefaultStarvedAfter; a negative value, never.
	StarvedAfter time.Duration
	// Hook, if set, is called under the pool's lock each time a slot is
	// taken or given back, with the number of slots then held. Tests
	// count the work in flight with it; it must not block.
	Hook func(held int)
}

// BusyError is Acquire's refusal when a key already holds or waits for
// as much as it may, or the pool's waiting room is full.
type BusyError struct {
	Key        string
	Reason     string
	RetryAfter time.Duration
}

func (e *BusyError) Error() string { return "admission: busy: " + e.Reason }

// MemoryError is the refusal when the live heap is near the memory limit.
type MemoryError struct {
	Heap, Limit uint64
	Fraction    float64
	RetryAfter  time.Duration
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("admission: the live heap (%d MiB) is above %.0f%% of the memory limit (%d MiB)",
		e.Heap>>20, e.Fraction*100, e.Limit>>20)
}

// Pool bounds the heavy work running at once. It is safe for concurrent
// use.
type Pool struct {
	slots, perKey, perKeyWait, maxWait int
	memLimit                           uint64 // 0: no check
	memFraction                        float64
	heap                               func() uint64
	retry                              time.Duration
	hook                               func(int)
	nice                               int
	idle                               bool
	starvedAfter                       time.Duration
	promoted                           atomic.Int64

	mu      sync.Mutex
	held    int
	running map[string]int
	waiting map[string][]*waiter // per key, first come first served
	keys    []string             // keys with waiters, in round-robin order
	nwait   int
}

type waiter struct {
	key     string
	ready   chan struct{}
	granted bool
}

// New returns a pool; it panics on an invalid config (a programming
// error: Config.Validate first for user input).
func New(c Config) *Pool {
	if err := c.Validate(); err != nil {
		panic(err)
	}
	p := &Pool{
		slots: c.Slots, perKey: c.PerKey, perKeyWait: c.PerKeyWaiting, maxWait: c.MaxWaiting,
		memFraction: c.MemoryFraction, heap: c.HeapBytes, retry: c.RetryAfter, hook: c.Hook,
		running: map[string]int{}, waiting: map[string][]*waiter{},
	}
	if p.slots == 0 {
		share := c.Share
		if share == 0 {
			share = DefaultShare
		}
		p.slots = max(1, int(math.Floor(share*float64(runtime.GOMAXPROCS(0)))))
	}
	if p.perKey == 0 {
		p.perKey = DefaultPerKey
	}
	p.perKey = min(p.perKey, p.slots)
	switch {
	case p.perKeyWait == 0:
		p.perKeyWait = DefaultPerKeyWaiting
	case p.perKeyWait < 0:
		p.perKeyWait = 0
	}
	if p.maxWait == 0 {
		p.maxWait = DefaultMaxWaiting
	}
	if p.memFraction == 0 {
		p.memFraction = DefaultMemoryFraction
	}
	if p.retry == 0 {
		p.retry = DefaultRetryAfter
	}
	switch {
	case c.Nice == 0:
		p.nice = DefaultNice
	case c.Nice > 0:
		p.nice = c.Nice
	}
	p.idle = c.Idle && c.Nice >= 0
	p.starvedAfter = c.StarvedAfter
	if p.starvedAfter == 0 {
		p.starvedAfter = DefaultStarvedAfter
	}
	limit := c.MemoryLimit
	if limit == 0 {
		limit = debug.SetMemoryLimit(-1)
	}
	if limit > 0 && limit < math.MaxInt64 {
		p.memLimit = uint64(limit)
	}
	if p.heap == nil {
		p.heap = liveHeap
	}
	return p
}

// Validate checks the config's fields.
func (c Config) Validate() error {
	var errs []error
	if c.Slots < 0 {
		errs = append(errs, errors.New("slots must not be negative"))
	}
	if c.Share < 0 || c.Share > 1 || math.IsNaN(c.Share) {
		errs = append(errs, fmt.Errorf("share must be in (0, 1], got %g", c.Share))
	}
	if c.PerKey < 0 || c.MaxWaiting < 0 {
		errs = append(errs, errors.New("per-key and waiting limits must not be negative"))
	}
	if c.MemoryLimit < 0 {
		errs = append(errs, errors.New("memory limit must not be negative"))
	}
	if c.MemoryFraction < 0 || c.MemoryFraction > 1 || math.IsNaN(c.MemoryFraction) {
		errs = append(errs, fmt.Errorf("memory fraction must be in (0, 1], got %g", c.MemoryFraction))
	}
	if c.Nice > 19 {
		errs = append(errs, fmt.Errorf("nice must be at most 19, got %d", c.Nice))
	}
	if c.RetryAfter < 0 {
		errs = append(errs, errors.New("retry-after must not be negative"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("admission: %w", errors.Join(errs...))
	}
	return nil
}

// Slots is how many heavy operations run at once.
func (p *Pool) Slots() int { return p.slots }

// PerKey is how many slots one key may hold.
func (p *Pool) PerKey() int { return p.perKey }

// MemoryLimit is the limit heavy work is measured against (0: none).
func (p *Pool) MemoryLimit() uint64 { return p.memLimit }

// Stats is a moment of the pool.
type Stats struct {
	Slots, Held, Waiting int
	// Promoted counts the heavy threads moved back from SCHED_IDLE
	// because they starved (Config.StarvedAfter), since the pool began.
	Promoted int64
}

// Stats returns the slots, those held, the requests waiting and the
// threads promoted.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Slots: p.slots, Held: p.held, Waiting: p.nwait, Promoted: p.promoted.Load()}
}

// liveHeap reads the heap marked live by the last garbage collection.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// CheckMemory returns a *MemoryError when the live heap is at or above
// MemoryFraction of the memory limit, nil otherwise (and always nil
// without a limit).
func (p *Pool) CheckMemory() error {
	if p.memLimit == 0 {
		return nil
	}
	h := p.heap()
	if float64(h) >= p.memFraction*float64(p.memLimit) {
		return &MemoryError{Heap: h, Limit: p.memLimit, Fraction: p.memFraction, RetryAfter: p.retry}
	}
	return nil
}

// Acquire takes a slot for key, waiting for one with ctx, and returns the
// function that gives it back (call it exactly once). It refuses at once
// with a *MemoryError near the memory limit, and with a *BusyError when
// key already waits for PerKeyWaiting slots or MaxWaiting requests wait;
// it returns ctx's error if ctx ends first.
func (p *Pool) Acquire(ctx context.Context, key string) (func(), error) {
	return p.acquire(ctx, key, true)
}

// AcquireQueued is Acquire for work already queued and bounded elsewhere
// (background jobs, whose queue has its own limits): it is not refused
// for the waiting limits, only for memory, and waits its turn.
func (p *Pool) AcquireQueued(ctx context.Context, key string) (func(), error) {
	return p.acquire(ctx, key, false)
}

func (p *Pool) acquire(ctx context.Context, key string, bounded bool) (func(), error) {
	if err := p.CheckMemory(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.held < p.slots && p.running[key] < p.perKey && len(p.waiting[key]) == 0 {
		p.take(key)
		p.mu.Unlock()
		return p.releaser(key), nil
	}
	if bounded {
		if n := len(p.waiting[key]); n >= p.perKeyWait {
			p.mu.Unlock()
			return nil, &BusyError{Key: key, RetryAfter: p.retry, Reason: fmt.Sprintf(
				"this key already runs %d heavy operation(s) (at most %d) and has %d waiting (at most %d)",
				p.running[key], p.perKey, n, p.perKeyWait)}
		}
		if p.nwait >= p.maxWait {
			p.mu.Unlock()
			return nil, &BusyError{Key: key, RetryAfter: p.retry, Reason: fmt.Sprintf(
				"%d heavy operations are waiting, the most the server queues", p.nwait)}
		}
	}
	w := &waiter{key: key, ready: make(chan struct{})}
	if len(p.waiting[key]) == 0 {
		p.keys = append(p.keys, key)
	}
	p.waiting[key] = append(p.waiting[key], w)
	p.nwait++
	p.mu.Unlock()

	select {
	case <-w.ready:
		return p.releaser(key), nil
	case <-ctx.Done():
		p.mu.Lock()
		if w.granted { // granted as ctx ended: give it back
			p.give(key)
			p.dispatch()
		} else {
			p.dequeue(w)
		}
		p.mu.Unlock()
		return nil, ctx.Err()
	}
}

// releaser returns the function that gives key's slot back, once.
func (p *Pool) releaser(key string) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			p.give(key)
			p.dispatch()
			p.mu.Unlock()
		})
	}
}

// take and give move a slot to and from key; p.mu is held.
func (p *Pool) take(key string) {
	p.held++
	p.running[key]++
	if p.hook != nil {
		p.hook(p.held)
	}
}

func (p *Pool) give(key string) {
	p.held--
	if p.running[key]--; p.running[key] == 0 {
		delete(p.running, key)
	}
	if p.hook != nil {
		p.hook(p.held)
	}
}

// dispatch hands free slots to waiters, one key after another in
// round-robin order, skipping keys at their PerKey limit; p.mu is held.
func (p *Pool) dispatch() {
	for p.held < p.slots {
		granted := false
		for i := 0; i < len(p.keys); i++ {
			key := p.keys[i]
			if p.running[key] >= p.perKey {
				continue
			}
			q := p.waiting[key]
			w := q[0]
			p.waiting[key] = q[1:]
			p.nwait--
			// The key goes to the back of the round.
			p.keys = append(p.keys[:i], p.keys[i+1:]...)
			if len(p.waiting[key]) > 0 {
				p.keys = append(p.keys, key)
			} else {
				delete(p.waiting, key)
			}
			w.granted = true
			p.take(key)
			close(w.ready)
			granted = true
			break
		}
		if !granted {
			return
		}
	}
}

// dequeue removes a waiter that gave up; p.mu is held.
func (p *Pool) dequeue(w *waiter) {
	q := p.waiting[w.key]
	for i, x := range q {
		if x == w {
			q = append(q[:i], q[i+1:]...)
			p.nwait--
			break
		}
	}
	if len(q) > 0 {
		p.waiting[w.key] = q
		return
	}
	delete(p.waiting, w.key)
	for i, k := range p.keys {
		if k == w.key {
			p.keys = append(p.keys[:i], p.keys[i+1:]...)
			break
		}
	}
}
