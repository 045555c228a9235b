package scoring

import (
	"fmt"
	"testing"

	"github.com/socialscore/socialscore/internal/datasets/datagraph"
)

// BenchmarkCentralities measures Centralities (gonum's Brandes betweenness
// and all-pairs shortest paths for closeness) on ego networks of
// ego-Facebook around node 0 (person 1): its depth-1 ego network (348
// people, 2,866 friendships), and the first MaxCentralityPeople (500) and
// 1,000 people of its breadth-first order (node 0, its friends, then their friends: what the
// network view keeps at depth 2 with that limit, up to the order within
// the last hop). ego-Facebook is dense (an average of 44 friends), so
// these are heavy ego networks for their size. The 1,000-person case runs
// the unbounded centralities, to show the cost above the bound.
func BenchmarkCentralities(b *testing.B) {
	s := datagraph.FacebookSnapshot(b)
	c, _ := s.Index(1)
	order := []int32{c}
	seen := map[int32]bool{c: true}
	for k := 0; k < len(order) && len(order) < 1000; k++ {
		for _, u := range s.Friends(order[k]) {
			if !seen[u] && len(order) < 1000 {
				seen[u] = true
				order = append(order, u)
			}
		}
	}
	for _, n := range []int{1 + s.Degree(c), MaxCentralityPeople, 1000} {
		members := order[:n]
		b.Run(fmt.Sprintf("people=%d", n), func(b *testing.B) {
			edges := 0
			in := map[int32]bool{}
			for _, v := range members {
				in[v] = true
			}
			for _, v := range members {
				for _, u := range s.Friends(v) {
					if in[u] && u > v {
						edges++
					}
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := centralities(s, members); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(edges), "friendships")
		})
	}
}
