package netstat_test

import (
	"testing"

	"github.com/socialscore/socialscore/internal/datasets"
)

// buildCSR makes a CSR over n vertices from edges (both directions when
// undirected), neighbour lists ascending.
var buildCSR = datasets.CSR

// csrGraph is a test graph: vertex ids (ascending) and a CSR over their
// indices.
type csrGraph struct {
	ids              []int64
	offsets, targets []int32
}

// loadLDBC reads the EVLP graph name (.v and .e files) of the LDBC
// Graphalytics validation set.
func loadLDBC(t testing.TB, name string, undirected bool) csrGraph {
	t.Helper()
	l := datasets.LoadLDBC(t, name)
	g := csrGraph{ids: l.IDs}
	g.offsets, g.targets = buildCSR(len(l.IDs), l.Edges, undirected)
	return g
}

// loadExpected reads an LDBC expected-output file: "vertex value" lines,
// returned by vertex index.
func loadExpected(t testing.TB, g csrGraph, name string) []string {
	t.Helper()
	return datasets.ReadExpected(t, datasets.Path(t, datasets.LDBCFolder, name), g.ids)
}

// loadKarate reads Zachary's karate club (MatrixMarket, 1-based, lower
// triangle) as a symmetric CSR over vertices 0..33 (nx_id = mtx_id − 1).
func loadKarate(t testing.TB) (offsets, targets []int32) {
	t.Helper()
	var edges [][2]int32
	for _, e := range datasets.KarateEdges(t) {
		edges = append(edges, [2]int32{e[0] - 1, e[1] - 1})
	}
	return buildCSR(datasets.KarateVertices, edges, true)
}
