package scoring

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/socialscore/socialscore/graph"
)

// Stopping rule of Propagate.
const (
	// PropagationTol: iteration stops once max_u |s_{t+1}(u) − s_t(u)| is
	// below it. The error left is then at most α/(1−α)·PropagationTol.
	PropagationTol = 1e-10
	// PropagationMaxIterations bounds the iterations (reached only for α
	// within about 0.002 of 1).
	PropagationMaxIterations = 10_000
)

// Propagate returns the network-adjusted values s, the fixed point of
//
//	s = (1−α)·b + α·W·s
//
// on the friendship graph of the snapshot, and the number of iterations
// taken. W is row-stochastic: W_uv = w_uv / Σ_x w_ux over u's friends v,
// with w the tie weights (1 when snapshot.Weights is nil). A person u with
// no friends (or whose ties all weigh 0) has W_uu = 1, a self-loop, so that
// s_u = (1−α)b_u + α·s_u, that is s_u = b_u: without friends one keeps one's
// own value (docs/architecture.md, "Propagation"). With W row-stochastic and α in [0,1),
// I − αW is invertible and
//
//	s = (1−α)·(I − αW)⁻¹·b = (1−α)·Σ_t (αW)^t·b
//
// is a convex combination of the b values (so s ∈ [0,1] when b is), and is
// linear in b: s − b is exactly what friends contribute. This is the
// Friedkin–Johnsen model of social influence (Friedkin & Johnsen, J. Math.
// Sociology 15, 1990), used for score contagion as in Wei, Yildirim, Van den
// Bulte & Dellarocas, "Credit Scoring with Social Network Data", Marketing
// Science 35(2), 2016.
//
// It is solved by Jacobi iteration s_{t+1} = (1−α)b + αWs_t from s_0 = b
// (a contraction with factor α in the max norm), accelerated by the
// Chebyshev semi-iterative method (see chebyshev: W has a real spectrum in
// [−1, 1] because the friendship graph is symmetric, so the error shrinks
// like (α/(1+√(1−α²)))^t: 9 iterations instead of 12 at α = 0.15, 17
// instead of 33 at α = 0.5), until the largest change is below
// PropagationTol or PropagationMaxIterations is reached; rows are pulled
// over the CSR arrays by up to workers goroutines (0: GOMAXPROCS). The
// weights of isolated people are fixed at b: their row of the iteration is
// constant, which leaves the fixed point unchanged.
// ctx is checked between iterations. b must have one value per person and
// α must be in [0,1), and the snapshot well formed (weights finite and
// ≥ 0); otherwise the error wraps graph.ErrInvalid.
func Propagate(ctx context.Context, s *graph.Snapshot, b []float64, alpha float64, workers int) ([]float64, int, error) {
	n := s.Len()
	if len(b) != n {
		return nil, 0, graph.Invalid("b", "has %d values for %d people", len(b), n)
	}
	if !(alpha >= 0 && alpha < 1) {
		return nil, 0, graph.Invalid("alpha", "must be in [0,1), got %v", alpha)
	}
	if n == 0 {
		return []float64{}, 0, nil
	}
	if err := checkSnapshot(s); err != nil {
		return nil, 0, err
	}
	return propagate(ctx, s.Offsets, s.Targets, s.Weights, b, alpha, workers, nil)
}

// propagate is Propagate on checked CSR arrays. On a large network it sums
// rows by bins (rowGather): through g, the caller's for this CSR, or one
// of its own when g is nil.
func propagate(ctx context.Context, offsets, targets []int32, weights []float32, b []float64, alpha float64, workers int, g *rowGather) ([]float64, int, error) {
	n := len(b)
	cur := slices.Clone(b)
	if alpha == 0 || n == 0 {
		return cur, 0, nil
	}
	bounds := partition(offsets, workerCount(workers, n))
	if g == nil {
		g = newRowGather(offsets, targets, weights, bounds)
	}

	// inv[u] = 1/Σ_v w_uv, or 0 for a person without (weighted) friends,
	// who keeps s_u = b_u.
	csr := graph.CSR{Offsets: offsets, Targets: targets, Weights: weights}
	inv := make([]float64, n)
	runRanges(bounds, func(lo, hi int) {
		for u := lo; u < hi; u++ {
			inv[u] = InvStrength(&csr, int32(u))
		}
	})

	// out holds s_{t−1} and receives s_{t+1} in place: the Chebyshev step
	// reads s_{t−1} at row u alone (relaxed), while s_t, gathered from
	// anywhere, stays untouched in cur. Two vectors serve where three did.
	out := make([]float64, n)
	blockMax := make([]float64, numBlocks(n))
	cheb := newChebyshev(alpha)
	var first float64
	for it := 1; it <= PropagationMaxIterations; it++ {
		if err := ctx.Err(); err != nil {
			return nil, it - 1, fmt.Errorf("propagation: %w", err)
		}
		// ω₁ = 1: the first step is a plain one and reads no s_{t−1}.
		k := propStep{csr: &csr, inv: inv, b: b, cur: cur, prev: out, next: out, blockMax: blockMax, alpha: alpha, omega: cheb.next()}
		sumRows(g, cur, bounds, k.rows)
		cur, out = out, cur
		change := slices.Max(blockMax)
		if change < PropagationTol {
			return cur, it, nil
		}
		if it == 1 {
			first = change
		}
		// Chebyshev's weights assume a real spectrum (a symmetric
		// friendship graph). Should the changes grow instead, go on with
		// plain Jacobi steps, which converge for any row-stochastic W.
		if !(change <= 2*first) {
			cheb = chebyshev{}
		}
	}
	return cur, PropagationMaxIterations, nil
}

// propStep is one Jacobi iteration of Propagate over a range of rows.
type propStep struct {
	csr               *graph.CSR
	inv, b, cur, prev []float64 // read; prev at row u only
	next, blockMax    []float64 // written; next may be prev (row u written after prev[u] is read)
	alpha, omega      float64   // omega: Chebyshev weight; 1: plain step
}

// rows computes y = PropagationRow (b[u] for a person without friends)
// and next[u] = prev[u] + ω·(y − prev[u]) for u in [lo,hi), and each
// block's largest change, through propagationRows a block at a time; the
// row sums are given in sums (a rowGather's), or summed over the CSR when
// sums is nil.
func (k *propStep) rows(lo, hi int, sums []float64) {
	for blk := lo; blk < hi; blk += blockSize {
		end := min(blk+blockSize, hi)
		var bs []float64
		if sums != nil {
			bs = sums[blk-lo : end-lo]
		}
		k.blockMax[blk/blockSize] = propagationRows(k.csr, k.inv, k.b, k.cur, k.prev, k.next[blk:end], k.alpha, k.omega, blk, nil, bs)
	}
}

// RefinePropagation improves a solution s of the propagation on the CSR
// (inv = InvStrength of every row) by plain Jacobi sweeps warm-started
// from s, as the policy lab re-solves after a round changed much of the
// network: each sweep sets s_u ← s_u + r_u for every row, with the
// residual r_u = PropagationRow(u) − s_u of the previous s, until no
// |r_u| exceeds tol or maxSweeps sweeps are done. Rows are split between
// up to workers goroutines (0: GOMAXPROCS); each row reads only the
// previous s, so the result does not depend on the split. ctx is checked
// before every sweep. It returns the new s (s itself or a slice of the
// same length) and the number of sweeps done; on cancellation the error
// wraps ctx.Err() and s is left as it was after the last sweep.
func RefinePropagation(ctx context.Context, c *graph.CSR, inv, b, s []float64, alpha, tol float64, maxSweeps, workers int) ([]float64, int, error) {
	n := len(s)
	if n == 0 {
		return s, 0, nil
	}
	bounds := partition(c.Offsets, workerCount(workers, n))
	next := make([]float64, n)
	for sweep := 1; ; sweep++ {
		if err := ctx.Err(); err != nil {
			return s, sweep - 1, fmt.Errorf("propagation: %w", err)
		}
		var mu sync.Mutex
		worst := 0.0
		runRanges(bounds, func(lo, hi int) {
			// next[u] = s_u + r_u, with r_u = PropagationRow(u) − s_u.
			local := warmRows(c, inv, b, s, next[lo:hi], alpha, lo)
			mu.Lock()
			worst = max(worst, local)
			mu.Unlock()
		})
		s, next = next, s
		if worst <= tol || sweep >= maxSweeps {
			return s, sweep, nil
		}
	}
}
