package admission

import (
	"runtime"
	"sync"
	"time"
)

// DefaultNice is the niceness heavy work runs at (Config.Nice).
const DefaultNice = 10

// DefaultStarvedAfter is Config.StarvedAfter's default.
const DefaultStarvedAfter = 300 * time.Millisecond

// Run runs fn on a goroutine of its own, locked to an OS thread of its own
// whose scheduling priority is lowered to the pool's niceness (Linux;
// elsewhere fn just runs), and returns what fn returns. The kernel then
// prefers the threads serving reads whenever both want a core. The thread
// is never reused: the goroutine exits still locked, so Go discards it
// rather than hand a low-priority thread to other work. Goroutines that fn
// starts run at normal priority.
//
// With Config.Idle the thread is also put in SCHED_IDLE, and watched: if
// for StarvedAfter it waits for a core more than four times as long as it
// runs (the machine's cores are all busy with other work), it goes back to
// the normal class at the pool's niceness, as without Idle, so heavy work
// is slowed by a busy machine but never stalled.
func (p *Pool) Run(fn func() error) error {
	if p.nice <= 0 && !p.idle {
		return fn()
	}
	done := make(chan error, 1)
	// The watch starts here, on the caller's goroutine, not on the heavy
	// thread: goroutines and threads that the heavy thread starts would
	// come after it, behind its low priority.
	tids, watching := make(chan int), make(chan func())
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		var err error
		defer func() {
			if r := recover(); r != nil {
				done <- &panicError{r}
				return
			}
			done <- err
		}()
		tid, idled := lowerThreadPriority(p.nice, p.idle)
		if idled && p.starvedAfter > 0 {
			tids <- tid
			defer (<-watching)() // stop the watch before the thread exits
		} else {
			tids <- 0
		}
		err = fn()
	}()
	if tid := <-tids; tid != 0 {
		watching <- p.watch(tid)
	}
	err := <-done
	if pe, ok := err.(*panicError); ok {
		panic(pe.v)
	}
	return err
}

// starvedRatio is how many times longer than it runs a SCHED_IDLE thread
// may wait for a core, over a window, without the window counting as
// starved.
const starvedRatio = 4

// watch samples the thread's run and wait times (threadSchedStat) four
// times per StarvedAfter; a window is starved when the thread waited for a
// core more than starvedRatio times as long as it ran. When the windows
// since the last one in which it ran freely add up to StarvedAfter of
// starved ones, it moves the thread back to the normal class (promote). Run
// starts it from the caller's goroutine: its timer then lives with a P
// that serves other goroutines, not with the P the starved thread holds
// (a timer there waited seconds), and it does not sleep in a system call
// (a watch in nanosleep(2) put score reads' p90 from 1.3 to 9 ms,
// scripts/load/shocks.sh). The returned stop ends the watch; the watch
// reads and promotes under a lock that stop takes, so it never touches the
// thread once stop has returned (the thread exits after).
func (p *Pool) watch(tid int) (stop func()) {
	window := p.starvedAfter / 4
	var mu sync.Mutex
	stopped := false
	go func() {
		var run0, wait0, starved time.Duration
		for first := true; ; first = false {
			if !first {
				time.Sleep(window)
			}
			mu.Lock()
			if stopped {
				mu.Unlock()
				return
			}
			run, wait, ok := threadSchedStat(tid)
			switch {
			case !ok:
			case first:
			case wait-wait0 > starvedRatio*(run-run0):
				starved += window
			case run-run0+wait-wait0 < window/10:
				// It neither ran nor waited for a core: it was blocked
				// (on I/O, a lock, or a P of the Go scheduler). The
				// window says nothing either way.
			default:
				starved = 0
			}
			if ok && starved >= p.starvedAfter && promote(tid, p.nice) == nil {
				p.promoted.Add(1)
			}
			mu.Unlock()
			if !ok || starved >= p.starvedAfter {
				return
			}
			run0, wait0 = run, wait
		}
	}()
	return func() {
		mu.Lock()
		stopped = true
		mu.Unlock()
	}
}

type panicError struct{ v any }

func (e *panicError) Error() string { return "admission: panic in heavy work" }
