package community

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
	"github.com/socialscore/socialscore/seed"
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
// one of the comment prefixes, split into fields.
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

func readProperties(t testing.TB, path string) map[string]string {
	t.Helper()
	props := map[string]string{}
	for _, f := range readFields(t, path, "#") {
		line := strings.Join(f, " ")
		k, v, ok := strings.Cut(line, "=")
		if ok {
			props[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return props
}

func atoi(t testing.TB, s string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err)
	return v
}

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

// ldbc loads the Graphalytics validation graph NAME (.v, .e, .properties).
func ldbc(t testing.TB, name string) (csrGraph, map[string]string) {
	t.Helper()
	dir := filepath.Join(datasetsDir(t), "ldbc-graphalytics-validation")
	props := readProperties(t, filepath.Join(dir, name+".properties"))
	g := csrGraph{directed: props["graph."+name+".directed"] == "true"}
	for _, f := range readFields(t, filepath.Join(dir, name+".v")) {
		g.ids = append(g.ids, atoi(t, f[0]))
	}
	require.True(t, slices.IsSorted(g.ids))
	idx := func(id int64) int32 {
		i, ok := slices.BinarySearch(g.ids, id)
		require.True(t, ok, "%s: vertex %d not in the vertex file", name, id)
		return int32(i)
	}
	var edges [][2]int32
	for _, f := range readFields(t, filepath.Join(dir, name+".e")) {
		edges = append(edges, [2]int32{idx(atoi(t, f[0])), idx(atoi(t, f[1]))})
	}
	g.offsets, g.targets = buildCSR(len(g.ids), edges, !g.directed)
	return g, props
}

// karate loads Zachary's karate club (karate.mtx, 34 vertices, 78 edges),
// vertex i = mtx id i+1.
func karate(t testing.TB) csrGraph {
	t.Helper()
	rows := readFields(t, filepath.Join(datasetsDir(t), "karate-club", "karate.mtx"), "%")
	require.Equal(t, []string{"34", "34", "78"}, rows[0])
	var edges [][2]int32
	for _, r := range rows[1:] {
		edges = append(edges, [2]int32{int32(atoi(t, r[0]) - 1), int32(atoi(t, r[1]) - 1)})
	}
	g := csrGraph{}
	for i := range 34 {
		g.ids = append(g.ids, int64(i+1))
	}
	g.offsets, g.targets = buildCSR(34, edges, true)
	return g
}

// snapshotOf generates a seeded network of n people (mean degree 10, so
// 5n friendships) as a snapshot.
func snapshotOf(t testing.TB, n int, seedVal uint64) *graph.Snapshot {
	t.Helper()
	batch, err := seed.Generate(seed.Config{People: n, Seed: seedVal})
	require.NoError(t, err)
	var b graph.SnapshotBuilder
	for _, p := range batch.People {
		b.AddPerson(p)
	}
	for _, tie := range batch.Ties {
		b.AddTie(tie)
	}
	s, err := b.Build(time.Time{})
	require.NoError(t, err)
	return s
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
