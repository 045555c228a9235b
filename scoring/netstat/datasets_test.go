package netstat_test

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// datasetsDir returns the shared reference data folder: $SOCIALSCORE_DATASETS,
// or ../../../shared/datasets (the repo is checked out beside shared/, and
// tests run in the package folder). A missing folder fails the test: the
// reference checks must not silently disappear.
func datasetsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SOCIALSCORE_DATASETS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "datasets")
	}
	require.DirExists(t, dir, "reference datasets folder missing (set SOCIALSCORE_DATASETS)")
	return dir
}

// readFields returns the non-empty lines of a file that do not start with
// any of the comment prefixes, split into fields.
func readFields(t testing.TB, path string, comments ...string) [][]string {
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

// csrGraph is a test graph: vertex ids (ascending) and a CSR over their
// indices.
type csrGraph struct {
	ids              []int64
	offsets, targets []int32
}

func (g csrGraph) index(t testing.TB, id int64) int32 {
	t.Helper()
	i, ok := slices.BinarySearch(g.ids, id)
	require.True(t, ok, "vertex %d not in the vertex file", id)
	return int32(i)
}

// buildCSR makes a CSR over n vertices from edges (both directions when
// undirected), neighbour lists ascending.
func buildCSR(n int, edges [][2]int32, undirected bool) (offsets, targets []int32) {
	adj := make([][]int32, n)
	for _, e := range edges {
		adj[e[0]] = append(adj[e[0]], e[1])
		if undirected {
			adj[e[1]] = append(adj[e[1]], e[0])
		}
	}
	offsets = make([]int32, n+1)
	for v, row := range adj {
		slices.Sort(row)
		offsets[v+1] = offsets[v] + int32(len(row))
		targets = append(targets, row...)
	}
	return offsets, targets
}

// loadLDBC reads the EVLP graph name (.v and .e files) of the LDBC
// Graphalytics validation set.
func loadLDBC(t testing.TB, name string, undirected bool) csrGraph {
	t.Helper()
	dir := filepath.Join(datasetsDir(t), "ldbc-graphalytics-validation")
	var g csrGraph
	for _, f := range readFields(t, filepath.Join(dir, name+".v")) {
		id, err := strconv.ParseInt(f[0], 10, 64)
		require.NoError(t, err)
		g.ids = append(g.ids, id)
	}
	require.True(t, slices.IsSorted(g.ids))
	var edges [][2]int32
	for _, f := range readFields(t, filepath.Join(dir, name+".e")) {
		a, err := strconv.ParseInt(f[0], 10, 64)
		require.NoError(t, err)
		b, err := strconv.ParseInt(f[1], 10, 64)
		require.NoError(t, err)
		edges = append(edges, [2]int32{g.index(t, a), g.index(t, b)})
	}
	g.offsets, g.targets = buildCSR(len(g.ids), edges, undirected)
	return g
}

// loadExpected reads an LDBC expected-output file: "vertex value" lines,
// returned by vertex index.
func loadExpected(t testing.TB, g csrGraph, name string) []string {
	t.Helper()
	path := filepath.Join(datasetsDir(t), "ldbc-graphalytics-validation", name)
	rows := readFields(t, path)
	require.Len(t, rows, len(g.ids), "%s: one line per vertex", name)
	out := make([]string, len(g.ids))
	for _, f := range rows {
		id, err := strconv.ParseInt(f[0], 10, 64)
		require.NoError(t, err)
		out[g.index(t, id)] = f[1]
	}
	return out
}

// loadKarate reads Zachary's karate club (MatrixMarket, 1-based, lower
// triangle) as a symmetric CSR over vertices 0..33 (nx_id = mtx_id − 1).
func loadKarate(t testing.TB) (offsets, targets []int32) {
	t.Helper()
	rows := readFields(t, filepath.Join(datasetsDir(t), "karate-club", "karate.mtx"), "%")
	require.Equal(t, []string{"34", "34", "78"}, rows[0])
	var edges [][2]int32
	for _, f := range rows[1:] {
		a, err := strconv.Atoi(f[0])
		require.NoError(t, err)
		b, err := strconv.Atoi(f[1])
		require.NoError(t, err)
		edges = append(edges, [2]int32{int32(a - 1), int32(b - 1)})
	}
	return buildCSR(34, edges, true)
}
