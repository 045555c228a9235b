// Package datasets finds and reads the reference datasets that the
// tests check the kernels against: LDBC Graphalytics validation graphs,
// Zachary's karate club and SNAP ego-Facebook (each folder's SOURCE.md
// says where its files and expected values come from).
//
// It is a test helper package: only _test.go files import it. Every
// function takes a testing.TB and fails the test on any error; a missing
// datasets folder fails the test too, never skips it, so that the
// reference checks cannot silently disappear.
//
// The folder is $SOCIALSCORE_DATASETS when set, otherwise the repository's
// own testdata folder (beside go.mod), found from the test's working
// directory at any depth, so a clone made anywhere has what its tests read.
//
// This package imports nothing from the module, so that package seed's
// own tests can use it; snapshot builders, which need package seed, are in
// the subpackage datagraph.
package datasets

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

// Env is the environment variable that overrides the datasets folder.
const Env = "SOCIALSCORE_DATASETS"

// The dataset folders inside Dir.
const (
	LDBCFolder     = "ldbc-graphalytics-validation"
	KarateFolder   = "karate-club"
	FacebookFolder = "snap-ego-facebook"
)

// Dir returns the reference datasets folder: $SOCIALSCORE_DATASETS, or
// testdata in the directory holding go.mod. A missing folder fails the
// test.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv(Env)
	if dir == "" {
		dir = filepath.Join(moduleRoot(tb), "testdata")
	}
	require.DirExists(tb, dir, "reference datasets folder missing (set %s)", Env)
	return dir
}

// moduleRoot walks up from the working directory (a test runs in its
// package folder) to the directory holding go.mod.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	require.NoError(tb, err)
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			require.FailNow(tb, "no go.mod above "+wd, "cannot find the reference datasets folder (set %s)", Env)
		}
		dir = parent
	}
}

// Path returns the path of elem inside Dir, for example
// Path(tb, FacebookFolder, "facebook_combined.txt").
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{Dir(tb)}, elem...)...)
}

// ReadFields returns the non-empty lines of a file that do not start with
// one of the comment prefixes, trimmed and split into fields.
func ReadFields(tb testing.TB, path string, comments ...string) [][]string {
	tb.Helper()
	f, err := os.Open(path)
	require.NoError(tb, err)
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
	require.NoError(tb, sc.Err())
	return out
}

// ReadProperties parses a Java .properties file: "key = value" lines,
// blank lines and # comments. Any other line fails the test.
func ReadProperties(tb testing.TB, path string) map[string]string {
	tb.Helper()
	data, err := os.ReadFile(path)
	require.NoError(tb, err)
	props := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		require.True(tb, ok, "%s: bad line %q", path, line)
		props[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return props
}

// ParseInt parses a decimal int64, failing the test on error.
func ParseInt(tb testing.TB, s string) int64 {
	tb.Helper()
	v, err := strconv.ParseInt(s, 10, 64)
	require.NoError(tb, err)
	return v
}

// ParseFloat parses a float64, failing the test on error.
func ParseFloat(tb testing.TB, s string) float64 {
	tb.Helper()
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(tb, err)
	return v
}

// ReadVertexValues reads a file of "vertex value" lines (a Graphalytics
// output file such as NAME-PR) into a map.
func ReadVertexValues(tb testing.TB, path string) map[int64]float64 {
	tb.Helper()
	out := map[int64]float64{}
	for _, f := range ReadFields(tb, path) {
		require.Len(tb, f, 2, "%s: want 'vertex value'", path)
		out[ParseInt(tb, f[0])] = ParseFloat(tb, f[1])
	}
	return out
}

// ReadExpected reads a file of "vertex value" lines with one line per
// vertex of ids (ascending), and returns the values as written, by vertex
// index.
func ReadExpected(tb testing.TB, path string, ids []int64) []string {
	tb.Helper()
	rows := ReadFields(tb, path)
	require.Len(tb, rows, len(ids), "%s: one line per vertex", filepath.Base(path))
	out := make([]string, len(ids))
	for _, f := range rows {
		require.GreaterOrEqual(tb, len(f), 2, "%s: want 'vertex value'", path)
		id := ParseInt(tb, f[0])
		i, ok := slices.BinarySearch(ids, id)
		require.True(tb, ok, "%s: vertex %d not in the vertex file", path, id)
		out[i] = f[1]
	}
	return out
}

// CSR builds the compressed sparse rows of edges (index pairs) over n
// vertices: the out-neighbours of each vertex, ascending, an edge listed
// in both directions when undirected. Duplicates are kept.
func CSR(n int, edges [][2]int32, undirected bool) (offsets, targets []int32) {
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

// KarateVertices is the number of people of Zachary's karate club.
const KarateVertices = 34

// KarateEdges reads Zachary's karate club (karate.mtx: MatrixMarket,
// symmetric pattern, lower triangle) and returns its 78 edges as "row col"
// pairs of 1-based ids, as in the file.
func KarateEdges(tb testing.TB) [][2]int32 {
	tb.Helper()
	rows := ReadFields(tb, Path(tb, KarateFolder, "karate.mtx"), "%")
	require.Equal(tb, []string{"34", "34", "78"}, rows[0], "karate.mtx size line")
	edges := make([][2]int32, 0, len(rows)-1)
	for _, f := range rows[1:] {
		require.Len(tb, f, 2, "karate.mtx: want 'row col'")
		i, err := strconv.ParseInt(f[0], 10, 32)
		require.NoError(tb, err)
		j, err := strconv.ParseInt(f[1], 10, 32)
		require.NoError(tb, err)
		edges = append(edges, [2]int32{int32(i), int32(j)})
	}
	return edges
}
