package datasets

import (
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// LDBC is an LDBC Graphalytics validation graph as read from its files
// NAME.properties, NAME.v and NAME.e (EVLP format, see the folder's
// SOURCE.md).
type LDBC struct {
	Name     string
	Dir      string            // the folder holding the files
	Directed bool              // graph.NAME.directed
	Props    map[string]string // NAME.properties, keys in full ("graph.NAME.…")
	IDs      []int64           // vertex index -> id, ascending
	Edges    [][2]int32        // vertex index pairs, in file order (weights dropped)
}

// LoadLDBC reads the validation graph name from the LDBC folder of Dir.
func LoadLDBC(tb testing.TB, name string) *LDBC {
	tb.Helper()
	return ReadLDBC(tb, Path(tb, LDBCFolder), name)
}

// ReadLDBC reads the validation graph name from dir. The vertex ids must
// be ascending, every edge end a vertex, and the counts those of
// meta.vertices and meta.edges.
func ReadLDBC(tb testing.TB, dir, name string) *LDBC {
	tb.Helper()
	g := &LDBC{Name: name, Dir: dir, Props: ReadProperties(tb, filepath.Join(dir, name+".properties"))}
	var err error
	g.Directed, err = strconv.ParseBool(g.Prop(tb, "directed"))
	require.NoError(tb, err)

	for _, f := range ReadFields(tb, filepath.Join(dir, name+".v")) {
		g.IDs = append(g.IDs, ParseInt(tb, f[0]))
	}
	require.True(tb, slices.IsSorted(g.IDs), "%s.v: ids not ascending", name)
	require.Len(tb, g.IDs, g.IntProp(tb, "meta.vertices"), "%s: vertex count differs from meta.vertices", name)

	edges := ReadFields(tb, filepath.Join(dir, name+".e"))
	require.Len(tb, edges, g.IntProp(tb, "meta.edges"), "%s: edge count differs from meta.edges", name)
	g.Edges = make([][2]int32, 0, len(edges))
	for _, f := range edges {
		require.GreaterOrEqual(tb, len(f), 2, "%s.e: want 'source target'", name)
		g.Edges = append(g.Edges, [2]int32{g.Index(tb, ParseInt(tb, f[0])), g.Index(tb, ParseInt(tb, f[1]))})
	}
	return g
}

// Index returns the vertex index of id.
func (g *LDBC) Index(tb testing.TB, id int64) int32 {
	tb.Helper()
	i, ok := slices.BinarySearch(g.IDs, id)
	require.True(tb, ok, "%s: vertex %d not in the vertex file", g.Name, id)
	return int32(i)
}

// Prop returns the property graph.NAME.key, which must be there.
func (g *LDBC) Prop(tb testing.TB, key string) string {
	tb.Helper()
	v, ok := g.Props["graph."+g.Name+"."+key]
	require.True(tb, ok, "%s.properties: no %s", g.Name, key)
	return v
}

// IntProp returns the integer property graph.NAME.key.
func (g *LDBC) IntProp(tb testing.TB, key string) int {
	tb.Helper()
	v, err := strconv.Atoi(g.Prop(tb, key))
	require.NoError(tb, err)
	return v
}

// FloatProp returns the real property graph.NAME.key.
func (g *LDBC) FloatProp(tb testing.TB, key string) float64 {
	tb.Helper()
	return ParseFloat(tb, g.Prop(tb, key))
}

// CSR returns the out-neighbour CSR of the graph (see CSR): an undirected
// edge is listed in both directions.
func (g *LDBC) CSR() (offsets, targets []int32) {
	return CSR(len(g.IDs), g.Edges, !g.Directed)
}

// Expected reads the expected output NAME-ALGORITHM of the graph (for
// example algorithm "WCC"), one value per vertex, by vertex index.
func (g *LDBC) Expected(tb testing.TB, algorithm string) []string {
	tb.Helper()
	return ReadExpected(tb, filepath.Join(g.Dir, g.Name+"-"+algorithm), g.IDs)
}
