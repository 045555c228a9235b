package netstat_test

import (
	"fmt"

	"github.com/socialscore/socialscore/scoring/netstat"
)

// A path 0–1–2, an edge 3–4 and an isolated vertex 5, in the symmetric CSR
// layout of graph.Snapshot.
func Example() {
	offsets := []int32{0, 1, 3, 4, 5, 6, 6}
	targets := []int32{1, 0, 2, 1, 4, 3}
	label, count, largest := netstat.Components(offsets, targets)
	fmt.Println("labels", label, "components", count, "largest", largest)
	fmt.Println("isolated", netstat.Isolated(offsets))
	fmt.Println("degree histogram", netstat.DegreeHistogram(offsets))

	scores := []float64{700, 690, 710, 400, 420, 550}
	fmt.Printf("assortativity %.3f\n", netstat.Assortativity(offsets, targets, scores))
	fmt.Printf("gini %.3f\n", netstat.Gini(scores))
	fmt.Println("deciles", netstat.Deciles(scores))
	// Output:
	// labels [0 0 0 3 3 5] components 3 largest 3
	// isolated 1
	// degree histogram [1 4 1]
	// assortativity 0.992
	// gini 0.122
	// deciles [7 5 9 0 2 4]
}
