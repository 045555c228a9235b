package graph

import (
	"cmp"
	"slices"
)

// Align returns, for each id (ascending, as Snapshot.IDs), the index in
// results of that person's result, or -1 if there is none. Results may be
// in any order; it merges the two lists rather than looking each id up
// (Position), in O(len(ids) + len(results)) when results are sorted.
func Align(ids []ID, results []Result) []int32 {
	out := make([]int32, len(ids))
	order := make([]int32, len(results))
	for i := range order {
		order[i] = int32(i)
	}
	if !slices.IsSortedFunc(results, func(a, b Result) int { return cmp.Compare(a.ID, b.ID) }) {
		slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(results[a].ID, results[b].ID) })
	}
	j := 0
	for i, id := range ids {
		for j < len(order) && results[order[j]].ID < id {
			j++
		}
		if j < len(order) && results[order[j]].ID == id {
			out[i] = order[j]
		} else {
			out[i] = -1
		}
	}
	return out
}
