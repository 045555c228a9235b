package community

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
)

// CDLP runs community detection by label propagation for the given number
// of iterations and returns the final label of every vertex. It follows
// the LDBC Graphalytics definition (Iosup et al., "The LDBC Graphalytics
// Benchmark", specification v1.0, section "Community Detection using
// Label Propagation"), a deterministic, synchronous variant of Raghavan,
// Albert & Kumara (Phys. Rev. E 76, 036106, 2007):
//
//	L_0(v)     = labels0[v]            (Graphalytics: the vertex id)
//	L_{t+1}(v) = min argmax_l |{u ∈ N(v) : L_t(u) = l}|
//
// where N(v) is the multiset of v's neighbours: every vertex takes the
// label that is most frequent among its neighbours in the previous
// iteration, the smallest such label on a tie; a vertex without neighbours
// keeps its label. All vertices update at once (synchronously) from the
// labels of iteration t, so the result does not depend on vertex order.
//
// The neighbour multiset of v is targets[offsets[v]:offsets[v+1]] (vertices
// 0..len(offsets)-2). For an undirected graph that is the usual CSR with
// each edge listed in both directions (graph.Snapshot's friendships). For a
// directed graph Graphalytics counts both in- and out-neighbours, and a
// neighbour linked both ways counts twice; Bidirect builds that CSR from
// the out-neighbour CSR.
//
// labels0 must have one label per vertex; CDLP does not change it. It
// panics if the arrays are inconsistent (see graph.CSR.Validate to validate
// input first).
func CDLP(offsets, targets []int32, labels0 []int64, iterations int) []int64 {
	out, _ := cdlp(context.Background(), offsets, targets, labels0, iterations, 0)
	return out
}

// CDLPContext is CDLP with cancellation between iterations and a bound on
// parallelism (workers 0: GOMAXPROCS). The result does not depend on
// workers. On cancellation it returns the context's error.
func CDLPContext(ctx context.Context, offsets, targets []int32, labels0 []int64, iterations, workers int) ([]int64, error) {
	return cdlp(ctx, offsets, targets, labels0, iterations, workers)
}

func cdlp(ctx context.Context, offsets, targets []int32, labels0 []int64, iterations, workers int) ([]int64, error) {
	n := len(offsets) - 1
	if n < 0 {
		n = 0
	}
	if len(labels0) != n {
		panic(fmt.Sprintf("community: CDLP: %d labels for %d vertices", len(labels0), n))
	}
	cur := slices.Clone(labels0)
	if n == 0 || iterations <= 0 {
		return cur, nil
	}
	next := make([]int64, n)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, n/4096+1))
	bounds := splitRows(offsets, workers)
	bufs := make([][]int64, workers)
	for it := 0; it < iterations; it++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("community: cdlp: %w", err)
		}
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			lo, hi := bounds[w], bounds[w+1]
			wg.Go(func() {
				buf := bufs[w]
				for v := lo; v < hi; v++ {
					nb := targets[offsets[v]:offsets[v+1]]
					if len(nb) == 0 {
						next[v] = cur[v]
						continue
					}
					buf = buf[:0]
					for _, u := range nb {
						buf = append(buf, cur[u])
					}
					next[v] = modeMin(buf)
				}
				bufs[w] = buf
			})
		}
		wg.Wait()
		cur, next = next, cur
	}
	return cur, nil
}

// modeMin returns the most frequent value of a non-empty slice, the
// smallest one on a tie. It sorts the slice.
func modeMin(xs []int64) int64 {
	if len(xs) == 1 {
		return xs[0]
	}
	slices.Sort(xs)
	best, bestN := xs[0], 0
	for i := 0; i < len(xs); {
		j := i + 1
		for j < len(xs) && xs[j] == xs[i] {
			j++
		}
		if j-i > bestN { // strictly more: the smaller label wins ties
			best, bestN = xs[i], j-i
		}
		i = j
	}
	return best
}

// splitRows splits rows 0..n-1 into k contiguous ranges of about equal
// cost (1 + degree per row) and returns k+1 bounds.
func splitRows(offsets []int32, k int) []int {
	n := len(offsets) - 1
	bounds := make([]int, k+1)
	bounds[k] = n
	total := int64(n) + int64(offsets[n])
	row := 0
	for j := 1; j < k; j++ {
		target := total * int64(j) / int64(k)
		for row < n && int64(row)+int64(offsets[row]) < target {
			row++
		}
		bounds[j] = row
	}
	return bounds
}

// Bidirect returns the CSR of a directed graph's neighbour multisets as
// Graphalytics CDLP counts them: the out-neighbours of v followed by its
// in-neighbours, so a vertex linked to v both ways appears twice. offsets
// and targets give the out-neighbours (vertices 0..len(offsets)-2).
func Bidirect(offsets, targets []int32) ([]int32, []int32) {
	n := len(offsets) - 1
	if n < 0 {
		return []int32{0}, nil
	}
	deg := make([]int32, n+1)
	for v := 0; v < n; v++ {
		deg[v+1] += offsets[v+1] - offsets[v]
		for _, u := range targets[offsets[v]:offsets[v+1]] {
			deg[u+1]++
		}
	}
	for i := 1; i <= n; i++ {
		deg[i] += deg[i-1]
	}
	out := make([]int32, deg[n])
	next := slices.Clone(deg[:n])
	for v := 0; v < n; v++ {
		for _, u := range targets[offsets[v]:offsets[v+1]] {
			out[next[v]] = u
			next[v]++
		}
	}
	for v := 0; v < n; v++ {
		for _, u := range targets[offsets[v]:offsets[v+1]] {
			out[next[u]] = int32(v)
			next[u]++
		}
	}
	return deg, out
}
