//go:build !linux

package admission

func lowerThreadPriority(int, bool) {}
