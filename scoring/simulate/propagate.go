package simulate

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/socialscore/socialscore/scoring"
)

// pushTol is the largest residual left by the local propagation: every
// row's equation s_u = (1−α)b_u + α(Ws)_u holds to within it, so that
// ‖s − s*‖∞ ≤ pushTol/(1−α) (see propagator). scoring.Propagate's own
// error bound is α/(1−α)·scoring.PropagationTol = α/(1−α)·1e-10, so the two
// agree to better than 1e-9, far below what moves a score by a point.
const pushTol = 1e-11

// propagator keeps the network values s of the policy's propagation
//
//	s = (1−α)·b + α·W·s     (scoring.Propagate: W row-normalised, s_u = b_u without friends)
//
// across rounds, together with each row's residual
//
//	r_u = (1−α)·b_u + α·Σ_v W_uv·s_v − s_u      (b_u − s_u without friends)
//
// so that after a round only the rows whose friends or base value changed
// need work. It solves by residual pushing (the Gauss–Southwell iteration
// used for personalised PageRank by Andersen, Chung & Lang, "Local graph
// partitioning using PageRank vectors", FOCS 2006): take a row u with
// |r_u| > pushTol, set s_u += r_u, and pass α·W_xu·r_u on to the residual of
// every friend x of u (the rows whose equations read s_u; W_xu = w_xu/Σ w_x·).
// Each push removes (1−α)|r_u| from Σ|r|, so it terminates, and the work is
// proportional to how far the change spreads: a local change stays local.
//
// At the end every row satisfies |r_u| ≤ pushTol, and because I − αW is a
// contraction-invertible M-matrix, ‖s − s*‖∞ ≤ ‖r‖∞/(1−α). The residuals
// are maintained incrementally while pushing; to keep rounding error from
// accumulating over rounds, each update ends with an exact recomputation of
// every residual (one pass over the ties, split between workers) and more
// pushes if any row is still above the tolerance.
//
// Rows are pushed in first-in first-out order starting from the changed
// rows in index order, so the result is deterministic.
//
// When a round changed more than 1/jacobiShare of the rows (early rounds
// of a strong policy do), pushing is slower than sweeping: update then
// re-solves by Jacobi sweeps warm-started from the previous solution (the
// iteration of scoring.Propagate, parallel over rows), which need only
// log(change/pushTol)/log(1/α) sweeps, and settles as above. Which method
// runs depends only on the data, so results stay reproducible, and both
// end with every residual below pushTol.
type propagator struct {
	alpha   float64
	b, s, r []float64
	inv     []float64 // 1/Σ_v w_uv; 0 for someone without friends
	queue   []int32
	inQ     []bool
	mode    solveMode // tests force one method; results agree either way
}

// solveMode chooses how update re-solves.
type solveMode uint8

const (
	solveAuto   solveMode = iota // push when the change is local, else sweep
	solvePush                    // always push
	solveJacobi                  // always sweep
)

func (m solveMode) String() string {
	return [...]string{"auto", "push", "jacobi"}[m]
}

// init solves from scratch: scoring.Propagate (Jacobi, as ScoreSnapshot),
// then pushes until the residuals are below pushTol.
func (p *propagator) init(ctx context.Context, m *Model, b []float64) error {
	p.alpha = m.pol.Alpha
	p.b = b
	n := m.n
	s, _, err := scoring.PropagateCSR(ctx, m.friends(), b, p.alpha, m.workers)
	if err != nil {
		return fmt.Errorf("simulate: propagate: %w", err)
	}
	p.s = s
	p.r = make([]float64, n)
	p.inv = make([]float64, n)
	p.inQ = make([]bool, n)
	if p.alpha == 0 {
		return nil // s = b exactly
	}
	m.ranges(func(lo, hi int) {
		for u := lo; u < hi; u++ {
			p.setInv(m, int32(u))
		}
	})
	p.settle(m)
	return nil
}

// update brings s up to date after a round: b is the new base values, and
// m.touched marks the rows whose friends changed. It returns the number of
// rows where work started, the number of pushes and the number of sweeps.
func (p *propagator) update(ctx context.Context, m *Model, b []float64) (touched, pushes, sweeps int, err error) {
	if p.alpha == 0 {
		for u := range b {
			if b[u] != p.b[u] || m.touched[u] {
				touched++
			}
		}
		p.b = b
		copy(p.s, b)
		return touched, 0, 0, nil
	}
	p.queue = p.queue[:0]
	old := p.b
	p.b = b
	for u := range b {
		if b[u] == old[u] && !m.touched[u] {
			continue
		}
		touched++
		if m.touched[u] {
			p.setInv(m, int32(u))
		}
		p.r[u] = p.residual(m, int32(u))
		p.enqueue(int32(u))
	}
	if p.mode == solveJacobi || (p.mode == solveAuto && touched*jacobiShare > m.n) {
		// The change is not local: sweep the whole network in parallel
		// instead (see jacobi), then settle.
		for _, u := range p.queue {
			p.inQ[u] = false
		}
		p.queue = p.queue[:0]
		if sweeps, err = p.jacobi(ctx, m); err != nil {
			return touched, 0, sweeps, err
		}
		return touched, p.settle(m), sweeps, nil
	}
	pushes = p.run(m)
	pushes += p.settle(m)
	return touched, pushes, 0, nil
}

// jacobiShare: when more than 1/jacobiShare of the rows changed, update
// re-solves by warm-started Jacobi sweeps rather than by pushing. Pushing
// does work only where the change spreads, but in scattered order; a
// sweep reads the ties in memory order on every worker. Past a few percent
// of the rows the sweep is faster.
const jacobiShare = 50

// jacobi iterates s ← (1−α)·b + α·W·s from the current s (the previous
// round's solution, so few sweeps are needed) until no value moves by more
// than pushTol: scoring.RefinePropagation, the iteration of
// scoring.Propagate warm-started, parallel over rows with the same result
// whatever the split. It returns the number of sweeps; it stops with
// ctx's error if the round is cancelled.
func (p *propagator) jacobi(ctx context.Context, m *Model) (int, error) {
	c := m.friends()
	s, sweeps, err := scoring.RefinePropagation(ctx, &c, p.inv, p.b, p.s, p.alpha, pushTol, scoring.PropagationMaxIterations, m.workers)
	p.s = s
	if err != nil {
		return sweeps, fmt.Errorf("simulate: %w", err)
	}
	return sweeps, nil
}

// setInv sets inv[u] from u's current ties (scoring.InvStrength).
func (p *propagator) setInv(m *Model, u int32) {
	c := m.friends()
	p.inv[u] = scoring.InvStrength(&c, u)
}

// residual computes r_u exactly from the current s: scoring's propagation
// row minus s_u.
func (p *propagator) residual(m *Model, u int32) float64 {
	c := m.friends()
	return scoring.PropagationRow(&c, p.inv, p.b, p.s, p.alpha, u) - p.s[u]
}

func (p *propagator) enqueue(u int32) {
	if !p.inQ[u] && math.Abs(p.r[u]) > pushTol {
		p.inQ[u] = true
		p.queue = append(p.queue, u)
	}
}

// run pushes queued rows until the queue is empty and returns the number
// of pushes.
func (p *propagator) run(m *Model) int {
	pushes := 0
	alpha := p.alpha
	head := 0
	for head < len(p.queue) {
		u := p.queue[head]
		head++
		if head > m.n && head > len(p.queue)/2 {
			// Drop the processed prefix so the queue stays O(n).
			p.queue = slices.Delete(p.queue, 0, head)
			head = 0
		}
		p.inQ[u] = false
		d := p.r[u]
		if math.Abs(d) <= pushTol {
			continue
		}
		pushes++
		p.s[u] += d
		p.r[u] = 0
		ad := alpha * d
		if m.wts == nil {
			for _, x := range m.adj[u] {
				p.r[x] += ad * p.inv[x]
				p.enqueue(x)
			}
		} else {
			ws := m.wts[u]
			for k, x := range m.adj[u] {
				p.r[x] += ad * float64(ws[k]) * p.inv[x] // w_xu = w_ux
				p.enqueue(x)
			}
		}
	}
	p.queue = p.queue[:0]
	return pushes
}

// settle recomputes every residual exactly and pushes until all are below
// pushTol; it returns the number of pushes.
func (p *propagator) settle(m *Model) int {
	pushes := 0
	for pass := 0; ; pass++ {
		m.ranges(func(lo, hi int) {
			for u := lo; u < hi; u++ {
				p.r[u] = p.residual(m, int32(u))
			}
		})
		for u := range p.r {
			p.enqueue(int32(u))
		}
		if len(p.queue) == 0 {
			return pushes
		}
		if pass == 10 {
			// Not reached in practice: each pass leaves only rounding
			// error. Stop rather than loop on a pathological input.
			for _, u := range p.queue {
				p.inQ[u] = false
			}
			p.queue = p.queue[:0]
			return pushes
		}
		pushes += p.run(m)
	}
}
