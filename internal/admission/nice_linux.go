package admission

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// lowerThreadPriority sets the niceness of the calling thread (on Linux
// setpriority with a thread id affects that thread only) and, with idle,
// moves it to the SCHED_IDLE class (sched_setattr on the calling thread).
// It returns the thread's id and whether it is now in SCHED_IDLE. Errors
// are ignored: the work runs at normal priority then.
func lowerThreadPriority(nice int, idle bool) (tid int, idled bool) {
	tid = syscall.Gettid()
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice)
	if idle {
		idled = unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE, Nice: int32(nice)}, 0) == nil
	}
	return tid, idled
}

// promote moves thread tid of this process from SCHED_IDLE back to the
// normal class (SCHED_OTHER) at the given niceness. Linux allows it to a
// process with CAP_SYS_NICE or an RLIMIT_NICE that covers the niceness.
func promote(tid, nice int) error {
	return unix.SchedSetAttr(tid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_NORMAL, Nice: int32(nice)}, 0)
}

// threadSchedStat reads thread tid's time on a core and time waiting on a
// run queue (the first two fields of /proc/self/task/TID/schedstat).
func threadSchedStat(tid int) (run, wait time.Duration, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/schedstat", tid))
	if err != nil {
		return 0, 0, false
	}
	var r, w int64
	if _, err := fmt.Sscan(string(b), &r, &w); err != nil {
		return 0, 0, false
	}
	return time.Duration(r), time.Duration(w), true
}

// CanPromote reports whether this process can run heavy work in SCHED_IDLE
// with the starvation watch: it can put a thread in SCHED_IDLE, read its
// schedstat, and move it back to the normal class at the niceness nice. It
// tries all three on a thread of its own, which it then discards.
func CanPromote(nice int) bool {
	ok := make(chan bool, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		tid, idled := lowerThreadPriority(nice, true)
		_, _, stat := threadSchedStat(tid)
		ok <- idled && stat && promote(tid, nice) == nil
	}()
	return <-ok
}
