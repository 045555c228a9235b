package community_test

import (
	"context"
	"fmt"

	"github.com/socialscore/socialscore/scoring/community"
)

// Two triangles joined by one edge (2–3), in the symmetric CSR layout of
// graph.Snapshot. CDLP's labels are vertex ids (the second triangle ends
// up with the label of vertex 2, its neighbour across the bridge, as the
// synchronous updates pass it along); Louvain numbers communities from 0.
// Q = 2·(3/7 − (7/14)²) = 0.3571.
func Example() {
	offsets := []int32{0, 2, 4, 7, 10, 12, 14}
	targets := []int32{1, 2, 0, 2, 0, 1, 3, 2, 4, 5, 3, 5, 3, 4}
	ids := []int64{10, 20, 30, 40, 50, 60}

	fmt.Println("CDLP labels:", community.CDLP(offsets, targets, ids, 5))
	p, err := community.Louvain(context.Background(), offsets, targets, nil, community.LouvainOptions{Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("Louvain: %v, Q = %.4f\n", p.Labels, p.Modularity)
	// Output:
	// CDLP labels: [10 10 10 30 30 30]
	// Louvain: [0 0 0 1 1 1], Q = 0.3571
}
