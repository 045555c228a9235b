package scoring

import (
	"cmp"
	"slices"

	"github.com/socialscore/socialscore/graph"
)

// Align returns, for each id (ascending, as graph.Snapshot.IDs), the index
// in results of that person's result, or -1 if there is none.
func Align(ids []graph.ID, results []graph.Result) []int32 {
	out := make([]int32, len(ids))
	order := make([]int32, len(results))
	for i := range order {
		order[i] = int32(i)
	}
	if !slices.IsSortedFunc(results, func(a, b graph.Result) int { return cmp.Compare(a.ID, b.ID) }) {
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
