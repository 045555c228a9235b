package netstat_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"

	"github.com/socialscore/socialscore/scoring/netstat"
)

// samePartition reports whether two labelings induce the same partition
// (the Graphalytics WCC "equivalence match").
func samePartition(t *testing.T, got []int32, want []string) {
	t.Helper()
	require.Len(t, got, len(want))
	fwd := map[int32]string{}
	back := map[string]int32{}
	for i := range got {
		if w, ok := fwd[got[i]]; ok {
			assert.Equal(t, w, want[i], "vertex index %d", i)
		} else {
			fwd[got[i]] = want[i]
		}
		if g, ok := back[want[i]]; ok {
			assert.Equal(t, g, got[i], "vertex index %d", i)
		} else {
			back[want[i]] = got[i]
		}
	}
}

func TestComponentsLDBC(t *testing.T) {
	for _, tc := range []struct {
		name       string
		undirected bool
	}{
		{"test-wcc-undirected", true},
		{"example-undirected", true},
		// WCC of a directed graph: Components treats entries as undirected.
		{"test-wcc-directed", false},
		{"example-directed", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := loadLDBC(t, tc.name, tc.undirected)
			// expected: LDBC Graphalytics <name>-WCC
			want := loadExpected(t, g, tc.name+"-WCC")
			label, count, largest := netstat.Components(g.offsets, g.targets)
			samePartition(t, label, want)
			sizes := map[string]int{}
			for _, w := range want {
				sizes[w]++
			}
			assert.Equal(t, len(sizes), count)
			wantLargest := 0
			for _, s := range sizes {
				wantLargest = max(wantLargest, s)
			}
			assert.Equal(t, wantLargest, largest)
			for v, l := range label {
				assert.LessOrEqual(t, l, int32(v), "label is the smallest index of the component")
				assert.Equal(t, l, label[l], "the label vertex is in its own component")
			}
		})
	}
}

func TestComponentsSmall(t *testing.T) {
	// 0–1–2, 3 alone, 4–5, 6 with only a self-loop, 7–8 with a repeated entry.
	off, tg := buildCSRFromAdj([][]int32{{1}, {0, 2}, {1}, {}, {5}, {4}, {6}, {8, 8}, {7, 7}})
	label, count, largest := netstat.Components(off, tg)
	assert.Equal(t, []int32{0, 0, 0, 3, 4, 4, 6, 7, 7}, label)
	assert.Equal(t, 5, count)
	assert.Equal(t, 3, largest)

	label, count, largest = netstat.Components([]int32{0}, nil)
	assert.Empty(t, label)
	assert.Zero(t, count)
	assert.Zero(t, largest)
}

// Union–find must agree with a plain BFS on random graphs, where unions
// happen in every order.
func TestComponentsRandomAgainstBFS(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 50; trial++ {
		n := 1 + rng.IntN(200)
		var edges [][2]int32
		for k := rng.IntN(n * 2); k > 0; k-- {
			edges = append(edges, [2]int32{int32(rng.IntN(n)), int32(rng.IntN(n))})
		}
		off, tg := buildCSR(n, edges, true)
		label, count, largest := netstat.Components(off, tg)
		want := make([]int32, n)
		for i := range want {
			want[i] = -1
		}
		wantCount, wantLargest := 0, 0
		for s := 0; s < n; s++ {
			if want[s] >= 0 {
				continue
			}
			wantCount++
			queue := []int32{int32(s)}
			want[s] = int32(s)
			for h := 0; h < len(queue); h++ {
				for _, v := range tg[off[queue[h]]:off[queue[h]+1]] {
					if want[v] < 0 {
						want[v] = int32(s)
						queue = append(queue, v)
					}
				}
			}
			wantLargest = max(wantLargest, len(queue))
		}
		require.Equal(t, want, label, "trial %d", trial)
		require.Equal(t, wantCount, count)
		require.Equal(t, wantLargest, largest)
	}
}

func buildCSRFromAdj(adj [][]int32) (offsets, targets []int32) {
	offsets = make([]int32, len(adj)+1)
	for v, row := range adj {
		offsets[v+1] = offsets[v] + int32(len(row))
		targets = append(targets, row...)
	}
	return offsets, targets
}

func TestLocalClusteringLDBC(t *testing.T) {
	for _, name := range []string{"test-lcc-undirected", "example-undirected"} {
		t.Run(name, func(t *testing.T) {
			g := loadLDBC(t, name, true)
			// expected: LDBC Graphalytics <name>-LCC; validation rule
			// |r−s| ≤ 1e-4·|r| (the files print 12 to 16 digits).
			want := loadExpected(t, g, name+"-LCC")
			got := netstat.LocalClustering(g.offsets, g.targets)
			require.Len(t, got, len(want))
			for i, w := range want {
				r, err := strconv.ParseFloat(w, 64)
				require.NoError(t, err)
				assert.InDelta(t, r, got[i], 1e-4*math.Abs(r)+1e-12, "vertex %d", g.ids[i])
			}
		})
	}
}

func TestKarate(t *testing.T) {
	off, tg := loadKarate(t)
	// expected: networkx.average_clustering(networkx.karate_club_graph())
	// = 0.5706384782076823 (NetworkX 3.x documentation and common use).
	assert.InDelta(t, 0.5706384782076823, netstat.AverageClustering(off, tg), 1e-12)
	// expected: networkx.degree_assortativity_coefficient(karate)
	// = −0.47561309768461413; degree assortativity is the scalar
	// assortativity of the degree (Newman 2003).
	deg := netstat.Degrees(off)
	x := make([]float64, len(deg))
	for i, d := range deg {
		x[i] = float64(d)
	}
	assert.InDelta(t, -0.47561309768461413, netstat.Assortativity(off, tg, x), 1e-12)

	label, count, largest := netstat.Components(off, tg)
	assert.Equal(t, 1, count)
	assert.Equal(t, 34, largest)
	assert.Equal(t, make([]int32, 34), label)
	assert.Zero(t, netstat.Isolated(off))
	h := netstat.DegreeHistogram(off)
	assert.Len(t, h, 18, "max degree 17 (node 34, 'John A.')")
	assert.Equal(t, 1, h[17])
	assert.Equal(t, 1, h[1], "one person with a single friend (node 12)")
}

// bruteClustering is the definition, with an O(d²) pair loop and an
// adjacency matrix.
func bruteClustering(n int, off, tg []int32) []float64 {
	adj := make([][]bool, n)
	for i := range adj {
		adj[i] = make([]bool, n)
	}
	for u := 0; u < n; u++ {
		for _, v := range tg[off[u]:off[u+1]] {
			adj[u][v] = true
		}
	}
	c := make([]float64, n)
	for v := 0; v < n; v++ {
		var nb []int
		for u := 0; u < n; u++ {
			if u != v && adj[v][u] {
				nb = append(nb, u)
			}
		}
		d := len(nb)
		if d < 2 {
			continue
		}
		links := 0
		for i := 0; i < d; i++ {
			for j := i + 1; j < d; j++ {
				if adj[nb[i]][nb[j]] {
					links++
				}
			}
		}
		c[v] = float64(links) / float64(d*(d-1)/2)
	}
	return c
}

func TestLocalClusteringRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 30; trial++ {
		n := 2 + rng.IntN(60)
		var edges [][2]int32
		for k := rng.IntN(n * 4); k > 0; k-- {
			// self-loops and repeats included on purpose
			edges = append(edges, [2]int32{int32(rng.IntN(n)), int32(rng.IntN(n))})
		}
		off, tg := buildCSR(n, edges, true)
		got := netstat.LocalClustering(off, tg)
		want := bruteClustering(n, off, tg)
		for i := range want {
			require.InDelta(t, want[i], got[i], 1e-12, "trial %d vertex %d", trial, i)
		}
	}
}

func TestGini(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float64
		want float64
	}{
		{"empty", nil, 0},
		{"all zero", []float64{0, 0, 0}, 0},
		{"equal", []float64{5, 5, 5, 5}, 0},
		// Σ(2i−n−1)x_(i) / (nΣx) = (−4−4+0+8+20)/(5·15)
		{"1..5", []float64{3, 1, 5, 2, 4}, 20.0 / 75},
		// one of four holds everything: (n−1)/n
		{"one holds all", []float64{0, 0, 7, 0}, 0.75},
		{"negative", []float64{1, -1}, math.NaN()},
		{"nan", []float64{1, math.NaN()}, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := netstat.Gini(tc.x)
			if math.IsNaN(tc.want) {
				assert.True(t, math.IsNaN(got), "got %v", got)
				return
			}
			assert.InDelta(t, tc.want, got, 1e-15)
		})
	}
	// The sorted form equals the pairwise definition Σ|xi−xj|/(2n²μ).
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float64, 300)
	for i := range x {
		x[i] = 350 + 600*rng.Float64()*rng.Float64()
	}
	orig := slices.Clone(x)
	var pair, sum float64
	for i := range x {
		sum += x[i]
		for j := range x {
			pair += math.Abs(x[i] - x[j])
		}
	}
	n := float64(len(x))
	assert.InDelta(t, pair/(2*n*n*(sum/n)), netstat.Gini(x), 1e-12)
	assert.Equal(t, orig, x, "input not modified")
}

func TestAssortativityAgainstGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 20; trial++ {
		n := 5 + rng.IntN(300)
		var edges [][2]int32
		for k := n + rng.IntN(n*3); k > 0; k-- {
			u, v := int32(rng.IntN(n)), int32(rng.IntN(n))
			if u != v {
				edges = append(edges, [2]int32{u, v})
			}
		}
		directed := trial%2 == 1
		off, tg := buildCSR(n, edges, !directed)
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		// Make values assortative half the time: add the mean of the
		// neighbours.
		if trial%4 < 2 {
			y := slices.Clone(x)
			for u := 0; u < n; u++ {
				for _, v := range tg[off[u]:off[u+1]] {
					y[u] += x[v]
				}
			}
			x = y
		}
		// expected: gonum stat.Correlation (Pearson) over the list of
		// entry ends (a, b), every undirected edge in both directions.
		var a, b []float64
		for u := 0; u < n; u++ {
			for _, v := range tg[off[u]:off[u+1]] {
				a = append(a, x[u])
				b = append(b, x[v])
			}
		}
		want := stat.Correlation(a, b, nil)
		assert.InDelta(t, want, netstat.Assortativity(off, tg, x), 1e-12, "trial %d", trial)
	}
}

func TestAssortativityEdgeCases(t *testing.T) {
	// No edges, constant values: undefined.
	assert.True(t, math.IsNaN(netstat.Assortativity([]int32{0, 0, 0}, nil, []float64{1, 2})))
	off, tg := buildCSR(3, [][2]int32{{0, 1}, {1, 2}}, true)
	assert.True(t, math.IsNaN(netstat.Assortativity(off, tg, []float64{4, 4, 4})))
	// Two disjoint edges joining equal values: perfectly assortative.
	off, tg = buildCSR(4, [][2]int32{{0, 1}, {2, 3}}, true)
	assert.InDelta(t, 1, netstat.Assortativity(off, tg, []float64{1, 1, 5, 5}), 1e-15)
	// A star of a high centre and low leaves: perfectly disassortative.
	off, tg = buildCSR(4, [][2]int32{{0, 1}, {0, 2}, {0, 3}}, true)
	assert.InDelta(t, -1, netstat.Assortativity(off, tg, []float64{9, 1, 1, 1}), 1e-15)
}

func TestIsolatedAndHistogram(t *testing.T) {
	off, _ := buildCSRFromAdj([][]int32{{1}, {0, 2}, {1}, {}, {}, {5}})
	assert.Equal(t, 2, netstat.Isolated(off))
	assert.Equal(t, []int{2, 3, 1}, netstat.DegreeHistogram(off))
	assert.Equal(t, []int32{1, 2, 1, 0, 0, 1}, netstat.Degrees(off))
	assert.Empty(t, netstat.DegreeHistogram([]int32{0}))
	assert.Zero(t, netstat.Isolated([]int32{0}))
}

func TestDeciles(t *testing.T) {
	x := make([]float64, 100)
	for i := range x {
		x[i] = float64(99 - i) // descending: decile of x[i] is (99−i)/10
	}
	d := netstat.Deciles(x)
	for i := range x {
		assert.Equal(t, int8((99-i)/10), d[i], "value %v", x[i])
	}
	// 20 values, n/10 = 2 per decile; ties share a decile.
	x = []float64{1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, math.NaN()}
	d = netstat.Deciles(x)
	// NaN lowest: rank 0 → (0+1)/2 / 20 → decile 0. The four 1s take ranks
	// 1..4: mid-rank 3/20 → decile 1. Value 2 at rank 5: 5.5/20 → 2.
	assert.Equal(t, int8(0), d[19])
	assert.Equal(t, []int8{1, 1, 1, 1}, d[:4])
	assert.Equal(t, int8(2), d[4])
	assert.Equal(t, int8(9), d[18])
	// Counts are exact for distinct values of any n.
	for _, n := range []int{1, 7, 10, 33, 1001} {
		y := make([]float64, n)
		for i := range y {
			y[i] = float64(i)
		}
		counts := make([]int, 10)
		for _, g := range netstat.Deciles(y) {
			counts[g]++
		}
		for k, c := range counts {
			assert.LessOrEqual(t, math.Abs(float64(c)-float64(n)/10), 1.0, "n=%d decile %d", n, k)
		}
	}
	assert.Empty(t, netstat.Deciles(nil))
}

func TestGroupMeans(t *testing.T) {
	mean, size := netstat.GroupMeans([]int8{0, 1, 1, 2, -1, 9}, 3, []float64{1, 2, 4, 8, 100, 100})
	assert.Equal(t, []int{1, 2, 1}, size)
	assert.Equal(t, []float64{1, 3, 8}, mean)
	mean, _ = netstat.GroupMeans(nil, 2, nil)
	assert.True(t, math.IsNaN(mean[0]))
}

// TestTransitivityByHand: a triangle 0-1-2 with a pendant 3 on 2 has one
// triangle and 1+1+3 = 5 connected triples (pairs of friends of one
// person), so T = 3·1/5 = 0.6; a single edge has no triple (NaN); a star
// has triples but no triangle (0).
func TestTransitivityByHand(t *testing.T) {
	off, tgt := buildCSR(4, [][2]int32{{0, 1}, {1, 2}, {0, 2}, {2, 3}}, true)
	assert.InDelta(t, 0.6, netstat.Transitivity(off, tgt), 1e-15)
	off, tgt = buildCSR(2, [][2]int32{{0, 1}}, true)
	assert.True(t, math.IsNaN(netstat.Transitivity(off, tgt)))
	off, tgt = buildCSR(4, [][2]int32{{0, 1}, {0, 2}, {0, 3}}, true)
	assert.Equal(t, 0.0, netstat.Transitivity(off, tgt))
	// The star is perfectly disassortative: the hub's friends all have
	// one friend (NetworkX gives −1 for a star).
	assert.InDelta(t, -1, netstat.DegreeAssortativity(off, tgt), 1e-15)
}
