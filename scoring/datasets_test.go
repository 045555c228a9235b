package scoring

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/datasets"
	"github.com/socialscore/socialscore/internal/datasets/datagraph"
)

// The shared reference data helpers (see package internal/datasets) under
// the names this package's tests use.
var (
	datasetsDir      = datasets.Dir
	readLines        = datasets.ReadFields
	readVertexValues = datasets.ReadVertexValues
)

// ldbcGraph is an LDBC Graphalytics validation graph in CSR form.
type ldbcGraph struct {
	ldbc       *datasets.LDBC
	directed   bool
	damping    float64 // pr.damping-factor
	iterations int     // pr.num-iterations
	ids        []int64 // index -> vertex id, ascending
	offsets    []int32 // out-neighbours (both directions when undirected)
	targets    []int32
}

func (g ldbcGraph) index(t testing.TB, id int64) int32 {
	t.Helper()
	return g.ldbc.Index(t, id)
}

// loadLDBC reads NAME.properties, NAME.v and NAME.e from dir (EVLP format,
// see the folder's SOURCE.md) and builds the out-neighbour CSR, neighbour
// lists ascending; an undirected edge is listed in both directions.
func loadLDBC(t testing.TB, dir, name string) ldbcGraph {
	t.Helper()
	l := datasets.ReadLDBC(t, dir, name)
	g := ldbcGraph{ldbc: l, directed: l.Directed, ids: l.IDs}
	g.damping = l.FloatProp(t, "pr.damping-factor")
	g.iterations = l.IntProp(t, "pr.num-iterations")
	g.offsets, g.targets = l.CSR()
	return g
}

// karateRef is one row of karate_pagerank_reference.csv.
type karateRef struct {
	mtxID            int64
	matlab, networkx float64
}

// loadKarate reads karate.mtx (1-based, lower triangle, symmetric pattern)
// into a graph.Snapshot of people 1..34 with neutral records, built by the
// production graph.SnapshotBuilder, and the reference PageRank values.
func loadKarate(t testing.TB) (*graph.Snapshot, []karateRef) {
	t.Helper()
	var b graph.Batch
	for id := graph.ID(1); id <= datasets.KarateVertices; id++ {
		b.People = append(b.People, graph.Person{ID: id, Consent: true, Record: graph.NeutralRecord()})
	}
	for _, e := range datasets.KarateEdges(t) {
		b.Ties = append(b.Ties, graph.Tie{Kind: graph.Friend, From: graph.ID(e[0]), To: graph.ID(e[1])})
	}
	s := datagraph.Snapshot(t, b)
	require.Equal(t, 78, s.Friendships())

	rows := readLines(t, datasets.Path(t, datasets.KarateFolder, "karate_pagerank_reference.csv"), "mtx_id")
	refs := make([]karateRef, 0, len(rows))
	for _, row := range rows {
		f := strings.Split(row[0], ",")
		require.Len(t, f, 4)
		refs = append(refs, karateRef{
			mtxID:    mustParseInt(t, f[0]),
			matlab:   mustParseFloat(t, f[2]),
			networkx: mustParseFloat(t, f[3]),
		})
	}
	require.Len(t, refs, 34)
	return s, refs
}
