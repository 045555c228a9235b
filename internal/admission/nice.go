package admission

import "runtime"

// DefaultNice is the niceness heavy work runs at (Config.Nice).
const DefaultNice = 10

// Run runs fn on a goroutine of its own, locked to an OS thread of its own
// whose scheduling priority is lowered to the pool's niceness (Linux;
// elsewhere fn just runs), and returns what fn returns. The kernel then
// prefers the threads serving reads whenever both want a core. The thread
// is never reused: the goroutine exits still locked, so Go discards it
// rather than hand a low-priority thread to other work. Goroutines that fn
// starts run at normal priority.
func (p *Pool) Run(fn func() error) error {
	if p.nice <= 0 && !p.idle {
		return fn()
	}
	done := make(chan error, 1)
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
		lowerThreadPriority(p.nice, p.idle)
		err = fn()
	}()
	err := <-done
	if pe, ok := err.(*panicError); ok {
		panic(pe.v)
	}
	return err
}

type panicError struct{ v any }

func (e *panicError) Error() string { return "admission: panic in heavy work" }
