package embedded

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// dropResident tells the kernel that the process no longer needs the
// pages of the file it has touched through bbolt's read-only shared
// mapping (madvise MADV_DONTNEED): they stay in the page cache, shared and
// reclaimable, but leave the process's resident set, and a later read
// faults them back in unchanged. Streaming a run of 10 million results
// touches 1.6 GB of the file that a server keeps no use for. It must be
// called inside a transaction, which keeps bbolt from remapping the file
// meanwhile; errors are ignored (the advice is only advice).
func dropResident(db *bolt.DB, btx *bolt.Tx) {
	size := btx.Size()
	if size <= 0 {
		return
	}
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, db.Info().Data, uintptr(size), syscall.MADV_DONTNEED)
}
