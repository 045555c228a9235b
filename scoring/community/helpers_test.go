package community

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/datasets"
	"github.com/socialscore/socialscore/internal/datasets/datagraph"
	"github.com/socialscore/socialscore/seed"
)

// The shared reference data helpers (see package internal/datasets) under
// the names this package's tests use.
var (
	datasetsDir = datasets.Dir
	readFields  = datasets.ReadFields
	atoi        = datasets.ParseInt
)

// csrGraph is a graph in CSR form over vertices 0..n-1 with their ids.
type csrGraph struct {
	ids      []int64
	offsets  []int32
	targets  []int32
	directed bool
}

// buildCSR returns the CSR of the edges (index pairs), in both directions
// when undirected, neighbours in edge order.
func buildCSR(n int, edges [][2]int32, undirected bool) ([]int32, []int32) {
	off := make([]int32, n+1)
	for _, e := range edges {
		off[e[0]+1]++
		if undirected {
			off[e[1]+1]++
		}
	}
	for i := 1; i <= n; i++ {
		off[i] += off[i-1]
	}
	next := slices.Clone(off[:n])
	tgt := make([]int32, off[n])
	for _, e := range edges {
		tgt[next[e[0]]] = e[1]
		next[e[0]]++
		if undirected {
			tgt[next[e[1]]] = e[0]
			next[e[1]]++
		}
	}
	return off, tgt
}

// ldbc loads the Graphalytics validation graph NAME (.v, .e, .properties),
// neighbours in edge order.
func ldbc(t testing.TB, name string) (csrGraph, map[string]string) {
	t.Helper()
	l := datasets.LoadLDBC(t, name)
	g := csrGraph{ids: l.IDs, directed: l.Directed}
	g.offsets, g.targets = buildCSR(len(l.IDs), l.Edges, !l.Directed)
	return g, l.Props
}

// karate loads Zachary's karate club (karate.mtx, 34 vertices, 78 edges),
// vertex i = mtx id i+1.
func karate(t testing.TB) csrGraph {
	t.Helper()
	var edges [][2]int32
	for _, e := range datasets.KarateEdges(t) {
		edges = append(edges, [2]int32{e[0] - 1, e[1] - 1})
	}
	g := csrGraph{}
	for i := range datasets.KarateVertices {
		g.ids = append(g.ids, int64(i+1))
	}
	g.offsets, g.targets = buildCSR(datasets.KarateVertices, edges, true)
	return g
}

// snapshotOf generates a seeded network of n people (mean degree 10, so
// 5n friendships) as a snapshot.
func snapshotOf(t testing.TB, n int, seedVal uint64) *graph.Snapshot {
	t.Helper()
	batch, err := seed.Generate(seed.Config{People: n, Seed: seedVal})
	require.NoError(t, err)
	return datagraph.Snapshot(t, batch)
}

// synthetic is snapshotOf's friendship CSR.
func synthetic(t testing.TB, n int, seedVal uint64) csrGraph {
	t.Helper()
	s := snapshotOf(t, n, seedVal)
	g := csrGraph{offsets: s.Offsets, targets: s.Targets}
	for _, id := range s.IDs {
		g.ids = append(g.ids, int64(id))
	}
	return g
}
