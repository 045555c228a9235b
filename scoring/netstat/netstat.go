// Package netstat computes small, general statistics of an undirected
// network given in compressed sparse row (CSR) form, and of values attached
// to its vertices: connected components, isolated vertices, degree
// histogram, local and average clustering, the Gini coefficient, Newman's
// scalar assortativity, and deciles.
//
// # Graph representation
//
// A graph of n vertices numbered 0..n−1 is given as offsets (length n+1,
// offsets[0] = 0, non-decreasing) and targets: the neighbours of vertex v
// are targets[offsets[v]:offsets[v+1]]. This is the layout of
// graph.Snapshot (Offsets, Targets), where every undirected edge is listed
// once in each direction; the functions here take the bare slices so that
// any CSR (a snapshot, a graph rebuilt by a simulation, a test graph) can
// be used without conversion. Where a function needs the CSR to be
// symmetric, its doc says so. Self-loops and repeated entries are tolerated
// where stated. Functions panic on a malformed CSR (a target outside
// [0,n)), as slice indexing does; graph.CSR.Validate reports what is
// wrong first.
//
// Results are deterministic: they depend only on the input, never on
// scheduling, and every sum is taken in vertex order.
//
// # References
//
//	[New03]  M. E. J. Newman, "Mixing patterns in networks", Physical Review
//	         E 67:026126, 2003 (the scalar assortativity coefficient).
//	[WS98]   D. J. Watts and S. H. Strogatz, "Collective dynamics of
//	         'small-world' networks", Nature 393:440–442, 1998 (local
//	         clustering coefficient).
//	[LDBC]   A. Iosup et al., "The LDBC Graphalytics Benchmark",
//	         specification v1.0, sections "Weakly Connected Components" and
//	         "Local Clustering Coefficient" (the definitions the tests check
//	         against, with its validation graphs).
//	[Gin12]  C. Gini, "Variabilità e mutabilità", 1912 (the mean absolute
//	         difference over twice the mean; the sorted-sum form used here
//	         follows by ordering the pairs).
package netstat

import (
	"math"
	"slices"
)

// Components returns the connected components of the graph, treating every
// entry u→v of the CSR as an undirected edge u–v (so for a directed CSR
// these are the weakly connected components, the LDBC Graphalytics WCC).
// label[v] is the component of v, given as the smallest vertex index in
// it, so labels are canonical: two graphs with the same partition get the
// same labels. count is the number of components (an isolated vertex is a
// component of its own) and largest the number of vertices in the biggest
// (0 for an empty graph).
//
// It is union–find with union by smaller index and path halving
// (Tarjan & van Leeuwen, J. ACM 31(2), 1984): O((n + m)·α(n)) time for m
// entries, one int32 per vertex of extra memory besides the result.
// Self-loops and repeated entries are harmless.
func Components(offsets, targets []int32) (label []int32, count int, largest int) {
	n := len(offsets) - 1
	if n <= 0 {
		return []int32{}, 0, 0
	}
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]] // path halving
			x = parent[x]
		}
		return x
	}
	for u := 0; u < n; u++ {
		for _, v := range targets[offsets[u]:offsets[u+1]] {
			ru, rv := find(int32(u)), find(v)
			switch {
			case ru < rv:
				parent[rv] = ru
			case rv < ru:
				parent[ru] = rv
			}
		}
	}
	// The root of every set is its smallest member (a root is only ever
	// attached under a smaller one), so it is the canonical label. Roots
	// come before their members in index order, so one pass resolves all.
	size := make([]int32, n)
	for v := 0; v < n; v++ {
		r := parent[v]
		if r != int32(v) {
			r = parent[r] // parent[r] is already final: r < v
			parent[v] = r
		} else {
			count++
		}
		size[r]++
		if int(size[r]) > largest {
			largest = int(size[r])
		}
	}
	return parent, count, largest
}

// Isolated returns the number of vertices without any neighbour (degree 0
// in the CSR). A vertex whose only entry is a self-loop is not isolated.
func Isolated(offsets []int32) int {
	k := 0
	for v := 0; v+1 < len(offsets); v++ {
		if offsets[v+1] == offsets[v] {
			k++
		}
	}
	return k
}

// Degrees returns the degree (number of CSR entries) of every vertex.
func Degrees(offsets []int32) []int32 {
	n := max(len(offsets)-1, 0)
	d := make([]int32, n)
	for v := range d {
		d[v] = offsets[v+1] - offsets[v]
	}
	return d
}

// DegreeHistogram returns h with h[k] = the number of vertices of degree k,
// for k = 0..max degree (an empty slice for an empty graph). The degree is
// the number of CSR entries of the vertex, so for a symmetric CSR it is
// the number of neighbours. Σ_k h[k] = n and Σ_k k·h[k] = len(targets).
func DegreeHistogram(offsets []int32) []int {
	n := len(offsets) - 1
	if n <= 0 {
		return []int{}
	}
	maxDeg := int32(0)
	for v := 0; v < n; v++ {
		maxDeg = max(maxDeg, offsets[v+1]-offsets[v])
	}
	h := make([]int, maxDeg+1)
	for v := 0; v < n; v++ {
		h[offsets[v+1]-offsets[v]]++
	}
	return h
}

// LocalClustering returns the local clustering coefficient of every vertex
// of an undirected graph (the CSR must be symmetric) [WS98], as defined by
// LDBC Graphalytics for undirected graphs [LDBC]:
//
//	C(v) = |{ {u,w} ⊆ N(v) : u–w is an edge }| / (d(v)·(d(v)−1)/2)
//
// where N(v) is the set of v's neighbours other than v itself and
// d(v) = |N(v)|; C(v) = 0 when d(v) < 2. Self-loops and repeated entries
// are ignored. It equals NetworkX's clustering(G) for a simple graph.
//
// Cost: Σ_v Σ_{u∈N(v)} d(u) = Σ_u d(u)² steps, with two stamp arrays of
// one vertex each as extra memory.
func LocalClustering(offsets, targets []int32) []float64 {
	n := len(offsets) - 1
	if n <= 0 {
		return []float64{}
	}
	c := make([]float64, n)
	triangleLinks(offsets, targets, func(v, d, links int) {
		c[v] = float64(links) / float64(d*(d-1))
	})
	return c
}

// Transitivity returns the global clustering coefficient of the graph
// (Newman, "The structure and function of complex networks", SIAM Review
// 45, 2003, eq. 3): the share of connected triples that are closed,
//
//	T = 3·(number of triangles) / (number of connected triples)
//	  = Σ_v 2·t(v) / Σ_v d(v)·(d(v)−1)
//
// with t(v) the triangles through v and d(v) as in LocalClustering. Unlike
// AverageClustering it weights every vertex by its number of triples, so
// hubs count more. It equals NetworkX's transitivity(G) for a simple graph,
// is 0 when the graph has triples but no triangle, and NaN when it has no
// connected triple (no vertex of degree 2 or more).
func Transitivity(offsets, targets []int32) float64 {
	var closed, triples float64
	triangleLinks(offsets, targets, func(_, d, links int) {
		closed += float64(links)
		triples += float64(d) * float64(d-1)
	})
	if triples == 0 {
		return math.NaN()
	}
	return closed / triples
}

// DegreeAssortativity returns Newman's degree assortativity [New03]: the
// Assortativity of the vertices' degrees (their numbers of CSR entries).
// Over a symmetric CSR it equals NetworkX's
// degree_assortativity_coefficient(G) for a simple undirected graph.
// Negative values mean hubs befriend people with few friends (common in
// technological networks), positive values that hubs befriend hubs
// (common in social ones). NaN when there are no edges or every vertex at
// the end of an edge has the same degree.
func DegreeAssortativity(offsets, targets []int32) float64 {
	d := make([]float64, max(len(offsets)-1, 0))
	for v := range d {
		d[v] = float64(offsets[v+1] - offsets[v])
	}
	return Assortativity(offsets, targets, d)
}

// triangleLinks calls fn for every vertex v with d(v) ≥ 2 distinct
// neighbours other than itself, with links = the number of ordered pairs
// (u,w) of distinct neighbours of v that are adjacent (2·t(v)).
func triangleLinks(offsets, targets []int32, fn func(v, d, links int)) {
	n := len(offsets) - 1
	if n <= 0 {
		return
	}
	// inN[x] == v+1 iff x ∈ N(v). seen[w] == k iff w was already counted
	// during the k-th (v,u) visit. Both are stamps, never cleared.
	inN := make([]int32, n)
	seen := make([]int64, n)
	var visit int64
	for v := 0; v < n; v++ {
		stamp := int32(v + 1)
		d := 0
		for _, u := range targets[offsets[v]:offsets[v+1]] {
			if int(u) != v && inN[u] != stamp {
				inN[u] = stamp
				d++
			}
		}
		if d < 2 {
			continue
		}
		// Count ordered pairs (u,w) of distinct neighbours of v with w a
		// neighbour of u: each edge among v's neighbours is seen from both
		// ends, so links = 2·|edges|, and C = links / (d·(d−1)).
		links := 0
		for _, u := range targets[offsets[v]:offsets[v+1]] {
			if int(u) == v || inN[u] != stamp {
				continue // self-loop, or a repeated entry already visited
			}
			inN[u] = -stamp // visited, still in N(v)
			visit++
			for _, w := range targets[offsets[u]:offsets[u+1]] {
				if w == u || int(w) == v || seen[w] == visit {
					continue
				}
				seen[w] = visit
				if m := inN[w]; m == stamp || m == -stamp {
					links++
				}
			}
		}
		fn(v, d, links)
	}
}

// AverageClustering returns the mean of LocalClustering over all vertices,
// those of degree below 2 counting as 0 (NetworkX's average_clustering with
// count_zeros=True). It is NaN for an empty graph.
func AverageClustering(offsets, targets []int32) float64 {
	c := LocalClustering(offsets, targets)
	if len(c) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, x := range c {
		sum += x
	}
	return sum / float64(len(c))
}

// Gini returns the Gini coefficient of non-negative values [Gin12]: half
// the mean absolute difference between all pairs, over the mean,
//
//	G = Σ_i Σ_j |x_i − x_j| / (2·n²·μ) = Σ_i (2i − n − 1)·x_(i) / (n·Σ_i x_i)
//
// with x_(1) ≤ … ≤ x_(n) the values sorted ascending (the second form is
// the first, summed in sorted order; O(n log n)). G is 0 when all values
// are equal and approaches 1 when one value holds everything. It is 0 for
// no values or when all are 0, and NaN if any value is NaN or negative
// (the coefficient is not defined for them). values is not modified.
func Gini(values []float64) float64 {
	n := len(values)
	if n == 0 {
		return 0
	}
	x := slices.Clone(values)
	for _, v := range x {
		if !(v >= 0) {
			return math.NaN()
		}
	}
	slices.Sort(x)
	var num, sum float64
	for i, v := range x {
		num += float64(2*(i+1)-n-1) * v
		sum += v
	}
	if sum == 0 {
		return 0
	}
	return num / (float64(n) * sum)
}

// Assortativity returns Newman's scalar assortativity coefficient of the
// vertex values x over the edges of the graph [New03]: the Pearson
// correlation between the values at the two ends of an edge,
//
//	r = Σ_e (x_a(e) − x̄_a)(x_b(e) − x̄_b) / √(Σ_e (x_a(e) − x̄_a)² · Σ_e (x_b(e) − x̄_b)²)
//
// taken over every CSR entry e = a→b, with x̄_a and x̄_b the means over
// entries of the source and target values. When the CSR is symmetric (each
// undirected edge listed once in each direction, as in graph.Snapshot),
// the two ends are treated alike and this is Newman's undirected r
// [New03], which is what networkx.numeric_assortativity_coefficient
// computes. r ∈ [−1, 1]: positive when connected vertices have similar
// values (homophily), 0 when values are unrelated to who is connected.
//
// It is NaN when there are no entries or the values at either end have
// zero variance (the correlation is undefined). Sums use two passes (means,
// then centred products) for numerical stability.
func Assortativity(offsets, targets []int32, x []float64) float64 {
	n := len(offsets) - 1
	if n <= 0 || len(targets) == 0 {
		return math.NaN()
	}
	m := float64(len(targets))
	var sa, sb float64
	for u := 0; u < n; u++ {
		xu := x[u]
		row := targets[offsets[u]:offsets[u+1]]
		sa += xu * float64(len(row))
		for _, v := range row {
			sb += x[v]
		}
	}
	ma, mb := sa/m, sb/m
	var cov, va, vb float64
	for u := 0; u < n; u++ {
		du := x[u] - ma
		for _, v := range targets[offsets[u]:offsets[u+1]] {
			dv := x[v] - mb
			cov += du * dv
			va += du * du
			vb += dv * dv
		}
	}
	if va == 0 || vb == 0 {
		return math.NaN()
	}
	return cov / math.Sqrt(va*vb)
}

// Deciles returns the decile of each value among all of them, 0 (lowest
// tenth) to 9 (highest tenth), from its mid-rank percentile
//
//	p_i = (#{j : x_j < x_i} + ½·#{j : x_j = x_i}) / n,   decile_i = min(9, ⌊10·p_i⌋)
//
// (the count of equal values includes i). Equal values always get the same
// decile, so groups have n/10 members each only up to ties; with distinct
// values decile k holds the values of ranks ⌈k·n/10⌉ … about ⌈(k+1)·n/10⌉.
// This is the mid-rank percentile rank (scipy's
// percentileofscore(kind="mean"), as scoring.Percentiles), cut into tenths. NaN sorts below every
// number. values is not modified.
func Deciles(values []float64) []int8 {
	n := len(values)
	out := make([]int8, n)
	if n == 0 {
		return out
	}
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	less := func(a, b float64) bool { return a < b || (math.IsNaN(a) && !math.IsNaN(b)) }
	eq := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
	slices.SortFunc(idx, func(a, b int32) int {
		switch xa, xb := values[a], values[b]; {
		case less(xa, xb):
			return -1
		case less(xb, xa):
			return 1
		}
		return int(a - b)
	})
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && eq(values[idx[hi]], values[idx[lo]]) {
			hi++
		}
		// 10·(lo + (hi−lo)/2)/n, in integers: ⌊10·(lo+hi) / (2n)⌋.
		d := int8(min(9, 10*(lo+hi)/(2*n)))
		for _, i := range idx[lo:hi] {
			out[i] = d
		}
		lo = hi
	}
	return out
}

// GroupMeans returns, for groups 0..k−1, the mean of values over the
// vertices in each group (group[i] is the group of vertex i; entries
// outside [0,k) are ignored), and the size of each group. A group with no
// members has mean NaN. Sums are taken in index order.
func GroupMeans(group []int8, k int, values []float64) (mean []float64, size []int) {
	mean = make([]float64, k)
	size = make([]int, k)
	for i, g := range group {
		if g < 0 || int(g) >= k {
			continue
		}
		mean[g] += values[i]
		size[g]++
	}
	for g := range mean {
		if size[g] == 0 {
			mean[g] = math.NaN()
		} else {
			mean[g] /= float64(size[g])
		}
	}
	return mean, size
}
