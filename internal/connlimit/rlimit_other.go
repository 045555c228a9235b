//go:build !unix

package connlimit

// RaiseNoFile does nothing where there is no RLIMIT_NOFILE; it reports
// 8192 as the limit the defaults are computed from.
func RaiseNoFile() (uint64, error) { return NoFile(), nil }

// NoFile returns 8192 where there is no RLIMIT_NOFILE.
func NoFile() uint64 { return 8192 }
