package scoring

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// binnedSmall sends every network down the binned path for the rest of the
// test, with bins of 1,024 rows (the smallest allowed), so that a few
// thousand people make several bins.
func binnedSmall(t *testing.T) {
	minArcs, shift := binnedMinArcs, gatherShift
	binnedMinArcs, gatherShift = 0, 10
	t.Cleanup(func() { binnedMinArcs, gatherShift = minArcs, shift })
}

// pulledSums is the reference: acc_v = Σ x_u over row v, in row order.
func pulledSums(offsets, targets []int32, x []float64) []float64 {
	n := len(offsets) - 1
	out := make([]float64, n)
	for v := 0; v < n; v++ {
		var acc float64
		for _, u := range targets[offsets[v]:offsets[v+1]] {
			acc += x[u]
		}
		out[v] = acc
	}
	return out
}

// symmetricCSR returns a random symmetric CSR with ascending rows over n
// vertices: m random edges, some repeated, some self-loops, and isolated
// vertices.
func symmetricCSR(rng *rand.Rand, n, m int) ([]int32, []int32) {
	rows := make([][]int32, n)
	for range m {
		k := max(1, n*9/10) // the rest isolated
		u, v := int32(rng.IntN(k)), int32(rng.IntN(k))
		reps := 1
		if rng.IntN(50) == 0 {
			reps = 2 // a repeated friendship
		}
		for range reps {
			rows[u] = append(rows[u], v)
			if u != v {
				rows[v] = append(rows[v], u)
			}
		}
	}
	offsets := make([]int32, n+1)
	var targets []int32
	for v, r := range rows {
		slices.Sort(r)
		targets = append(targets, r...)
		offsets[v+1] = int32(len(targets))
	}
	return offsets, targets
}

// TestRowGatherSumsArePulled checks the binned row sums against the pulled
// ones bit for bit, whatever the number of workers, on symmetric CSRs with
// repeated edges, self-loops, isolated vertices and a last bin cut short.
func TestRowGatherSumsArePulled(t *testing.T) {
	binnedSmall(t)
	rng := rand.New(rand.NewPCG(3, 5))
	for _, n := range []int{1, 1024, 5000, 7777} {
		offsets, targets := symmetricCSR(rng, n, 4*n)
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.Float64() * math.Pow(10, float64(rng.IntN(12)-6)) // sums that round
		}
		want := pulledSums(offsets, targets, x)
		for _, w := range []int{1, 2, 3} {
			g := newRowGather(offsets, targets, nil, partition(offsets, workerCount(w, n)))
			require.NotNil(t, g, "n %d workers %d", n, w)
			got := make([]float64, n)
			for round := range 2 { // the slots are reused
				clear(got)
				g.scatter(x)
				g.sums(func(lo, hi int, acc []float64) { copy(got[lo:hi], acc) })
				for v := range want {
					if math.Float64bits(got[v]) != math.Float64bits(want[v]) {
						t.Fatalf("n %d workers %d round %d: row %d: binned %v, pulled %v", n, w, round, v, got[v], want[v])
					}
				}
			}
		}
	}
}

// TestRowGatherRefuses checks that binning is refused where it would not
// give the pulled sums: a CSR that is not symmetric (even with every
// in-degree equal to the out-degree), a row not ascending, weights, and a
// small network at the default threshold.
func TestRowGatherRefuses(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	offsets, targets := symmetricCSR(rng, 3000, 9000)
	bounds := func(o []int32) []int { return partition(o, 2) }
	assert.Nil(t, newRowGather(offsets, targets, nil, bounds(offsets)), "below binnedMinArcs")

	binnedSmall(t)
	require.NotNil(t, newRowGather(offsets, targets, nil, bounds(offsets)))
	assert.Nil(t, newRowGather(offsets, targets, make([]float32, len(targets)), bounds(offsets)), "weighted")

	// A directed 3-cycle 0→1→2→0: every in-degree equals the out-degree.
	cycle := []int32{0, 1, 2, 3}
	assert.Nil(t, newRowGather(cycle, []int32{1, 2, 0}, nil, bounds(cycle)), "not symmetric")

	// Two neighbours of one row swapped.
	unsorted := slices.Clone(targets)
	for v := range len(offsets) - 1 {
		if a, e := offsets[v], offsets[v+1]; e-a >= 2 && unsorted[a] != unsorted[a+1] {
			unsorted[a], unsorted[a+1] = unsorted[a+1], unsorted[a]
			break
		}
	}
	assert.Nil(t, newRowGather(offsets, unsorted, nil, bounds(offsets)), "a row not ascending")
}

// TestBinnedKernelsArePulled runs PageRank, the propagation and a whole
// scoring run (whose friends' means and shares are summed by bins too) on
// the binned path and on the pulled one: the same iterations and the same
// values and results, bit for bit, for 1–3 workers
// (TestPageRankIsTheRecurrence checks the pulled PageRank against the
// plain recurrence).
func TestBinnedKernelsArePulled(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 19))
	s := randomSnapshot(t, rng, 6000, 15000, false)
	b := make([]float64, s.Len())
	for i := range b {
		b[i] = rng.Float64()
	}
	ctx := context.Background()
	sesame, ok := Preset("sesame")
	require.True(t, ok)
	type out struct {
		pr, sv     []float64
		prIt, svIt int
		scores     []int32
		results    []graph.Result
	}
	run := func(w int) out {
		var o out
		var err error
		o.pr, o.prIt, err = PageRank(ctx, s.Offsets, s.Targets, PageRankOptions{Undirected: true, Workers: w})
		require.NoError(t, err)
		o.sv, o.svIt, err = Propagate(ctx, s, b, 0.5, w)
		require.NoError(t, err)
		sc, _, err := ScoreArrays(ctx, s, sesame, Options{Workers: w})
		require.NoError(t, err)
		o.scores, o.results = sc.Scores, sc.Results(w)
		return o
	}
	want := run(1)
	binnedSmall(t)
	require.NotNil(t, newRowGather(s.Offsets, s.Targets, nil, partition(s.Offsets, 2)), "the snapshot must take the binned path")
	for _, w := range []int{1, 2, 3} {
		got := run(w)
		assert.Equal(t, want.prIt, got.prIt, "PageRank iterations, workers %d", w)
		assert.Equal(t, want.svIt, got.svIt, "propagation iterations, workers %d", w)
		for i := range want.pr {
			if math.Float64bits(got.pr[i]) != math.Float64bits(want.pr[i]) || math.Float64bits(got.sv[i]) != math.Float64bits(want.sv[i]) {
				t.Fatalf("workers %d: person %d: binned PageRank %v and s %v, pulled %v and %v", w, i, got.pr[i], got.sv[i], want.pr[i], want.sv[i])
			}
		}
		assert.Equal(t, want.scores, got.scores, "workers %d", w)
		require.Equal(t, len(want.results), len(got.results))
		for i := range want.results {
			require.Equal(t, want.results[i], got.results[i], "workers %d: result %d (friends' mean and shares)", w, i)
		}
	}
}

// BenchmarkRowSums measures the operation PageRank and the propagation
// spend their time in, one row sum of x over every row of the friendship
// CSR, pulled and by bins (rowGather), on the synthetic networks of 1M and
// 4M people (5 friendships a person; x 8 and 32 MB), with GOMAXPROCS
// workers; cpu-ms is process CPU per sweep, the figure to compare on a
// shared machine. The binned sweep includes its scatter; building the bins,
// done once per run, is reported apart (build-ms).
func BenchmarkRowSums(b *testing.B) {
	for _, n := range []int{1_000_000, 4_000_000} {
		s := syntheticSnapshot(n, 5*n, 42)
		x := make([]float64, n)
		for i := range x {
			x[i] = 1 / float64(i+2)
		}
		bounds := partition(s.Offsets, workerCount(0, n))
		out := make([]float64, n)
		b.Run(fmt.Sprintf("people=%d/pulled", n), func(b *testing.B) {
			cpu0 := processCPU()
			for b.Loop() {
				runRanges(bounds, func(lo, hi int) {
					for v := lo; v < hi; v++ {
						out[v] = unitSum(s.Targets[s.Offsets[v]:s.Offsets[v+1]], x)
					}
				})
			}
			b.ReportMetric((processCPU()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms")
		})
		b.Run(fmt.Sprintf("people=%d/binned", n), func(b *testing.B) {
			minArcs := binnedMinArcs
			binnedMinArcs = 0
			defer func() { binnedMinArcs = minArcs }()
			t0 := time.Now()
			g := newRowGather(s.Offsets, s.Targets, nil, bounds)
			build := time.Since(t0)
			if g == nil {
				b.Fatal("the synthetic network was refused")
			}
			cpu0 := processCPU()
			for b.Loop() {
				g.scatter(x)
				g.sums(func(lo, hi int, acc []float64) { copy(out[lo:hi], acc) })
			}
			b.ReportMetric((processCPU()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms")
			b.ReportMetric(float64(build.Milliseconds()), "build-ms")
		})
	}
}
