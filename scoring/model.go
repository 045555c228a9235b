package scoring

import (
	"context"
	"math"

	"github.com/socialscore/socialscore/graph"
)

// The score model over arrays. ScoreSnapshot, the shock experiments of
// scoring/contagion and the policy lab of scoring/simulate all compute
// scores with the functions of this file, so the formulas exist once (see
// docs/architecture.md, "Score model" and "Combination").

// ActiveRecruits returns how many of the people person i recruited (row i
// of the recruitment CSR; none when recruits has no offsets) are active,
// active(j) telling whether person j's record is (graph.Record.Active).
func ActiveRecruits(recruits *graph.CSR, i int32, active func(j int32) bool) int {
	if len(recruits.Offsets) == 0 {
		return 0
	}
	k := 0
	for _, r := range recruits.Targets[recruits.Offsets[i]:recruits.Offsets[i+1]] {
		if active(r) {
			k++
		}
	}
	return k
}

// PillarsIn returns the pillars of person i of a network given as arrays
// in person order (PillarsOf with the active recruits counted over the
// recruitment CSR).
func PillarsIn(recruits *graph.CSR, records []graph.Record, profiles []graph.Profile, i int32) graph.Pillars {
	active := ActiveRecruits(recruits, i, func(j int32) bool { return records[j].Active() })
	return PillarsOf(records[i], profiles[i], active)
}

// InvStrength returns 1/Σ_v w_uv over row u of the CSR (weights 1 when
// Weights is nil), or 0 when the row has no ties of positive weight: the
// row normalisation of W in the propagation (Propagate).
func InvStrength(c *graph.CSR, u int32) float64 {
	a, e := c.Offsets[u], c.Offsets[u+1]
	var sum float64
	if c.Weights == nil {
		sum = float64(e - a)
	} else {
		for _, w := range c.Weights[a:e] {
			sum += float64(w)
		}
	}
	if sum > 0 {
		return 1 / sum
	}
	return 0
}

// PropagationRow returns row u of one Jacobi step of the propagation
// s ← (1−α)·b + α·W·x (Propagate):
//
//	(1−α)·b_u + α·inv_u·Σ_v w_uv·x_v,   or b_u when inv_u = 0 (no friends)
//
// with inv = InvStrength of every row. ScoreSnapshot's iteration, the shock
// steps of scoring/contagion (PropagationRows) and the policy lab's
// re-solves all evaluate it; the formula itself is written once, in
// propagationRows.
func PropagationRow(c *graph.CSR, inv, b, x []float64, alpha float64, u int32) float64 {
	if inv[u] == 0 {
		return b[u] // no friends; x may then hold nothing at all (scoring/live's one-row CSR)
	}
	var y [1]float64
	propagationRows(c, inv, b, x, nil, y[:], alpha, 1, int(u), nil, nil)
	return y[0]
}

// PropagationRows sets y[i] to PropagationRow(rows[i]) for every i, for
// a step over some of the rows only (a shock's neighbourhood), and
// returns the largest |y[i] − x[rows[i]]|. y must be as long as rows.
func PropagationRows(c *graph.CSR, inv, b, x, y []float64, alpha float64, rows []int32) float64 {
	return propagationRows(c, inv, b, x, nil, y[:len(rows)], alpha, 1, 0, rows, nil)
}

// propagationRows sets y[i], for every i < len(y), to row u of the
// propagation relaxed toward prev by the weight ω,
//
//	prev_u + ω·(PropagationRow(u) − prev_u)   (ω = 1: the row itself; prev unused)
//
// except for a person without friends (inv_u = 0), who gets b_u; u is
// rows[i], or lo+i when rows is nil. It returns the largest |y[i] − x_u|.
// sums, when not nil, gives the unweighted row sums Σ_v x_v of rows lo+i
// (a rowGather's; rows nil, no weights) in place of summing the CSR's rows.
// It is the one place the row of the propagation is written (warmRows
// repeats its range loop for warm-started sweeps): rowValue,
// relaxed and the row sums unitSum and weightedSum hold the formula, and
// the loops below only pick the rows. There is one loop per case
// (weighted or not; listed rows with ω = 1, or a range with ω) so that
// each keeps its arrays in registers and makes no call per row: Propagate's
// hot loop (a range, ω the Chebyshev weight) and a shock's steps (listed
// rows) run as fast as when each had its own copy of the formula.
func propagationRows(c *graph.CSR, inv, b, x, prev, y []float64, alpha, omega float64, lo int, rows []int32, sums []float64) float64 {
	offsets, targets, weights := c.Offsets, c.Targets, c.Weights
	var dmax float64
	switch {
	case rows != nil && weights == nil: // ω = 1 (PropagationRows, PropagationRow)
		rows = rows[:len(y)]
		for i, r := range rows {
			u := int(r)
			v := b[u]
			if iu := inv[u]; iu != 0 {
				v = rowValue(v, iu, unitSum(targets[offsets[u]:offsets[u+1]], x), alpha)
			}
			dmax = maxChange(dmax, v, x[u])
			y[i] = v
		}
	case rows != nil: // weighted, ω = 1
		rows = rows[:len(y)]
		for i, r := range rows {
			u := int(r)
			v := b[u]
			if iu := inv[u]; iu != 0 {
				a, e := offsets[u], offsets[u+1]
				v = rowValue(v, iu, weightedSum(targets[a:e], weights[a:e], x), alpha)
			}
			dmax = maxChange(dmax, v, x[u])
			y[i] = v
		}
	case sums != nil: // rows lo, lo+1, …, their sums given
		sums = sums[:len(y)]
		for i := range y {
			u := lo + i
			v := b[u]
			if iu := inv[u]; iu != 0 {
				v = relaxed(prev, u, rowValue(v, iu, sums[i], alpha), omega)
			}
			dmax = maxChange(dmax, v, x[u])
			y[i] = v
		}
	case weights == nil: // rows lo, lo+1, …
		for i := range y {
			u := lo + i
			v := b[u]
			if iu := inv[u]; iu != 0 {
				v = relaxed(prev, u, rowValue(v, iu, unitSum(targets[offsets[u]:offsets[u+1]], x), alpha), omega)
			}
			dmax = maxChange(dmax, v, x[u])
			y[i] = v
		}
	default: // weighted, rows lo, lo+1, …
		for i := range y {
			u := lo + i
			v := b[u]
			if iu := inv[u]; iu != 0 {
				a, e := offsets[u], offsets[u+1]
				v = relaxed(prev, u, rowValue(v, iu, weightedSum(targets[a:e], weights[a:e], x), alpha), omega)
			}
			dmax = maxChange(dmax, v, x[u])
			y[i] = v
		}
	}
	return dmax
}

// warmRows sets y[i], for every i < len(y), to x_u + (PropagationRow(u) −
// x_u) with u = lo+i, for every row (with or without friends): the step
// of a warm-started sweep, s_u plus its residual (RefinePropagation). It
// returns the largest |PropagationRow(u) − x_u|. It is propagationRows's
// range loop with ω = 1 and this step, and evaluates the row through the
// same helpers; it is a function of its own so that the extra cases do
// not cost propagationRows's loops their registers.
func warmRows(c *graph.CSR, inv, b, x, y []float64, alpha float64, lo int) float64 {
	offsets, targets, weights := c.Offsets, c.Targets, c.Weights
	var dmax float64
	if weights == nil {
		for i := range y {
			u := lo + i
			v := b[u]
			if iu := inv[u]; iu != 0 {
				v = rowValue(v, iu, unitSum(targets[offsets[u]:offsets[u+1]], x), alpha)
			}
			dmax = maxChange(dmax, v, x[u])
			y[i] = warmStep(x[u], v)
		}
		return dmax
	}
	for i := range y {
		u := lo + i
		v := b[u]
		if iu := inv[u]; iu != 0 {
			a, e := offsets[u], offsets[u+1]
			v = rowValue(v, iu, weightedSum(targets[a:e], weights[a:e], x), alpha)
		}
		dmax = maxChange(dmax, v, x[u])
		y[i] = warmStep(x[u], v)
	}
	return dmax
}

// warmStep returns xu + (v − xu), the step of a warm-started sweep: the
// value xu plus its residual v − xu, which may differ from v in the last
// bit.
func warmStep(xu, v float64) float64 {
	return xu + (v - xu)
}

// rowValue is the row of the propagation given its sum acc = Σ_v w_uv·x_v
// and inv_u = 1/Σ_v w_uv: (1−α)·b_u + α·acc·inv_u.
func rowValue(bu, iu, acc, alpha float64) float64 {
	return (1-alpha)*bu + alpha*acc*iu
}

// relaxed returns v relaxed toward prev[u] by the weight ω: prev_u +
// ω·(v − prev_u), or v itself when ω = 1 (prev unused).
func relaxed(prev []float64, u int, v, omega float64) float64 {
	if omega != 1 {
		v = prev[u] + omega*(v-prev[u])
	}
	return v
}

// maxChange returns the larger of dmax and |v − xu|.
func maxChange(dmax, v, xu float64) float64 {
	if d := math.Abs(v - xu); d > dmax {
		return d
	}
	return dmax
}

// unitSum returns Σ_j x[ts[j]], the unweighted row sum.
func unitSum(ts []int32, x []float64) float64 {
	var acc float64
	for _, t := range ts {
		acc += x[t]
	}
	return acc
}

// weightedSum returns Σ_j ws[j]·x[ts[j]], the weighted row sum.
func weightedSum(ts []int32, ws []float32, x []float64) float64 {
	var acc float64
	ws = ws[:len(ts)]
	for j, t := range ts {
		acc += float64(ws[j]) * x[t]
	}
	return acc
}

// PropagateCSR is Propagate over a friendship CSR given as arrays (the
// vertices 0..len(b)−1): it validates the CSR (graph.CSR.Validate; the
// error names "csr/offsets" and so on) and α, and solves s = (1−α)b + αWs
// as Propagate does, checking ctx between iterations.
func PropagateCSR(ctx context.Context, c graph.CSR, b []float64, alpha float64, workers int) ([]float64, int, error) {
	if !(alpha >= 0 && alpha < 1) {
		return nil, 0, graph.Invalid("alpha", "must be in [0,1), got %v", alpha)
	}
	if err := graph.Under("csr", c.Validate(len(b))); err != nil {
		return nil, 0, err
	}
	if len(b) == 0 {
		return []float64{}, 0, nil
	}
	return propagate(ctx, c.Offsets, c.Targets, c.Weights, b, alpha, workers, nil)
}

// PenaltyFor returns the friend-default penalty of someone with k friends
// who have a default: min(FriendDefaultCap, FriendDefaultPenalty·k).
func (p Policy) PenaltyFor(k int) float64 {
	return min(p.FriendDefaultCap, p.FriendDefaultPenalty*float64(k))
}

// FriendPenalty returns the friend-default penalty of someone with the
// friends given (PenaltyFor the number of them with defaulted set), or 0
// when defaulted is nil (the policy has no penalty).
func (p Policy) FriendPenalty(friends []int32, defaulted []bool) float64 {
	if defaulted == nil {
		return 0
	}
	k := 0
	for _, j := range friends {
		if defaulted[j] {
			k++
		}
	}
	return p.PenaltyFor(k)
}

// Defaulted returns, per record, whether it has a default (the friends
// the friend-default penalty counts), or nil when the policy has no
// friend-default penalty. buf is reused when it is long enough.
func (p Policy) Defaulted(records []graph.Record, buf []bool) []bool {
	if !(p.FriendDefaultPenalty > 0) {
		return nil
	}
	if cap(buf) < len(records) {
		buf = make([]bool, len(records))
	}
	buf = buf[:len(records)]
	for i := range records {
		buf[i] = records[i].Defaults > 0
	}
	return buf
}

// FinalValue is the final combination before rounding and clamping:
//
//	350 + 600·((1−c)·s + c·pct/100) − penalty
//
// with s the network value, pct the PageRank percentile, c the policy's
// Centrality and penalty the friend-default penalty. The score is
// RoundScore of it.
func FinalValue(s, pct, penalty, centrality float64) float64 {
	return MinScore + Span*((1-centrality)*s+centrality*pct/100) - penalty
}

// ClampScore clamps an unrounded score to [MinScore, MaxScore] (NaN stays
// NaN).
func ClampScore(x float64) float64 {
	return min(max(x, MinScore), MaxScore)
}

// RoundScore rounds x half away from zero and clamps it to [MinScore,
// MaxScore] (NaN gives MinScore): the integer score of an unrounded one.
func RoundScore(x float64) int {
	r := math.Round(x)
	if !(r >= MinScore) { // also NaN
		return MinScore
	}
	if r > MaxScore {
		return MaxScore
	}
	return int(r)
}

// IndividualScore is the score of an individual value b alone,
// RoundScore(350 + 600·b) (graph.Result.Individual).
func IndividualScore(b float64) int {
	return RoundScore(MinScore + Span*b)
}

// FriendMean returns the mean of the friends' scores (unweighted), 0
// without friends (graph.Result.FriendMean).
func FriendMean(friends []int32, score []int32) float64 {
	var sum int64
	for _, j := range friends {
		sum += int64(score[j])
	}
	return meanScore(float64(sum), len(friends))
}

// meanScore is the mean of n scores summing to sum, 0 when n is 0
// (FriendMean, and a scoring run's friends' pass summing by bins).
func meanScore(sum float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}
