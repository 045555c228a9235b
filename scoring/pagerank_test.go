package scoring

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/graph/network"

	"github.com/socialscore/socialscore/graph"
)

// ldbcPRGraphs are the LDBC Graphalytics validation graphs with a PR output.
var ldbcPRGraphs = []string{"example-directed", "example-undirected", "test-pr-directed", "test-pr-undirected"}

// TestPageRankGraphalytics runs the kernel on every Graphalytics validation
// graph that has a PR output, with the damping factor and iteration count
// of its .properties file, and applies the spec's validation rule
// |r − s| ≤ 1e-4·|r| to every vertex.
func TestPageRankGraphalytics(t *testing.T) {
	dir := filepath.Join(datasetsDir(t), "ldbc-graphalytics-validation")
	found, err := filepath.Glob(filepath.Join(dir, "*-PR"))
	require.NoError(t, err)
	var names []string
	for _, f := range found {
		names = append(names, strings.TrimSuffix(filepath.Base(f), "-PR"))
	}
	// Every PR validation graph of SOURCE.md is there, and no other.
	require.ElementsMatch(t, ldbcPRGraphs, names)

	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			g := loadLDBC(t, dir, name)
			// expected: LDBC Graphalytics NAME-PR (d and iterations from NAME.properties)
			want := readVertexValues(t, filepath.Join(dir, name+"-PR"))
			require.Len(t, want, len(g.ids))
			for _, workers := range []int{1, 3} {
				got, iters, err := PageRank(context.Background(), g.offsets, g.targets, PageRankOptions{
					Damping:    g.damping,
					Iterations: g.iterations,
					Undirected: !g.directed,
					Workers:    workers,
				})
				require.NoError(t, err)
				assert.Equal(t, g.iterations, iters)
				for i, id := range g.ids {
					w := want[id]
					assert.InDelta(t, w, got[i], 1e-4*math.Abs(w), "vertex %d (workers %d)", id, workers)
				}
			}
		})
	}
}

// TestPageRankGraphalyticsUndirectedAsDirected checks that an undirected
// graph given with both directions but without the Undirected hint (so the
// kernel transposes it) gives the same ranks.
func TestPageRankGraphalyticsUndirectedAsDirected(t *testing.T) {
	dir := filepath.Join(datasetsDir(t), "ldbc-graphalytics-validation")
	g := loadLDBC(t, dir, "test-pr-undirected")
	// expected: LDBC Graphalytics test-pr-undirected-PR (d=0.85, 26 iterations)
	want := readVertexValues(t, filepath.Join(dir, "test-pr-undirected-PR"))
	got, _, err := PageRank(context.Background(), g.offsets, g.targets, PageRankOptions{Damping: g.damping, Iterations: g.iterations})
	require.NoError(t, err)
	for i, id := range g.ids {
		assert.InDelta(t, want[id], got[i], 1e-4*want[id], "vertex %d", id)
	}
}

// TestPageRankConvergedMatlab compares the converged kernel on
// example-directed with MATLAB centrality(G,'pagerank'), which spreads sink
// rank evenly like Graphalytics; SOURCE.md: LAGraph compares with absolute
// tolerance 1e-4, and a converged iteration differs by at most 3.5e-5.
func TestPageRankConvergedMatlab(t *testing.T) {
	dir := filepath.Join(datasetsDir(t), "ldbc-graphalytics-validation")
	g := loadLDBC(t, dir, "example-directed")
	got, _, err := PageRank(context.Background(), g.offsets, g.targets, PageRankOptions{Tol: 1e-14})
	require.NoError(t, err)
	rows := readLines(t, filepath.Join(dir, "example-directed-PR-converged-matlab.csv"), "vertex")
	require.Len(t, rows, len(g.ids))
	for _, row := range rows {
		var id int64
		var want float64
		f := strings.Split(row[0], ",")
		require.Len(t, f, 2)
		id = mustParseInt(t, f[0])
		want = mustParseFloat(t, f[1])
		// expected: example-directed-PR-converged-matlab.csv (MATLAB via LAGraph test_PageRank.c)
		assert.InDelta(t, want, got[g.index(t, id)], 1e-4, "vertex %d", id)
	}
}

// TestPageRankKarate compares the converged kernel on Zachary's karate club
// (read through graph.SnapshotBuilder) with the published references:
// NetworkX pagerank(weight=None) within 1e-5 and MATLAB within 1e-4
// (karate-club/SOURCE.md gives both tolerances).
func TestPageRankKarate(t *testing.T) {
	s, refs := loadKarate(t)
	got, _, err := PageRank(context.Background(), s.Offsets, s.Targets, PageRankOptions{Undirected: true})
	require.NoError(t, err)
	var sum float64
	for _, r := range refs {
		i, ok := s.Index(graph.ID(r.mtxID))
		require.True(t, ok)
		// expected: karate_pagerank_reference.csv, networkx_pagerank_unweighted column
		assert.InDelta(t, r.networkx, got[i], 1e-5, "networkx, vertex %d", r.mtxID)
		// expected: karate_pagerank_reference.csv, matlab_pagerank column
		assert.InDelta(t, r.matlab, got[i], 1e-4, "matlab, vertex %d", r.mtxID)
		sum += got[i]
	}
	assert.InDelta(t, 1, sum, 1e-12)
}

// TestPageRankMatchesGonum compares the converged CSR kernel with gonum's
// network.PageRank and network.PageRankSparse, run on the same graphs
// through the csrGraph adapter. gonum, like Graphalytics, sends a dangling
// vertex's rank to every vertex (itself included) and teleports uniformly,
// so the fixed points agree, dangling vertices included.
func TestPageRankMatchesGonum(t *testing.T) {
	type tc struct {
		name             string
		offsets, targets []int32
		undirected       bool
	}
	var cases []tc
	dir := filepath.Join(datasetsDir(t), "ldbc-graphalytics-validation")
	for _, name := range ldbcPRGraphs {
		g := loadLDBC(t, dir, name)
		cases = append(cases, tc{name, g.offsets, g.targets, !g.directed})
	}
	karate, _ := loadKarate(t)
	cases = append(cases, tc{"karate", karate.Offsets, karate.Targets, true})
	rng := rand.New(rand.NewPCG(7, 11))
	for k, n := range []int{1, 2, 30, 120} {
		s := randomSnapshot(t, rng, n, 2*n, false)
		cases = append(cases, tc{"random-" + string(rune('a'+k)), s.Offsets, s.Targets, true})
	}
	// A directed graph with dangling vertices and a vertex nobody links to.
	cases = append(cases, tc{"directed-dangling", []int32{0, 2, 3, 3, 3, 4}, []int32{1, 2, 2, 0}, false})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := PageRank(context.Background(), c.offsets, c.targets, PageRankOptions{Undirected: c.undirected, Tol: 1e-15})
			require.NoError(t, err)
			var g csrGraph
			if c.undirected {
				g = csrGraph{out: c.offsets, outTargets: c.targets, in: c.offsets, inTargets: c.targets}
			} else {
				g = directedCSRGraph(c.offsets, c.targets)
			}
			// expected: gonum network.PageRank / PageRankSparse, d=0.85, 2-norm tol 1e-13
			for name, want := range map[string]map[int64]float64{
				"PageRank":       network.PageRank(g, 0.85, 1e-13),
				"PageRankSparse": network.PageRankSparse(g, 0.85, 1e-13),
			} {
				require.Len(t, want, len(got), name)
				for i, v := range got {
					assert.InDelta(t, want[int64(i)], v, 1e-9, "%s: vertex %d", name, i)
				}
			}
		})
	}
}

// TestPageRankOneIterationByHand checks one Graphalytics iteration on
// 0→1, 0→2, 1→2, 2 dangling (N = 3, d = 0.85) against the formula worked
// by hand: PR_0 = 1/3; dangling mass 1/3;
// PR_1(0) = 0.05 + 0.85/9                        = 0.1444…
// PR_1(1) = 0.05 + 0.85·(1/6) + 0.85/9           = 0.2861…
// PR_1(2) = 0.05 + 0.85·(1/6 + 1/3) + 0.85/9     = 0.5694…
func TestPageRankOneIterationByHand(t *testing.T) {
	got, iters, err := PageRank(context.Background(), []int32{0, 2, 3, 3}, []int32{1, 2, 2}, PageRankOptions{Iterations: 1})
	require.NoError(t, err)
	assert.Equal(t, 1, iters)
	// expected: hand computation above
	assert.InDelta(t, 0.05+0.85/9, got[0], 1e-15)
	assert.InDelta(t, 0.05+0.85/6+0.85/9, got[1], 1e-15)
	assert.InDelta(t, 0.05+0.85/2+0.85/9, got[2], 1e-15)
}

// TestPageRankWorkersDeterministic: the ranks are bit-for-bit the same
// whatever the number of workers (partial sums are taken per fixed block).
func TestPageRankWorkersDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	s := randomSnapshot(t, rng, 5000, 15000, false)
	ref, refIters, err := PageRank(context.Background(), s.Offsets, s.Targets, PageRankOptions{Undirected: true, Workers: 1})
	require.NoError(t, err)
	for _, w := range []int{2, 3, 7} {
		got, iters, err := PageRank(context.Background(), s.Offsets, s.Targets, PageRankOptions{Undirected: true, Workers: w})
		require.NoError(t, err)
		assert.Equal(t, refIters, iters, "workers %d", w)
		assert.Equal(t, ref, got, "workers %d", w)
	}
}

func TestPageRankErrors(t *testing.T) {
	ctx := context.Background()
	for name, c := range map[string]struct {
		offsets, targets []int32
		o                PageRankOptions
	}{
		"no offsets":        {nil, nil, PageRankOptions{}},
		"offsets not at 0":  {[]int32{1, 1}, []int32{0}, PageRankOptions{}},
		"decreasing":        {[]int32{0, 2, 1}, []int32{1, 0}, PageRankOptions{}},
		"short targets":     {[]int32{0, 1, 2}, []int32{1}, PageRankOptions{}},
		"target range":      {[]int32{0, 1, 1}, []int32{2}, PageRankOptions{}},
		"negative target":   {[]int32{0, 1, 1}, []int32{-1}, PageRankOptions{}},
		"damping 1":         {[]int32{0, 0}, nil, PageRankOptions{Damping: 1}},
		"negative iterates": {[]int32{0, 0}, nil, PageRankOptions{Iterations: -1}},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := PageRank(ctx, c.offsets, c.targets, c.o)
			assert.ErrorIs(t, err, graph.ErrInvalid)
		})
	}
	empty, _, err := PageRank(ctx, []int32{0}, nil, PageRankOptions{})
	require.NoError(t, err)
	assert.Empty(t, empty)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = PageRank(cctx, []int32{0, 1, 2}, []int32{1, 0}, PageRankOptions{})
	assert.ErrorIs(t, err, context.Canceled)
}

// TestCSRGraphAdapter checks the gonum view against the CSR it wraps.
func TestCSRGraphAdapter(t *testing.T) {
	// 0→1, 0→2, 2→0, 3 isolated.
	g := directedCSRGraph([]int32{0, 2, 2, 3, 3}, []int32{1, 2, 0})
	assert.Nil(t, g.Node(4))
	assert.Nil(t, g.Node(-1))
	assert.Equal(t, int64(3), g.Node(3).ID())
	nodes := g.Nodes()
	assert.Equal(t, 4, nodes.Len())
	var ids []int64
	for nodes.Next() {
		ids = append(ids, nodes.Node().ID())
	}
	assert.Equal(t, []int64{0, 1, 2, 3}, ids)
	assert.Equal(t, 0, nodes.Len())
	nodes.Reset()
	assert.Equal(t, 4, nodes.Len())

	from := g.From(0)
	assert.Equal(t, 2, from.Len())
	var out []int64
	for from.Next() {
		out = append(out, from.Node().ID())
	}
	assert.Equal(t, []int64{1, 2}, out)
	assert.Equal(t, 0, g.From(1).Len())
	assert.Equal(t, 0, g.From(9).Len())
	to := g.To(0)
	require.Equal(t, 1, to.Len())
	require.True(t, to.Next())
	assert.Equal(t, int64(2), to.Node().ID())

	assert.True(t, g.HasEdgeFromTo(0, 1))
	assert.False(t, g.HasEdgeFromTo(1, 0))
	assert.True(t, g.HasEdgeBetween(1, 0))
	assert.False(t, g.HasEdgeBetween(1, 2))
	assert.False(t, g.HasEdgeFromTo(0, 7))
	e := g.Edge(2, 0)
	require.NotNil(t, e)
	assert.Equal(t, int64(2), e.From().ID())
	assert.Equal(t, int64(0), e.To().ID())
	assert.Equal(t, int64(2), e.ReversedEdge().To().ID())
	assert.Nil(t, g.Edge(0, 3))

	// On a snapshot both directions are the friendship arrays themselves.
	s, _ := loadKarate(t)
	sg := snapshotGraph(s)
	assert.Equal(t, s.Degree(0), sg.From(0).Len())
	assert.Equal(t, s.Degree(33), sg.To(33).Len())
	assert.True(t, sg.HasEdgeFromTo(1, 0) && sg.HasEdgeFromTo(0, 1)) // karate 2–1
}

// pageRankRecurrence is the recurrence PageRank documents, written out
// plainly for an undirected CSR: three vectors (PR_{t−1}, PR_t, PR_{t+1}),
// 1/outdeg taken afresh at every use, one vertex after another, the
// dangling mass and the L1 change summed per block of blockSize vertices
// and then over blocks, Chebyshev weights when accelerated. It is what the
// kernel computes, without its in-place updates and buffers.
func pageRankRecurrence(offsets, targets []int32, d, tol float64, iterations int) ([]float64, int) {
	n := len(offsets) - 1
	deg := func(u int) int32 { return offsets[u+1] - offsets[u] }
	blockSums := func(f func(v int) float64) float64 {
		var total float64
		for blk := 0; blk < n; blk += blockSize {
			var s float64
			for v := blk; v < min(blk+blockSize, n); v++ {
				s += f(v)
			}
			total += s
		}
		return total
	}
	pr := make([]float64, n)
	isolated := 0
	for u := 0; u < n; u++ {
		if deg(u) == 0 {
			isolated++
		}
	}
	x0 := (1 - d) / (float64(n) - d*float64(isolated))
	cheb, maxIter := newChebyshev(d), DefaultPageRankMaxIterations
	if iterations > 0 {
		x0, cheb, maxIter = 1/float64(n), chebyshev{}, iterations
	}
	for u := range pr {
		pr[u] = x0
		if deg(u) > 0 && iterations == 0 {
			pr[u] = x0 / (1 - d)
		}
	}
	prev := make([]float64, n)
	for it := 1; it <= maxIter; it++ {
		dangling := blockSums(func(v int) float64 {
			if deg(v) == 0 {
				return pr[v]
			}
			return 0
		})
		base := (1-d)/float64(n) + d*dangling/float64(n)
		omega := cheb.next()
		next := make([]float64, n)
		for v := range next {
			var acc float64
			for _, u := range targets[offsets[v]:offsets[v+1]] {
				acc += pr[u] * (1 / float64(deg(int(u))))
			}
			x := base + d*acc
			if omega != 1 {
				x = prev[v] + omega*(x-prev[v])
			}
			next[v] = x
		}
		change := blockSums(func(v int) float64 { return math.Abs(next[v] - pr[v]) })
		prev, pr = pr, next
		if iterations == 0 && change < tol {
			return pr, it
		}
	}
	return pr, maxIter
}

// TestPageRankIsTheRecurrence: the kernel's ranks are bit for bit those
// of the recurrence written out plainly (pageRankRecurrence), accelerated
// to convergence and plain for a fixed number of iterations, whatever the
// number of workers, on a graph with isolated people.
func TestPageRankIsTheRecurrence(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	s := randomSnapshot(t, rng, 6000, 9000, false)
	isolated := 0
	for u := 0; u < s.Len(); u++ {
		if s.Offsets[u+1] == s.Offsets[u] {
			isolated++
		}
	}
	require.Positive(t, isolated, "the graph must have dangling vertices")
	for _, iterations := range []int{0, 7} {
		want, wantIters := pageRankRecurrence(s.Offsets, s.Targets, DefaultDamping, DefaultPageRankTol, iterations)
		for _, w := range []int{1, 2, 3} {
			got, iters, err := PageRank(context.Background(), s.Offsets, s.Targets, PageRankOptions{Undirected: true, Iterations: iterations, Workers: w})
			require.NoError(t, err)
			assert.Equal(t, wantIters, iters, "iterations %d, workers %d", iterations, w)
			for i := range want {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("iterations %d, workers %d: vertex %d: got %v, the recurrence gives %v", iterations, w, i, got[i], want[i])
				}
			}
		}
	}
}
