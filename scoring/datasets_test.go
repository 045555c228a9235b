package scoring

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// datasetsDir returns the shared reference data folder: $SOCIALSCORE_DATASETS,
// or ../../shared/datasets (the repo is checked out beside shared/, and
// tests run in the package folder). A missing folder fails the test: the
// reference checks must not silently disappear.
func datasetsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SOCIALSCORE_DATASETS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "datasets")
	}
	require.DirExists(t, dir, "reference datasets folder missing (set SOCIALSCORE_DATASETS)")
	return dir
}

// ldbcGraph is an LDBC Graphalytics validation graph in CSR form.
type ldbcGraph struct {
	name       string
	directed   bool
	damping    float64 // pr.damping-factor
	iterations int     // pr.num-iterations
	ids        []int64 // index -> vertex id, ascending
	offsets    []int32 // out-neighbours (both directions when undirected)
	targets    []int32
}

func (g ldbcGraph) index(t testing.TB, id int64) int32 {
	t.Helper()
	i, ok := slices.BinarySearch(g.ids, id)
	require.True(t, ok, "%s: vertex %d not in the vertex file", g.name, id)
	return int32(i)
}

// readLines returns the non-empty lines of a file that do not start with
// any of the comment prefixes, split into fields.
func readLines(t testing.TB, path string, comments ...string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || slices.ContainsFunc(comments, func(c string) bool { return strings.HasPrefix(line, c) }) {
			continue
		}
		out = append(out, strings.Fields(line))
	}
	require.NoError(t, sc.Err())
	return out
}

// readProperties parses a Java .properties file (key = value lines).
func readProperties(t testing.TB, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	props := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		require.True(t, ok, "%s: bad line %q", path, line)
		props[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return props
}

// loadLDBC reads NAME.properties, NAME.v and NAME.e (EVLP format, see the
// folder's SOURCE.md) and builds the out-neighbour CSR, neighbour lists
// ascending; an undirected edge is listed in both directions.
func loadLDBC(t testing.TB, dir, name string) ldbcGraph {
	t.Helper()
	props := readProperties(t, filepath.Join(dir, name+".properties"))
	prop := func(key string) string {
		v, ok := props["graph."+name+"."+key]
		require.True(t, ok, "%s.properties: no %s", name, key)
		return v
	}
	g := ldbcGraph{name: name}
	var err error
	g.directed, err = strconv.ParseBool(prop("directed"))
	require.NoError(t, err)
	g.damping, err = strconv.ParseFloat(prop("pr.damping-factor"), 64)
	require.NoError(t, err)
	g.iterations, err = strconv.Atoi(prop("pr.num-iterations"))
	require.NoError(t, err)

	for _, f := range readLines(t, filepath.Join(dir, name+".v")) {
		id, err := strconv.ParseInt(f[0], 10, 64)
		require.NoError(t, err)
		g.ids = append(g.ids, id)
	}
	require.True(t, slices.IsSorted(g.ids), "%s.v: ids not ascending", name)
	nv, err := strconv.Atoi(prop("meta.vertices"))
	require.NoError(t, err)
	require.Len(t, g.ids, nv, "%s: vertex count differs from meta.vertices", name)

	n := len(g.ids)
	adj := make([][]int32, n)
	edges := readLines(t, filepath.Join(dir, name+".e"))
	ne, err := strconv.Atoi(prop("meta.edges"))
	require.NoError(t, err)
	require.Len(t, edges, ne, "%s: edge count differs from meta.edges", name)
	for _, f := range edges {
		require.GreaterOrEqual(t, len(f), 2)
		a, err := strconv.ParseInt(f[0], 10, 64)
		require.NoError(t, err)
		b, err := strconv.ParseInt(f[1], 10, 64)
		require.NoError(t, err)
		u, v := g.index(t, a), g.index(t, b)
		adj[u] = append(adj[u], v)
		if !g.directed {
			adj[v] = append(adj[v], u)
		}
	}
	g.offsets = make([]int32, n+1)
	for u, row := range adj {
		slices.Sort(row)
		g.offsets[u+1] = g.offsets[u] + int32(len(row))
		g.targets = append(g.targets, row...)
	}
	return g
}

// readVertexValues reads "id value" lines (a Graphalytics output file).
func readVertexValues(t testing.TB, path string) map[int64]float64 {
	t.Helper()
	out := map[int64]float64{}
	for _, f := range readLines(t, path) {
		require.Len(t, f, 2, "%s: want 'vertex value'", path)
		id, err := strconv.ParseInt(f[0], 10, 64)
		require.NoError(t, err)
		v, err := strconv.ParseFloat(f[1], 64)
		require.NoError(t, err)
		out[id] = v
	}
	return out
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
	dir := filepath.Join(datasetsDir(t), "karate-club")
	lines := readLines(t, filepath.Join(dir, "karate.mtx"), "%")
	require.Equal(t, []string{"34", "34", "78"}, lines[0], "karate.mtx size line")
	var b graph.SnapshotBuilder
	for id := graph.ID(1); id <= 34; id++ {
		b.AddPerson(graph.Person{ID: id, Consent: true, Record: graph.NeutralRecord()})
	}
	for _, f := range lines[1:] {
		i, err := strconv.ParseInt(f[0], 10, 64)
		require.NoError(t, err)
		j, err := strconv.ParseInt(f[1], 10, 64)
		require.NoError(t, err)
		b.AddTie(graph.Tie{Kind: graph.Friend, From: graph.ID(i), To: graph.ID(j)})
	}
	s, err := b.Build(time.Time{})
	require.NoError(t, err)
	require.Equal(t, 78, s.Friendships())

	rows := readLines(t, filepath.Join(dir, "karate_pagerank_reference.csv"), "mtx_id")
	refs := make([]karateRef, 0, len(rows))
	for _, row := range rows {
		f := strings.Split(row[0], ",")
		require.Len(t, f, 4)
		var r karateRef
		var err error
		r.mtxID, err = strconv.ParseInt(f[0], 10, 64)
		require.NoError(t, err)
		r.matlab, err = strconv.ParseFloat(f[2], 64)
		require.NoError(t, err)
		r.networkx, err = strconv.ParseFloat(f[3], 64)
		require.NoError(t, err)
		refs = append(refs, r)
	}
	require.Len(t, refs, 34)
	return s, refs
}
