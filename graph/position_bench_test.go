package graph_test

import (
	"testing"

	"github.com/socialscore/socialscore/graph"
)

// BenchmarkIDSetIndex looks up every id of a set of 100,000 ids, dense
// (1..N, found without a search) and sparse (every third id, a binary
// search), and an id that is absent.
func BenchmarkIDSetIndex(b *testing.B) {
	for _, c := range []struct {
		name string
		step graph.ID
	}{{"dense", 1}, {"sparse", 3}} {
		set := make(graph.IDSet, 100_000)
		for i := range set {
			set[i] = graph.ID(i)*c.step + 1
		}
		b.Run(c.name, func(b *testing.B) {
			found := 0
			for b.Loop() {
				for _, id := range set {
					if _, ok := set.Index(id); ok {
						found++
					}
				}
				if _, ok := set.Index(2); ok == (c.step == 1) {
					found++
				}
			}
			if found != b.N*(len(set)+1) {
				b.Fatalf("found %d of %d", found, b.N*(len(set)+1))
			}
		})
	}
}
