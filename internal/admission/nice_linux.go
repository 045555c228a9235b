package admission

import "syscall"

// lowerThreadPriority sets the niceness of the calling thread (on Linux
// setpriority with a thread id affects that thread only). Errors are
// ignored: the work runs at normal priority then.
func lowerThreadPriority(nice int) {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice)
}
