//go:build unix

package connlimit

import "syscall"

// RaiseNoFile lifts the soft limit of open files to the hard limit (Go
// does so too when package os starts, on Linux and macOS; this makes it
// explicit and reports the result) and returns the soft limit in force.
func RaiseNoFile() (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur < rl.Max {
		want := rl
		want.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
			rl = want
		}
	}
	return uint64(rl.Cur), nil
}

// NoFile returns the soft limit of open files (1024 if it cannot be read).
func NoFile() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 1024
	}
	return uint64(rl.Cur)
}
