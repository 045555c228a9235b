//go:build !linux

package admission

import "time"

func lowerThreadPriority(int, bool) (int, bool) { return 0, false }

func promote(int, int) error { return nil }

func threadSchedStat(int) (time.Duration, time.Duration, bool) { return 0, 0, false }

// CanPromote is false outside Linux: there is no SCHED_IDLE.
func CanPromote(int) bool { return false }
