package admission

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// lowerThreadPriority sets the niceness of the calling thread (on Linux
// setpriority with a thread id affects that thread only) and, with idle,
// moves it to the SCHED_IDLE class (sched_setattr on the calling thread).
// Errors are ignored: the work runs at normal priority then.
func lowerThreadPriority(nice int, idle bool) {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice)
	if idle {
		_ = unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE, Nice: int32(nice)}, 0)
	}
}
