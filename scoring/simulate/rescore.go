package simulate

import (
	"context"
	"fmt"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// Re-scoring after a round. Every formula is scoring's (scoring/model.go);
// what is the model's own is the incremental propagation (propagate.go).

// scoreAll re-scores everyone under the policy: base values from the
// records, network values by local propagation from the rows that changed
// (all rows at step 0), PageRank percentiles when the policy weighs
// centrality, and the final scores, as scoring.ScoreSnapshot computes
// them.
func (m *Model) scoreAll(ctx context.Context, res *StepResult) error {
	n := m.n
	b := make([]float64, n)
	recruits := graph.CSR{Offsets: m.recOff, Targets: m.recTgt}
	m.ranges(func(lo, hi int) {
		for i := lo; i < hi; i++ {
			b[i] = m.pol.Weights.Combine(scoring.PillarsIn(&recruits, m.records, m.profiles, int32(i)))
		}
	})
	if m.prop.s == nil {
		if err := m.prop.init(ctx, m, b); err != nil {
			return err
		}
	} else {
		touched, pushes, sweeps, err := m.prop.update(ctx, m, b)
		if err != nil {
			return err
		}
		if res != nil {
			res.Touched, res.Pushes, res.Sweeps = touched, pushes, sweeps
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	c := m.pol.Centrality
	if c > 0 {
		pr, _, err := scoring.PageRank(ctx, m.offsets, m.targets, scoring.PageRankOptions{Undirected: true, Workers: m.workers})
		if err != nil {
			return fmt.Errorf("simulate: pagerank: %w", err)
		}
		m.pct = scoring.Percentiles(pr)
	}
	m.defaulted = m.pol.Defaulted(m.records, m.defaulted)
	if m.value == nil {
		m.value = make([]float64, n)
		m.score = make([]int32, n)
		m.friendMean = make([]float64, n)
	}
	s := m.prop.s
	m.ranges(func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var pct float64 // no centrality: not computed, and weighs 0
			if m.pct != nil {
				pct = m.pct[i]
			}
			v := scoring.FinalValue(s[i], pct, m.pol.FriendPenalty(m.adj[i], m.defaulted), c)
			m.value[i] = v
			m.score[i] = int32(scoring.RoundScore(v))
		}
	})
	m.ranges(func(lo, hi int) {
		for i := lo; i < hi; i++ {
			m.friendMean[i] = scoring.FriendMean(m.adj[i], m.score)
		}
	})
	return nil
}

// Results returns everyone's current result, as scoring.ScoreSnapshot
// would return it for Snapshot() (Pillars are left zero).
func (m *Model) Results() []graph.Result {
	out := make([]graph.Result, m.n)
	for i := range out {
		r := graph.Result{
			ID:         m.ids[i],
			Score:      int(m.score[i]),
			Base:       m.prop.b[i],
			Individual: scoring.IndividualScore(m.prop.b[i]),
			Network:    m.prop.s[i],
			Friends:    int32(len(m.adj[i])),
			FriendMean: m.friendMean[i],
		}
		if m.pct != nil {
			r.Percentile = m.pct[i]
		}
		out[i] = r
	}
	return out
}
