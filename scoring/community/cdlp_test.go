package community

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCDLPGraphalytics checks CDLP against every CDLP validation graph of
// LDBC Graphalytics, which must match exactly.
// expected: ldbc-graphalytics-validation/NAME-CDLP, iterations from
// NAME.properties (cdlp.max-iterations).
func TestCDLPGraphalytics(t *testing.T) {
	for _, name := range []string{"example-directed", "example-undirected", "test-cdlp-directed", "test-cdlp-undirected"} {
		t.Run(name, func(t *testing.T) {
			g, props := ldbc(t, name)
			iters, err := strconv.Atoi(props["graph."+name+".cdlp.max-iterations"])
			require.NoError(t, err)
			off, tgt := g.offsets, g.targets
			if g.directed {
				off, tgt = Bidirect(off, tgt)
			}
			got := CDLP(off, tgt, g.ids, iters)

			rows := readFields(t, filepath.Join(datasetsDir(t), "ldbc-graphalytics-validation", name+"-CDLP"))
			require.Len(t, rows, len(g.ids))
			for _, r := range rows {
				id, want := atoi(t, r[0]), atoi(t, r[1])
				i := indexOf(g.ids, id)
				assert.Equal(t, want, got[i], "vertex %d", id)
			}
		})
	}
}

func indexOf(ids []int64, id int64) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	panic("no such id")
}

func TestCDLPRules(t *testing.T) {
	// A star: the centre sees four distinct labels and takes the smallest;
	// the leaves all see the centre's label.
	off, tgt := buildCSR(5, [][2]int32{{0, 1}, {0, 2}, {0, 3}, {0, 4}}, true)
	labels := []int64{50, 40, 30, 20, 10}
	got := CDLP(off, tgt, labels, 1)
	assert.Equal(t, []int64{10, 50, 50, 50, 50}, got)
	assert.Equal(t, []int64{50, 40, 30, 20, 10}, labels, "labels0 unchanged")
	// Synchronous: a pair swaps labels every iteration.
	off, tgt = buildCSR(2, [][2]int32{{0, 1}}, true)
	assert.Equal(t, []int64{2, 1}, CDLP(off, tgt, []int64{1, 2}, 1))
	assert.Equal(t, []int64{1, 2}, CDLP(off, tgt, []int64{1, 2}, 2))
	// Isolated vertices keep their label; zero iterations change nothing.
	off, tgt = buildCSR(3, nil, true)
	assert.Equal(t, []int64{7, 8, 9}, CDLP(off, tgt, []int64{7, 8, 9}, 3))
	off, tgt = buildCSR(2, [][2]int32{{0, 1}}, true)
	assert.Equal(t, []int64{1, 2}, CDLP(off, tgt, []int64{1, 2}, 0))
	// Empty graph.
	assert.Empty(t, CDLP([]int32{0}, nil, nil, 5))
	// The most frequent label beats a smaller one.
	off, tgt = buildCSR(4, [][2]int32{{0, 1}, {0, 2}, {0, 3}}, true)
	assert.Equal(t, int64(9), CDLP(off, tgt, []int64{100, 1, 9, 9}, 1)[0])
}

// TestCDLPWorkers: the result does not depend on parallelism.
func TestCDLPWorkers(t *testing.T) {
	g := synthetic(t, 20000, 3)
	labels := make([]int64, len(g.offsets)-1)
	for i := range labels {
		labels[i] = int64(i + 1)
	}
	one, err := CDLPContext(context.Background(), g.offsets, g.targets, labels, 5, 1)
	require.NoError(t, err)
	many, err := CDLPContext(context.Background(), g.offsets, g.targets, labels, 5, 7)
	require.NoError(t, err)
	assert.Equal(t, one, many)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = CDLPContext(ctx, g.offsets, g.targets, labels, 5, 2)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestBidirect(t *testing.T) {
	// 0→1, 1→0, 0→2: 0's multiset is {1, 2, 1}, 1's {0, 0}, 2's {0}.
	off, tgt := buildCSR(3, [][2]int32{{0, 1}, {1, 0}, {0, 2}}, false)
	bo, bt := Bidirect(off, tgt)
	assert.Equal(t, []int32{0, 3, 5, 6}, bo)
	assert.ElementsMatch(t, []int32{1, 2, 1}, bt[0:3])
	assert.Equal(t, []int32{0, 0}, bt[3:5])
	assert.Equal(t, []int32{0}, bt[5:6])
}
