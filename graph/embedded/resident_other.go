//go:build !linux

package embedded

import bolt "go.etcd.io/bbolt"

// dropResident does nothing here (see resident_linux.go).
func dropResident(*bolt.DB, *bolt.Tx) {}
