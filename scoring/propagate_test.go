package scoring

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/socialscore/socialscore/graph"
)

// denseFixedPoint solves (I − αW)s = (1−α)b directly with gonum's LU
// solver, building the dense W from the snapshot by the definition in
// Propagate's doc (row-normalised tie weights; a self-loop W_uu = 1 for a
// person without friends). It shares no code with the iterative kernel.
func denseFixedPoint(t *testing.T, s *graph.Snapshot, b []float64, alpha float64) []float64 {
	t.Helper()
	n := s.Len()
	w := mat.NewDense(n, n, nil)
	for u := 0; u < n; u++ {
		var sum float64
		for k := s.Offsets[u]; k < s.Offsets[u+1]; k++ {
			sum += s.Weight(k)
		}
		if sum == 0 {
			w.Set(u, u, 1)
			continue
		}
		for k := s.Offsets[u]; k < s.Offsets[u+1]; k++ {
			v := int(s.Targets[k])
			w.Set(u, v, w.At(u, v)+s.Weight(k)/sum)
		}
	}
	var a mat.Dense
	a.Scale(-alpha, w)
	for i := 0; i < n; i++ {
		a.Set(i, i, 1+a.At(i, i))
	}
	rhs := mat.NewVecDense(n, nil)
	for i, v := range b {
		rhs.SetVec(i, (1-alpha)*v)
	}
	var x mat.VecDense
	require.NoError(t, x.SolveVec(&a, rhs))
	return x.RawVector().Data
}

// handSnapshot returns a snapshot with the friendship CSR given and empty
// records.
func handSnapshot(offsets, targets []int32) *graph.Snapshot {
	n := len(offsets) - 1
	s := &graph.Snapshot{
		IDs: make([]graph.ID, n), Offsets: offsets, Targets: targets,
		Records: make([]graph.Record, n), Profiles: make([]graph.Profile, n),
	}
	for i := range s.IDs {
		s.IDs[i] = graph.ID(i + 1)
	}
	return s
}

func randomValues(rng *rand.Rand, n int) []float64 {
	b := make([]float64, n)
	for i := range b {
		b[i] = rng.Float64()
	}
	return b
}

// TestPropagateMatchesDenseSolve compares the Jacobi iteration with an
// independent dense solve of (I − αW)s = (1−α)b on small graphs, weighted
// and unweighted, with isolated people, for several α and worker counts.
func TestPropagateMatchesDenseSolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type tc struct {
		name string
		s    *graph.Snapshot
	}
	var cases []tc
	for _, n := range []int{1, 2, 7, 40, 150} {
		cases = append(cases,
			tc{fmt.Sprintf("unweighted-%d", n), randomSnapshot(t, rng, n, 2*n, false)},
			tc{fmt.Sprintf("weighted-%d", n), randomSnapshot(t, rng, n, 2*n, true)},
		)
	}
	// 1300 people: more than one block, so several workers really split rows.
	cases = append(cases, tc{"weighted-1300", randomSnapshot(t, rng, 1300, 3000, true)})
	karate, _ := loadKarate(t)
	cases = append(cases, tc{"karate", karate})
	// Bipartite graphs put an eigenvalue of W at −1, the extreme that
	// Chebyshev acceleration must handle: a star and a path.
	cases = append(cases, tc{"star", handSnapshot([]int32{0, 4, 5, 6, 7, 8}, []int32{1, 2, 3, 4, 0, 0, 0, 0})})
	cases = append(cases, tc{"path", handSnapshot([]int32{0, 1, 3, 5, 6}, []int32{1, 0, 2, 1, 3, 2})})
	// Not symmetric (a one-way 3-cycle, complex eigenvalues), which a
	// snapshot never is: the iteration must still converge (by falling
	// back to plain Jacobi).
	cases = append(cases, tc{"one-way cycle", handSnapshot([]int32{0, 1, 2, 3}, []int32{1, 2, 0})})

	for _, c := range cases {
		b := randomValues(rng, c.s.Len())
		for _, alpha := range []float64{0, 0.15, 0.5, 0.9, 0.99} {
			t.Run(fmt.Sprintf("%s/alpha=%v", c.name, alpha), func(t *testing.T) {
				// expected: dense LU solve (gonum mat) of the same linear system
				want := denseFixedPoint(t, c.s, b, alpha)
				for _, workers := range []int{1, 3} {
					got, _, err := Propagate(context.Background(), c.s, b, alpha, workers)
					require.NoError(t, err)
					assert.InDeltaSlice(t, want, got, 1e-8, "workers %d", workers)
				}
			})
		}
	}
}

// TestPropagateProperties checks consequences of the definition that do
// not need a solver: an isolated person keeps b; a constant b is a fixed
// point (W is row-stochastic); α = 0 gives s = b; s is a convex combination.
func TestPropagateProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	s := randomSnapshot(t, rng, 200, 150, true) // sparse: many isolated
	b := randomValues(rng, s.Len())
	got, iters, err := Propagate(context.Background(), s, b, 0.6, 2)
	require.NoError(t, err)
	assert.Positive(t, iters)
	isolated := 0
	for i := range b {
		if s.Degree(int32(i)) == 0 {
			isolated++
			assert.Equal(t, b[i], got[i], "isolated person %d keeps b", i)
		}
		assert.True(t, got[i] >= 0 && got[i] <= 1, "s[%d] = %v outside [0,1]", i, got[i])
	}
	require.Positive(t, isolated, "the test graph should have isolated people")

	constant := make([]float64, s.Len())
	for i := range constant {
		constant[i] = 0.37
	}
	got, _, err = Propagate(context.Background(), s, constant, 0.9, 2)
	require.NoError(t, err)
	for i := range got {
		assert.InDelta(t, 0.37, got[i], 1e-12)
	}

	got, iters, err = Propagate(context.Background(), s, b, 0, 2)
	require.NoError(t, err)
	assert.Equal(t, 0, iters)
	assert.Equal(t, b, got)
}

// TestPropagateTwoPeople checks a case solved by hand: one friendship, so
// s1 = (1−α)b1 + α·s2 and s2 = (1−α)b2 + α·s1, whence
// s1 = (b1 + α·b2)/(1 + α). With α = 0.5, b = (1, 0): s = (2/3, 1/3).
func TestPropagateTwoPeople(t *testing.T) {
	s := handSnapshot([]int32{0, 1, 2}, []int32{1, 0})
	got, _, err := Propagate(context.Background(), s, []float64{1, 0}, 0.5, 1)
	require.NoError(t, err)
	// expected: hand solution above
	assert.InDeltaSlice(t, []float64{2.0 / 3, 1.0 / 3}, got, 1e-10)
}

func TestPropagateErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	s := randomSnapshot(t, rng, 10, 20, false)
	b := randomValues(rng, 10)
	ctx := context.Background()
	for name, alpha := range map[string]float64{"alpha 1": 1, "alpha negative": -0.1} {
		_, _, err := Propagate(ctx, s, b, alpha, 1)
		assert.ErrorIs(t, err, graph.ErrInvalid, name)
	}
	_, _, err := Propagate(ctx, s, b[:9], 0.5, 1)
	assert.ErrorIs(t, err, graph.ErrInvalid)

	bad := *s
	bad.Targets = append([]int32(nil), s.Targets...)
	bad.Targets[0] = 99
	_, _, err = Propagate(ctx, &bad, b, 0.5, 1)
	assert.ErrorIs(t, err, graph.ErrInvalid)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = Propagate(cctx, s, b, 0.5, 1)
	assert.ErrorIs(t, err, context.Canceled)
}
